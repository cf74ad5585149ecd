/** Structured fields of a log line. Never put secrets here. */
export type LogFields = Record<string, unknown>;

/**
 * Structured logging, as the core needs it. `child(component)` names the part of the system speaking
 * (`chunker`, `summarizer`, `token_counter`, `llm_service`, `executor`, ...).
 */
export interface Logger {
  child(component: string): Logger;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

/** A logger that drops everything: for embedders that do not want logs, and for unit tests. */
export const silentLogger: Logger = {
  child: () => silentLogger,
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
