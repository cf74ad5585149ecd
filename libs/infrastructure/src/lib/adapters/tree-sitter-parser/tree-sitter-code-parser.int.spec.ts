import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClassOutline, FunctionOutline, OutlineItem, StatementOutline } from '@test-agent/domain';
import { TreeSitterCodeParser, countLines } from './tree-sitter-code-parser.adapter';

const fixture = (name: string) => readFileSync(path.join(__dirname, '__fixtures__', name), 'utf8');
const parser = new TreeSitterCodeParser();

describe('TreeSitterCodeParser on outline_sample.py', () => {
  const outline = parser.parse(fixture('outline_sample.py'));
  const byName = (name: string) => outline.items.find((i) => 'name' in i && i.name === name) as OutlineItem;

  it('finds the module docstring and counts lines', () => {
    expect(outline.lineCount).toBe(79);
    expect(outline.docstring).toEqual({ startLine: 1, endLine: 1, text: '"""Sample module for the outline tests."""' });
    expect(outline.errors).toEqual([]);
  });

  it('reads absolute, aliased, parenthesized, relative, wildcard and conditional imports', () => {
    expect(
      outline.imports.map((i) => [
        i.startLine,
        i.endLine,
        i.style,
        i.module,
        i.level,
        i.names,
        i.boundNames,
        i.conditional,
      ]),
    ).toEqual([
      [3, 3, 'plain', 'os', 0, [{ name: 'os' }], ['os'], false],
      [4, 4, 'plain', 'os.path', 0, [{ name: 'os.path', alias: 'osp' }, { name: 'sys' }], ['osp', 'sys'], false],
      [
        5,
        8,
        'from',
        'collections',
        0,
        [{ name: 'OrderedDict' }, { name: 'defaultdict', alias: 'dd' }],
        ['OrderedDict', 'dd'],
        false,
      ],
      [9, 9, 'from', '', 1, [{ name: 'sibling' }], ['sibling'], false],
      [10, 10, 'from', 'pkg.sub', 2, [{ name: 'thing', alias: 'other' }], ['other'], false],
      [11, 11, 'from', 'models', 1, [{ name: '*' }], [], false],
      [14, 14, 'plain', 'ujson', 0, [{ name: 'ujson', alias: 'json' }], ['json'], true],
      [16, 16, 'plain', 'json', 0, [{ name: 'json' }], ['json'], true],
      [19, 19, 'from', 'tomllib', 0, [{ name: 'loads' }], ['loads'], true],
    ]);
  });

  it('lists top-level items in order with exact 1-based spans', () => {
    const summary = outline.items.map(
      (i) =>
        `${i.kind}:${'name' in i ? i.name : i.kind === 'statement' ? i.type : i.module}@${i.startLine}-${i.endLine}`,
    );
    expect(summary).toEqual([
      'statement:expression_statement@1-1',
      'import:os@3-3',
      'import:os.path@4-4',
      'import:collections@5-8',
      'import:@9-9',
      'import:pkg.sub@10-10',
      'import:models@11-11',
      'statement:try_statement@13-16',
      'statement:if_statement@18-21',
      'statement:expression_statement@23-23',
      'statement:expression_statement@24-24',
      'function:plain@27-28',
      'function:fetch@31-33',
      'function:decorated@37-42',
      'class:Base@45-66',
      'class:Child@69-71',
      'function:main@74-75',
      'statement:if_statement@78-79',
    ]);
  });

  it('marks async definitions and gives decorator lines to the decorated definition', () => {
    const fetch = byName('fetch') as FunctionOutline;
    expect(fetch).toMatchObject({ isAsync: true, defLine: 31, headerEndLine: 31, decorators: [] });
    const decorated = byName('decorated') as FunctionOutline;
    expect(decorated).toMatchObject({
      isAsync: false,
      startLine: 37,
      defLine: 41,
      endLine: 42,
      decorators: ['staticmethod', 'dd(\n    list,\n)'],
    });
  });

  it('outlines classes: methods (async, decorated), nested classes, class-level statements', () => {
    const base = byName('Base') as ClassOutline;
    expect(
      base.members.map((m) => `${m.kind}:${'name' in m ? m.qualifiedName : m.type}@${m.startLine}-${m.endLine}`),
    ).toEqual([
      'statement:expression_statement@46-46',
      'statement:expression_statement@48-48',
      'statement:expression_statement@49-49',
      'function:Base.__init__@51-53',
      'function:Base.label@55-57',
      'function:Base.refresh@59-60',
      'class:Base.Meta@62-66',
    ]);
    expect((base.members[4] as FunctionOutline).decorators).toEqual(['property']);
    expect((base.members[5] as FunctionOutline).isAsync).toBe(true);
    expect((base.members[1] as StatementOutline).defines).toEqual(['kind']);
    const meta = base.members[6] as ClassOutline;
    expect(meta.members.map((m) => ('name' in m ? m.qualifiedName : m.type))).toEqual([
      'expression_statement',
      'Base.Meta.describe',
    ]);
    expect(byName('Child')).toMatchObject({ bases: ['Base', 'metaclass=type'], headerReferences: ['Base'] });
  });

  it('gives each definition the module-level names it uses (not attributes, keywords or itself)', () => {
    expect((byName('plain') as FunctionOutline).references).toEqual(['LIMIT']);
    expect((byName('fetch') as FunctionOutline).references).toEqual(['json', 'other']);
    expect((byName('decorated') as FunctionOutline).references).toEqual(['OrderedDict', 'dd', 'plain']);
    expect((byName('main') as FunctionOutline).references).toEqual(['Child', 'os', 'osp']);
    expect((byName('Base') as ClassOutline).references).toEqual(['LIMIT', 'NAMES', 'fetch']);
    expect(outline.moduleNames).toEqual([
      'Base',
      'COUNT',
      'Child',
      'LIMIT',
      'NAMES',
      'OrderedDict',
      'dd',
      'decorated',
      'fetch',
      'json',
      'loads',
      'main',
      'os',
      'osp',
      'other',
      'plain',
      'sibling',
      'sys',
    ]);
  });

  it('finds module-level statements: constants, conditional definitions, the __main__ guard', () => {
    const statements = outline.items.filter((i): i is StatementOutline => i.kind === 'statement');
    expect(statements.map((s) => [s.startLine, s.defines, s.isMainGuard])).toEqual([
      [1, [], false],
      [13, ['json'], false],
      [18, ['loads'], false],
      [23, ['LIMIT'], false],
      [24, ['COUNT', 'NAMES'], false],
      [78, [], true],
    ]);
    expect(statements[5].references).toEqual(['main']);
  });
});

describe('TreeSitterCodeParser on broken code', () => {
  it('returns a partial outline and the error locations, never throws', () => {
    const outline = parser.parse(fixture('syntax_error.py'));
    expect(
      outline.items.map(
        (i) =>
          `${i.kind}:${'name' in i ? i.name : i.kind === 'statement' ? i.type : i.module}@${i.startLine}-${i.endLine}`,
      ),
    ).toEqual([
      'import:os@1-1',
      'function:good@4-5',
      'statement:ERROR@8-9',
      'class:Fine@12-14',
      'statement:ERROR@17-17',
    ]);
    expect(outline.errors).toEqual([
      { line: 8, column: 1, endLine: 9, message: 'unexpected "def broken(a:"' },
      { line: 17, column: 1, endLine: 17, message: 'unexpected "x = (1, 2"' },
    ]);
  });

  it('handles non-ASCII text with exact names and lines', () => {
    const outline = parser.parse('ИМЯ = "привет 😀"\n\ndef функция():\n    return ИМЯ\n');
    expect(outline.items[1]).toMatchObject({
      kind: 'function',
      name: 'функция',
      startLine: 3,
      endLine: 4,
      references: ['ИМЯ'],
    });
  });

  it('counts lines like an editor', () => {
    expect([countLines(''), countLines('a'), countLines('a\n'), countLines('a\nb'), countLines('\n\n')]).toEqual([
      0, 1, 1, 2, 2,
    ]);
  });
});
