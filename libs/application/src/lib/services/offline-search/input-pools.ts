import type { CallableInfo, ClassField, ParameterInfo, TypeHint } from '@test-agent/domain';

/** Type hints, naming conventions and value pools the input generator draws from. */

export const ANY: TypeHint = { kind: 'any' };
export const INT: TypeHint = { kind: 'builtin', name: 'int' };
export const FLOAT: TypeHint = { kind: 'builtin', name: 'float' };
export const STR: TypeHint = { kind: 'builtin', name: 'str' };
export const BOOL: TypeHint = { kind: 'builtin', name: 'bool' };
export const BYTES: TypeHint = { kind: 'builtin', name: 'bytes' };
export const NONE: TypeHint = { kind: 'none' };

/** Usage hints (the worker's `paramHints`) for a text stream, a binary one and the name of a file that exists. */
export const STREAM_TYPE = 'typing.TextIO';
export const BINARY_STREAM_TYPE = 'typing.BinaryIO';
export const PATH_TYPE = 'os.PathLike';

/**
 * Usage hints with the stream options left out when text is one of them, unless `keepStream()` (asked only then):
 * code that takes text or a stream (`shlex(instream)`) is mostly called with text, which the search varies better.
 */
export function preferText(hints: readonly TypeHint[], keepStream: () => boolean): readonly TypeHint[] {
  const stream = (h: TypeHint) => h.kind === 'any' && (h.hint === STREAM_TYPE || h.hint === BINARY_STREAM_TYPE);
  const text = hints.some((h) => h.kind === 'builtin' && h.name === 'str');
  return text && hints.some(stream) && !keepStream() ? hints.filter((h) => !stream(h)) : hints;
}

/**
 * The last resort when neither an annotation, nor how the function uses the parameter, nor a default says what
 * it is: generic naming conventions (`is_*` flags, `path`, `count`, `text`), not tuned to any module. Usage
 * evidence (the worker's `paramHints`: arithmetic, comparisons, methods called, what the parameter is passed to)
 * comes first.
 */
export const NAME_RULES: readonly [RegExp, TypeHint][] = [
  [
    /^(is|has|use|allow|enable|disable|should|can|do|with|without|no|ignore|include|skip)_|^(verbose|debug|strict|force|quiet|recursive|reverse|overwrite|dry_run)$/,
    BOOL,
  ],
  [/(names|items|list|lst|words|values|seq|sequence|lines|args|elements|array|arr|rows)$/, { kind: 'list', item: ANY }],
  [/(func|callback|predicate|key|fn|function|handler|factory)$/, { kind: 'callable' }],
  [
    /^(s|text|string|name|pattern|prefix|suffix|sep|separator|char|ch|word|line|path|filename|msg|message|label|title|fmt|format|encoding|token|source|src|data|code|url|uri|email|username|password|query|description|cmd|command)$/,
    STR,
  ],
  [
    /^(n|i|j|k|count|width|height|size|index|idx|num|number|length|depth|level|start|end|stop|step|limit|offset|max_\w+|min_\w+|pos|position|timeout|retries|digits|precision|base|total|amount|quantity|qty|age|cols|columns)$/,
    INT,
  ],
  [
    /^(price|rate|ratio|factor|scale|weight|temperature|percent|percentage|discount|tax|lat|lon|latitude|longitude)$/,
    { kind: 'union', options: [FLOAT, INT] },
  ],
];

/** Parameters that take the name of a file to read (`path`, `config_file`, `infile`, `input_filename`). */
export const PATH_PARAM = /(^|_)(in|input_?|source_?)?(path|filename|file_?name|fname|filepath|file)$/;
/** Parameters holding a command line (`main(argv)`, `main(args)`). */
export const isArgvParam = (p: ParameterInfo, fn: CallableInfo): boolean =>
  p.kind !== 'varargs' &&
  p.kind !== 'varkw' &&
  (/^(argv|arguments|cmdline|command_line)$/.test(p.name) || (p.name === 'args' && /(^|_)main$/.test(fn.name)));
export const FILE_NAMES = ['input.txt', 'data.txt', 'notes.cfg'];

export const INT_BOUNDARIES = [0, 1, -1, 2, 3, 5, 7, 10, 12, 13, 31, 100, -100, 1000, 1900, 2000, 2024, 9999, 10000];
export const FLOAT_BOUNDARIES = [0.0, 1.0, 0.5, -1.0, 0.25, 0.75, 2.0, 1e-9, 100.0, -0.5, 0.1, 1 / 3, 2 / 3, 1 / 6];
export const WORDS = [
  'a',
  'abc',
  'hello',
  'Hello World',
  'x y z',
  'foo bar baz',
  'test',
  '123',
  'A1',
  'hello world example text',
];
export const CHARS = [
  ' ',
  '\n',
  '\t',
  '.',
  ',',
  '-',
  '*',
  '?',
  '[',
  ']',
  '!',
  '"',
  "'",
  '\\',
  '#',
  '/',
  ':',
  '=',
  '_',
  '0',
  'é',
];
export const LAMBDAS = [
  'lambda *args: True',
  'lambda *args: False',
  'lambda x: x',
  'str',
  'len',
  'lambda *args, **kwargs: None',
];

export function defaultHint(src: string): TypeHint | undefined {
  if (/^-?\d+$/.test(src)) return INT;
  if (/^-?\d*\.\d+(e-?\d+)?$|^-?\d+e-?\d+$/.test(src)) return FLOAT;
  if (/^['"]/.test(src)) return STR;
  if (src === 'True' || src === 'False') return BOOL;
  if (/^b['"]/.test(src)) return BYTES;
  if (src.startsWith('[')) return { kind: 'list', item: ANY };
  if (src.startsWith('(')) return { kind: 'tuple', item: ANY };
  if (src.startsWith('{')) return { kind: 'dict', key: STR, value: ANY };
  return undefined;
}

/** Attribute types a class declares that the generator makes values for. */
export const FIELD_TYPES: Readonly<Record<string, TypeHint>> = {
  int: INT,
  float: FLOAT,
  str: STR,
  bool: BOOL,
  bytes: BYTES,
};

/**
 * The type of a value for a public attribute of a class (`lexer.debug = 2`): the type its first constant had,
 * else what the attribute's name suggests.
 */
export function fieldHint(field: ClassField): TypeHint {
  return (
    FIELD_TYPES[field.type] ??
    NAME_RULES.find(([re]) => re.test(field.name.toLowerCase()))?.[1] ?? { kind: 'union', options: [STR, INT, BOOL] }
  );
}
