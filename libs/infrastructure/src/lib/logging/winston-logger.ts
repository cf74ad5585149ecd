import winston from 'winston';
import type { Logger, LogFields } from '@test-agent/domain';

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** winston level: error, warn, info, debug. */
  readonly level: string;
  /** `json` (default, one object per line) or `pretty` (for a human on a TTY). */
  readonly format: LogFormat;
  /** Where log lines go; the CLI keeps stdout for results, so logs go to stderr. */
  readonly stream?: NodeJS.WritableStream;
  /** Values that must never be printed (API keys, tokens): replaced by `[REDACTED]` in every line. */
  readonly secrets?: readonly string[];
}

const redactor = (secrets: readonly string[]) =>
  winston.format((info) => {
    const usable = secrets.filter((s) => s.length >= 4);
    if (usable.length === 0) return info;
    const scrub = (v: unknown): unknown => {
      if (typeof v === 'string') return usable.reduce((acc, s) => acc.split(s).join('[REDACTED]'), v);
      return v;
    };
    for (const key of Object.keys(info)) (info as Record<string, unknown>)[key] = scrub(info[key]);
    const message = Symbol.for('message');
    if (typeof (info as Record<symbol, unknown>)[message] === 'string') {
      (info as Record<symbol, unknown>)[message] = scrub((info as Record<symbol, unknown>)[message]);
    }
    return info;
  })();

/** A winston-backed `Logger`: `app=test-agent` and a `component` field on every line. */
export class WinstonLogger implements Logger {
  private constructor(private readonly inner: winston.Logger) {}

  static create(options: LoggerOptions): WinstonLogger {
    const secrets = options.secrets ?? [];
    const format =
      options.format === 'json'
        ? winston.format.combine(
            winston.format.timestamp(),
            redactor(secrets),
            winston.format.json(),
            redactor(secrets),
          )
        : winston.format.combine(
            redactor(secrets),
            winston.format.colorize(),
            winston.format.printf(({ level, message, component, app: _app, ...rest }) => {
              const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
              return `${level} [${String(component ?? 'test-agent')}] ${String(message)}${extra}`;
            }),
            redactor(secrets),
          );
    const inner = winston.createLogger({
      level: options.level,
      defaultMeta: { app: 'test-agent' },
      format,
      transports: [new winston.transports.Stream({ stream: options.stream ?? process.stderr })],
    });
    return new WinstonLogger(inner);
  }

  child(component: string): Logger {
    return new WinstonLogger(this.inner.child({ component }));
  }

  error(message: string, fields?: LogFields): void {
    this.inner.error(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.inner.warn(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.inner.info(message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.inner.debug(message, fields);
  }
}
