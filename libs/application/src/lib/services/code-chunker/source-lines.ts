/** 1-based line access to a source text, slicing the original text so line endings are kept byte for byte. */
export class SourceLines {
  /** `starts[i]` is the offset of line i+1; `starts[lineCount]` is the text length. */
  private readonly starts: number[];

  constructor(readonly source: string) {
    const starts = [0];
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
    if (starts[starts.length - 1] !== source.length) starts.push(source.length);
    this.starts = starts;
  }

  /** Number of lines (a final newline does not start another line). */
  get count(): number {
    return this.starts.length - 1;
  }

  /** Text of lines `start..end` (1-based, inclusive), line endings included. */
  text(start: number, end: number): string {
    return this.source.slice(this.starts[start - 1], this.starts[end]);
  }

  /** One line without its line ending. */
  line(n: number): string {
    return this.text(n, n).replace(/\r?\n$/, '');
  }

  isBlank(n: number): boolean {
    return this.line(n).trim() === '';
  }

  isComment(n: number): boolean {
    return this.line(n).trimStart().startsWith('#');
  }

  indent(n: number): number {
    const l = this.line(n);
    return l.length - l.trimStart().length;
  }

  /**
   * Moves a block boundary at `start` up over the comment lines right above it (same indentation, no blank line
   * between), never to `floor` or above: comments introducing a definition belong to it.
   */
  attachComments(start: number, floor: number): number {
    const indent = this.indent(start);
    let s = start;
    while (s - 1 > floor && this.isComment(s - 1) && this.indent(s - 1) === indent) s--;
    return s;
  }
}
