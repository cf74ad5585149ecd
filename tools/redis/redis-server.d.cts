// Types of redis-server.cjs for TypeScript specs.
export interface RedisProcess {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Ends the server (SIGTERM) and removes its folder. */
  stop(): Promise<void>;
}

export function startRedis(options?: { timeoutMs?: number; bin?: string }): Promise<RedisProcess>;
export function freePort(): Promise<number>;
