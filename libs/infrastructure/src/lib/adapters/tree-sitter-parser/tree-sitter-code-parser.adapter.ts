import type Parser from 'tree-sitter';
import type {
  ClassOutline,
  CodeParser,
  FunctionOutline,
  ImportOutline,
  ImportedName,
  ModuleOutline,
  OutlineItem,
  StatementOutline,
  SyntaxErrorLocation,
} from '@test-agent/domain';
import { findNameOccurrences, namesBetween, type NameOccurrences } from './name-occurrences';
import { pythonParser } from './python-tree-sitter';

type Node = Parser.SyntaxNode;

/** At most this many syntax error locations are reported per module. */
const MAX_ERRORS = 50;

const DEFINITION_TYPES = new Set(['function_definition', 'class_definition', 'decorated_definition']);
const IMPORT_TYPES = new Set(['import_statement', 'import_from_statement', 'future_import_statement']);
const COMPOUND_TYPES = new Set([
  'if_statement',
  'try_statement',
  'with_statement',
  'for_statement',
  'while_statement',
  'match_statement',
]);
const MAIN_GUARD = /^if\s+(__name__\s*==\s*(['"])__main__\2|(['"])__main__\3\s*==\s*__name__)\s*:/;

/** 1-based first line of a node. */
const startLine = (n: Node): number => n.startPosition.row + 1;
/** 1-based last line of a node; a node ending at column 0 ended with the previous line. */
const endLine = (n: Node): number =>
  n.endPosition.column === 0 && n.endPosition.row > n.startPosition.row ? n.endPosition.row : n.endPosition.row + 1;

/**
 * `CodeParser` on tree-sitter-python: a module outline with exact 1-based line spans, imports (relative,
 * parenthesized, conditional), sync/async/decorated functions, classes with methods, nested classes and
 * class-level statements, module-level statements, the module-level names each definition uses, and the
 * locations of syntax errors (the outline is then partial, never an exception).
 */
export class TreeSitterCodeParser implements CodeParser {
  parse(source: string): ModuleOutline {
    const tree = pythonParser().parse(source);
    return new OutlineBuilder(source).build(tree.rootNode);
  }
}

class OutlineBuilder {
  private moduleNames = new Set<string>();
  private readonly imports: ImportOutline[] = [];
  private occurrences?: NameOccurrences;

  constructor(private readonly source: string) {}

  build(root: Node): ModuleOutline {
    const children = root.namedChildren.filter((c) => c.type !== 'comment');
    for (const child of children) this.bindNames(child, this.moduleNames);
    const items: OutlineItem[] = [];
    let docstring: ModuleOutline['docstring'];
    children.forEach((child, index) => {
      const item = this.item(child, index === 0);
      if (item.kind === 'statement' && item.isDocstring)
        docstring = { startLine: item.startLine, endLine: item.endLine, text: this.text(child) };
      items.push(item);
    });
    return {
      lineCount: countLines(this.source),
      docstring,
      imports: this.imports.sort((a, b) => a.startLine - b.startLine),
      items,
      moduleNames: [...this.moduleNames].sort(),
      errors: root.hasError ? this.errors(root) : [],
    };
  }

  private text(n: Node): string {
    return this.source.slice(n.startIndex, n.endIndex);
  }

  private item(node: Node, first: boolean): OutlineItem {
    if (IMPORT_TYPES.has(node.type)) return this.importOf(node, false);
    if (DEFINITION_TYPES.has(node.type)) return this.definition(node, undefined);
    this.collectConditionalImports(node);
    return this.statement(node, first);
  }

  private definition(node: Node, owner: string | undefined): FunctionOutline | ClassOutline {
    const decorators =
      node.type === 'decorated_definition' ? node.namedChildren.filter((c) => c.type === 'decorator') : [];
    const def =
      node.type === 'decorated_definition'
        ? (node.childForFieldName('definition') ?? node.lastNamedChild ?? node)
        : node;
    const name = def.childForFieldName('name');
    const nameText = name ? this.text(name) : '<error>';
    const qualifiedName = owner ? `${owner}.${nameText}` : nameText;
    const colon = def.children.find((c) => c.type === ':');
    const common = {
      name: nameText,
      qualifiedName,
      decorators: decorators.map((d) => this.text(d).replace(/^@\s*/, '')),
      startLine: startLine(node),
      endLine: endLine(node),
      defLine: startLine(def),
      headerEndLine: colon ? colon.startPosition.row + 1 : startLine(def),
    };
    if (def.type === 'class_definition') {
      const body = def.childForFieldName('body');
      const members = (body?.namedChildren ?? [])
        .filter((c) => c.type !== 'comment')
        .map((m): FunctionOutline | ClassOutline | StatementOutline =>
          DEFINITION_TYPES.has(m.type) ? this.definition(m, qualifiedName) : this.statement(m, false),
        );
      const refs = new Set<string>();
      for (const d of decorators) this.references(d, refs);
      const superclasses = def.childForFieldName('superclasses');
      if (superclasses) this.references(superclasses, refs);
      refs.delete(nameText);
      const headerReferences = [...refs].sort();
      for (const m of members) for (const r of m.references) refs.add(r);
      refs.delete(nameText);
      return {
        kind: 'class',
        ...common,
        bases: superclasses
          ? superclasses.namedChildren.filter((c) => c.type !== 'comment').map((c) => this.text(c))
          : [],
        members,
        references: [...refs].sort(),
        headerReferences,
      };
    }
    const refs = new Set<string>();
    this.references(node, refs);
    if (!owner) refs.delete(nameText);
    return {
      kind: 'function',
      ...common,
      isAsync: def.children.some((c) => c.type === 'async'),
      references: [...refs].sort(),
    };
  }

  private statement(node: Node, first: boolean): StatementOutline {
    const defines = new Set<string>();
    this.bindNames(node, defines);
    const refs = new Set<string>();
    this.references(node, refs);
    for (const d of defines) refs.delete(d);
    const isDocstring =
      first &&
      node.type === 'expression_statement' &&
      node.namedChildCount === 1 &&
      /^(string|concatenated_string)$/.test(node.namedChildren[0].type);
    return {
      kind: 'statement',
      type: node.type,
      startLine: startLine(node),
      endLine: endLine(node),
      isDocstring,
      isMainGuard: node.type === 'if_statement' && MAIN_GUARD.test(this.text(node)),
      defines: [...defines].sort(),
      references: [...refs].sort(),
    };
  }

  private importOf(node: Node, conditional: boolean): ImportOutline {
    const names: ImportedName[] = [];
    const bound: string[] = [];
    let module = '';
    let level = 0;
    const style = node.type === 'import_statement' ? 'plain' : 'from';
    if (node.type === 'future_import_statement') module = '__future__';
    const moduleNode = node.childForFieldName('module_name');
    if (moduleNode) {
      if (moduleNode.type === 'relative_import') {
        const prefix = moduleNode.namedChildren.find((c) => c.type === 'import_prefix');
        level = prefix ? this.text(prefix).length : 0;
        const dotted = moduleNode.namedChildren.find((c) => c.type === 'dotted_name');
        module = dotted ? this.text(dotted) : '';
      } else {
        module = this.text(moduleNode);
      }
    }
    for (const child of node.namedChildren) {
      if (child.id === moduleNode?.id || child.type === 'comment') continue;
      if (child.type === 'wildcard_import') {
        names.push({ name: '*' });
      } else if (child.type === 'aliased_import') {
        const name = this.text(child.childForFieldName('name') ?? child);
        const alias = child.childForFieldName('alias');
        names.push(alias ? { name, alias: this.text(alias) } : { name });
        bound.push(alias ? this.text(alias) : name.split('.')[0]);
      } else if (child.type === 'dotted_name') {
        const name = this.text(child);
        names.push({ name });
        bound.push(style === 'plain' ? name.split('.')[0] : name);
      }
    }
    if (style === 'plain') module = names[0]?.name ?? '';
    const outline: ImportOutline = {
      kind: 'import',
      style,
      module,
      level,
      names,
      boundNames: bound,
      conditional,
      startLine: startLine(node),
      endLine: endLine(node),
      text: this.text(node),
    };
    this.imports.push(outline);
    return outline;
  }

  /** Imports nested in module-level `try`/`if`/`with`/... (not inside functions or classes). */
  private collectConditionalImports(node: Node): void {
    if (!COMPOUND_TYPES.has(node.type) && node.type !== 'ERROR') return;
    const visit = (n: Node): void => {
      for (const c of n.namedChildren) {
        if (IMPORT_TYPES.has(c.type)) this.importOf(c, true);
        else if (!DEFINITION_TYPES.has(c.type) && c.type !== 'lambda') visit(c);
      }
    };
    visit(node);
  }

  /** Names a statement binds at its own level (not inside nested functions or classes). */
  private bindNames(node: Node, into: Set<string>): void {
    switch (node.type) {
      case 'function_definition':
      case 'class_definition': {
        const name = node.childForFieldName('name');
        if (name) into.add(this.text(name));
        return;
      }
      case 'decorated_definition': {
        const def = node.childForFieldName('definition');
        if (def) this.bindNames(def, into);
        return;
      }
      case 'import_statement':
      case 'import_from_statement':
      case 'future_import_statement': {
        for (const child of node.namedChildren) {
          if (child.type === 'aliased_import') {
            const alias = child.childForFieldName('alias');
            const name = child.childForFieldName('name');
            if (alias) into.add(this.text(alias));
            else if (name) into.add(this.text(name).split('.')[0]);
          } else if (child.type === 'dotted_name' && child.id !== node.childForFieldName('module_name')?.id) {
            into.add(this.text(child).split('.')[0]);
          }
        }
        return;
      }
      case 'assignment':
      case 'augmented_assignment': {
        const left = node.childForFieldName('left');
        if (left) this.targetNames(left, into);
        const right = node.childForFieldName('right');
        if (right && (right.type === 'assignment' || right.type === 'augmented_assignment'))
          this.bindNames(right, into);
        return;
      }
      case 'for_statement': {
        const left = node.childForFieldName('left');
        if (left) this.targetNames(left, into);
        break;
      }
      case 'as_pattern_target':
        this.targetNames(node, into);
        return;
      case 'lambda':
        return;
      default:
        break;
    }
    for (const child of node.namedChildren) this.bindNames(child, into);
  }

  private targetNames(node: Node, into: Set<string>): void {
    if (node.type === 'identifier') into.add(this.text(node));
    else if (
      /^(pattern_list|tuple_pattern|list_pattern|list_splat_pattern|as_pattern_target|expression_list|tuple|list|parenthesized_expression)$/.test(
        node.type,
      )
    ) {
      for (const c of node.namedChildren) this.targetNames(c, into);
    }
  }

  /** Module-level names used in `node`. */
  private references(node: Node, into: Set<string>): void {
    this.occurrences ??= findNameOccurrences(this.source, this.moduleNames);
    namesBetween(this.occurrences, node.startIndex, node.endIndex, into);
  }

  private errors(root: Node): SyntaxErrorLocation[] {
    const found: SyntaxErrorLocation[] = [];
    const cursor = root.walk();
    for (;;) {
      if (found.length >= MAX_ERRORS) break;
      const type = cursor.nodeType;
      if (type === 'ERROR' || cursor.nodeIsMissing) {
        const { row, column } = cursor.startPosition;
        const end = cursor.endPosition;
        const snippet = this.source.slice(cursor.startIndex, cursor.endIndex).split('\n')[0].trim().slice(0, 40);
        found.push({
          line: row + 1,
          column: column + 1,
          endLine: end.column === 0 && end.row > row ? end.row : end.row + 1,
          message: cursor.nodeIsMissing
            ? `missing "${type}"`
            : snippet
              ? `unexpected "${snippet}"`
              : 'unexpected end of input',
        });
      } else if (cursor.gotoFirstChild()) {
        continue;
      }
      let moved = false;
      while (!(moved = cursor.gotoNextSibling())) {
        if (!cursor.gotoParent()) break;
      }
      if (!moved) break;
    }
    return found;
  }
}

/** Lines of a text; a final newline does not start another line. */
export function countLines(source: string): number {
  if (source.length === 0) return 0;
  let n = 1;
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) n++;
  return source.endsWith('\n') ? n - 1 : n;
}
