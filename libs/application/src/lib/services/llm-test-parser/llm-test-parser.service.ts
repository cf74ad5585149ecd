import { bracketDepth, renameDefinition, uniqueName } from '../../python-text';

/** One test function taken from an LLM answer, ready to be validated on its own. */
export interface ParsedTest {
  /** Function name; unique within one parse (duplicates get `_2`, `_3`, ...). */
  readonly name: string;
  /** Source of the unit: the function with its decorators, or a `class Test...` holding only this method. */
  readonly code: string;
  /** The class it came from, when it was a method of a `class Test...`. */
  readonly className?: string;
}

/** What was taken from one answer. */
export interface ParsedTestAnswer {
  /** `import ...` / `from ... import ...` lines, in order, deduplicated. */
  readonly imports: readonly string[];
  /** Top-level fixtures, helpers and constants the tests may need, each a block of source. */
  readonly support: readonly string[];
  readonly tests: readonly ParsedTest[];
  /** The answer was cut off (an unclosed code fence or an unbalanced last block): the incomplete test was dropped. */
  readonly truncated: boolean;
  /** Blocks dropped and why (incomplete code, prose). */
  readonly dropped: readonly string[];
}

/** A fence line: indentation, the fence, the info string's first word (the language), the rest of the line. */
const FENCE = /^(\s*)(```+|~~~+)\s*([^\s`]*)(.*)$/;
const PYTHON_FENCES = new Set(['', 'python', 'py', 'python3', 'py3', 'pytest', 'ipython']);
/** What a line of Python code can start with: statements, decorators, annotated or plain assignments, calls. */
const CODE_START =
  /^(import |from |def |async def |class |@|[A-Za-z_]\w*( *: *[\w.]+(\[[^\]=]*\])?)? *=[^=]|[A-Za-z_][\w.]*\()/;
const TEST_FUNCTION = /^(?:async\s+)?def\s+(test\w*)\s*\(/;
/** Classes pytest collects: `Test*` (without `__init__`), and `unittest.TestCase` subclasses whatever their name. */
const TEST_CLASS = /^class\s+(Test\w*|\w+(?=\s*\([^)]*\bTestCase\b))\s*[(:]/;
const FIXTURE_DECORATOR = /^@\s*(pytest\.)?fixture\b/m;

/** Removes the indentation all non-blank lines share (a fence inside a Markdown list is indented). */
function dedent(lines: readonly string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0);
  const common = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(common, /^[ \t]*/.exec(l)?.[0].length ?? 0)));
}

/** The first line of a block that starts a statement at column 0 (past decorators, comments and their arguments). */
function firstStatement(block: string): string {
  let depth = 0;
  for (const line of block.split('\n')) {
    if (depth <= 0 && /^\S/.test(line) && !/^(@|#|[)\]}])/.test(line)) return line;
    depth += bracketDepth(line);
  }
  return '';
}

/** Import statements of a block, one entry per logical statement (bracketed and `\\` continuations joined). */
function importStatements(block: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  let depth = 0;
  for (const line of block.split('\n')) {
    if (line.trim() === '' && current.length === 0) continue;
    current.push(line);
    depth += bracketDepth(line);
    if (depth <= 0 && !line.trimEnd().endsWith('\\')) {
      statements.push(current.join('\n').trimEnd());
      current = [];
      depth = 0;
    }
  }
  if (current.length) statements.push(current.join('\n').trimEnd());
  return statements.filter((st) => st.trim() !== '');
}

/** Extracts the Python code of an answer: the python (or unlabeled) fenced blocks, else the code-looking lines. */
function extractCode(answer: string): { code: string; unclosedFence: boolean } {
  const lines = answer.replace(/\r\n?/g, '\n').split('\n');
  const blocks: string[][] = [];
  let current: string[] | undefined;
  let fence = '';
  let keep = false;
  for (const line of lines) {
    const m = FENCE.exec(line);
    if (current === undefined) {
      if (m) {
        fence = m[2];
        keep = PYTHON_FENCES.has(m[3].toLowerCase());
        current = [];
      }
    } else if (m && m[2][0] === fence[0] && m[2].length >= fence.length && m[3] === '' && m[4].trim() === '') {
      if (keep) blocks.push(dedent(current));
      current = undefined;
    } else {
      current.push(line);
    }
  }
  if (current !== undefined) {
    if (keep) blocks.push(dedent(current));
    return { code: blocks.map((b) => b.join('\n')).join('\n\n'), unclosedFence: keep };
  }
  if (blocks.length > 0) return { code: blocks.map((b) => b.join('\n')).join('\n\n'), unclosedFence: false };
  // No fences: start at the first line that looks like code and drop prose paragraphs at column 0.
  const start = lines.findIndex((l) => CODE_START.test(l));
  if (start < 0) return { code: '', unclosedFence: false };
  return { code: lines.slice(start).join('\n'), unclosedFence: false };
}

/** Whether brackets and triple/single quotes are balanced: a cheap test for a block cut off mid-way. */
function looksComplete(block: string): boolean {
  let depth = 0;
  let i = 0;
  while (i < block.length) {
    const c = block[i];
    if (c === '#') {
      while (i < block.length && block[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = block.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      i += quote.length;
      while (i < block.length && !block.startsWith(quote, i)) {
        if (block[i] === '\\') i++;
        else if (!triple && block[i] === '\n') return false;
        i++;
      }
      if (i >= block.length) return false;
      i += quote.length;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) depth--;
    i++;
  }
  const lastLine = block.trimEnd().split('\n').pop() ?? '';
  return depth === 0 && !/[:\\,]$/.test(lastLine.trim()) && block.trim().split('\n').length > 1;
}

/** Splits code into top-level blocks; decorators and comments directly above belong to the next block. */
function topLevelBlocks(code: string): string[] {
  const lines = code.split('\n');
  const blocks: string[] = [];
  let current: string[] = [];
  let pendingHeader = false; // current holds only decorators/comments so far
  for (const line of lines) {
    const topLevel = line.length > 0 && !/^\s/.test(line);
    const isClosingBracket = /^[)\]}]/.test(line);
    if (topLevel && !isClosingBracket && !pendingHeader && current.some((l) => l.trim() !== '')) {
      blocks.push(current.join('\n').trimEnd());
      current = [];
    }
    if (topLevel && !isClosingBracket) pendingHeader = /^(@|#)/.test(line);
    current.push(line);
  }
  if (current.some((l) => l.trim() !== '')) blocks.push(current.join('\n').trimEnd());
  return blocks.map((b) => b.replace(/^\n+/, ''));
}

/** Splits the body of `class Test...` into its test methods and the members they share. */
function splitTestClass(block: string): {
  header: string;
  shared: string[];
  methods: { name: string; code: string }[];
  nested: string[];
} {
  const lines = block.split('\n');
  const headerIndex = lines.findIndex((l) => /^class /.test(l));
  const body = lines.slice(headerIndex + 1);
  const indent = body.find((l) => l.trim() !== '')?.match(/^(\s*)/)?.[1] ?? '    ';
  const members: string[][] = [];
  let current: string[] = [];
  let pendingHeader = false;
  for (const line of body) {
    const atMemberLevel =
      line.startsWith(indent) && line.length > indent.length && !/^\s/.test(line.slice(indent.length));
    if (
      atMemberLevel &&
      !/^[)\]}]/.test(line.slice(indent.length)) &&
      !pendingHeader &&
      current.some((l) => l.trim() !== '')
    ) {
      members.push(current);
      current = [];
    }
    // A closing bracket at member level ends a decorator's arguments, not the decorator's hold on the next def.
    if (atMemberLevel && !/^[)\]}]/.test(line.slice(indent.length)))
      pendingHeader = /^(@|#)/.test(line.slice(indent.length));
    current.push(line);
  }
  if (current.some((l) => l.trim() !== '')) members.push(current);
  const shared: string[] = [];
  const methods: { name: string; code: string }[] = [];
  const nested: string[] = [];
  for (const member of members) {
    const text = member.join('\n').trimEnd();
    const statement = firstStatement(dedent(member).join('\n'));
    const name = TEST_FUNCTION.exec(statement)?.[1];
    if (TEST_CLASS.test(statement)) nested.push(/^class\s+(\w+)/.exec(statement)?.[1] ?? statement);
    else if (name && !FIXTURE_DECORATOR.test(dedent(member).join('\n'))) methods.push({ name, code: text });
    else shared.push(text);
  }
  return { header: lines[headerIndex], shared, methods, nested };
}

/**
 * Tolerant parser of an LLM's answer into test functions that can be judged one by one: takes fenced code
 * (or code-looking text when there are no fences), ignores prose, keeps imports and shared fixtures apart, splits
 * `class Test...` into one unit per test method (with the class's shared members), and drops an incomplete last
 * test of a truncated answer instead of discarding the whole answer.
 */
export function parseLlmTests(answer: string, options: { truncated?: boolean } = {}): ParsedTestAnswer {
  const { code, unclosedFence } = extractCode(answer);
  const blocks = topLevelBlocks(code);
  const imports: string[] = [];
  const support: string[] = [];
  const tests: ParsedTest[] = [];
  const dropped: string[] = [];
  const names = new Set<string>();
  const unique = (wanted: string) => {
    const name = uniqueName(wanted, (candidate) => names.has(candidate));
    names.add(name);
    return name;
  };
  const mayBeCut = unclosedFence || options.truncated === true;

  blocks.forEach((block, index) => {
    const isLast = index === blocks.length - 1;
    const firstCodeLine = firstStatement(block);
    if (/^(import |from \S+ import )/.test(firstCodeLine)) {
      for (const statement of importStatements(block)) {
        if (isLast && mayBeCut && (bracketDepth(statement) > 0 || statement.trimEnd().endsWith('\\'))) {
          dropped.push('an incomplete import at the end of a truncated answer');
          continue;
        }
        if (!imports.includes(statement)) imports.push(statement);
      }
      return;
    }
    if (!CODE_START.test(firstCodeLine) && !/^(if |try:|with |for |while )/.test(firstCodeLine)) {
      dropped.push(`prose: ${firstCodeLine.slice(0, 60)}`);
      return;
    }
    const cut = isLast && mayBeCut && !looksComplete(block);
    const classMatch = TEST_CLASS.exec(firstCodeLine);
    const functionMatch = TEST_FUNCTION.exec(firstCodeLine);
    if (classMatch) {
      const { header, shared, methods, nested } = splitTestClass(block);
      for (const inner of nested) dropped.push(`${classMatch[1]}.${inner}: nested test classes are not supported`);
      const decorators = block.split('\n').slice(
        0,
        block.split('\n').findIndex((l) => /^class /.test(l)),
      );
      methods.forEach((method, i) => {
        if (cut && i === methods.length - 1) {
          dropped.push(`${classMatch[1]}.${method.name}: cut off`);
          return;
        }
        const name = unique(method.name);
        const renamed = name === method.name ? method.code : renameDefinition(method.code, method.name, name);
        tests.push({
          name,
          className: classMatch[1],
          code: [...decorators, header, [...shared, renamed].join('\n\n')].join('\n'),
        });
      });
      return;
    }
    if (cut) {
      dropped.push(`${functionMatch?.[1] ?? firstCodeLine.slice(0, 40)}: cut off`);
      return;
    }
    if (functionMatch && !FIXTURE_DECORATOR.test(block)) {
      const name = unique(functionMatch[1]);
      tests.push({
        name,
        code: name === functionMatch[1] ? block : renameDefinition(block, functionMatch[1], name),
      });
      return;
    }
    support.push(block);
  });

  return {
    imports,
    support,
    tests,
    truncated: mayBeCut && dropped.some((d) => d.includes('cut off') || d.includes('incomplete')),
    dropped,
  };
}
