import type { LogFields, Logger } from '../interfaces/logger.port';

/** One captured log line. */
export interface CapturedLog {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly component?: string;
  readonly message: string;
  readonly fields?: LogFields;
}

/** A `Logger` that keeps every line (children share the same list) for assertions. */
export class CapturingLogger implements Logger {
  constructor(
    readonly lines: CapturedLog[] = [],
    private readonly component?: string,
  ) {}

  child(component: string): Logger {
    return new CapturingLogger(this.lines, component);
  }
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'error', component: this.component, message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'warn', component: this.component, message, fields });
  }
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'info', component: this.component, message, fields });
  }
  debug(message: string, fields?: LogFields): void {
    this.lines.push({ level: 'debug', component: this.component, message, fields });
  }

  /** Every line as JSON text, for substring checks. */
  text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }
}
