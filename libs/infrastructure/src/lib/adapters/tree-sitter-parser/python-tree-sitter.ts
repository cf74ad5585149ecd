import Parser from 'tree-sitter';
import Python from 'tree-sitter-python';

let sharedParser: Parser | undefined;

/** One tree-sitter parser of Python per process (building one loads the grammar), shared by the adapters. */
export function pythonParser(): Parser {
  if (!sharedParser) {
    sharedParser = new Parser();
    sharedParser.setLanguage(Python as unknown as Parser.Language);
  }
  return sharedParser;
}
