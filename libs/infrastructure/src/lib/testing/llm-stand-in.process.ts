import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../file-system/package-root';

/** What specs read back from the stand-in (see tools/llm-stand-in/README.md, "Control API"). */
export interface LlmStandInState {
  readonly stats: {
    readonly requests: number;
    readonly oauth: number;
    readonly unauthorized: number;
    readonly byPath: Record<string, number>;
    readonly maxInFlightChat: number;
    readonly truncatedPrompts: number;
    readonly faultsApplied: number;
    /** Answers streamed, tokens written in streams, streams that went silent (`stallAfterTokens`). */
    readonly streams: number;
    readonly streamedTokens: number;
    readonly stalledStreams: number;
    /** The usage the stand-in reported with its answers, summed. */
    readonly promptTokens: number;
    readonly completionTokens: number;
  };
  readonly requests: {
    at: number;
    method: string;
    path: string;
    authScheme?: string;
    rqUID?: string;
    body?: unknown;
  }[];
  /** One entry per answer: where it came from (rule, cassette, reader, default, echo), and the scripted model's log. */
  readonly answers: {
    readonly at: number;
    readonly path: string;
    readonly source: string;
    readonly finishReason: string;
    readonly promptTokens: number;
    readonly completionTokens: number;
    readonly reader?: StandInReaderLog;
  }[];
  /** GigaChat access tokens issued so far (to prove they never reach a log). */
  readonly issuedTokens: string[];
}

/** What the scripted model (`reader`) logs per answer (tools/llm-stand-in/README.md, "Scripted model"). */
export interface StandInReaderLog {
  readonly kind: string;
  readonly refused?: string;
  readonly answer?: number;
  readonly marks?: { readonly lines: number[]; readonly branches: [number, number][] };
  readonly tests?: { readonly name: string; readonly lines: number[]; readonly branches: [number, number][] }[];
  readonly mistakes?: string[];
  readonly repaired?: string[];
  readonly unfixable?: string[];
}

/** A running stand-in process. Script and fault objects follow tools/llm-stand-in/README.md. */
export interface LlmStandInProcess {
  readonly url: string;
  state(): Promise<LlmStandInState>;
  inject(...faults: Record<string, unknown>[]): Promise<void>;
  setScript(script: Record<string, unknown>): Promise<void>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the LLM stand-in (`tools/llm-stand-in/main.cjs`) as a child process on a free port with `script`.
 * For specs only. `tls` serves HTTPS with the given PEM files (the control API then is not available here).
 */
export async function startLlmStandIn(
  script: Record<string, unknown> = {},
  options: { cassetteFile?: string; tls?: { certFile: string; keyFile: string } } = {},
): Promise<LlmStandInProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llm-stand-in-'));
  const scriptFile = path.join(dir, 'script.json');
  writeFileSync(scriptFile, JSON.stringify(script));
  const args = [path.join(packageRoot(), 'tools', 'llm-stand-in', 'main.cjs'), '--port', '0', '--script', scriptFile];
  if (options.cassetteFile) args.push('--cassette', options.cassetteFile);
  if (options.tls) args.push('--tls-cert', options.tls.certFile, '--tls-key', options.tls.keyFile);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`LLM stand-in exited with ${code}: ${stderr}`)));
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
  const control = async (method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> => {
    if (url.startsWith('https:'))
      throw new Error('the control API of a TLS stand-in is not reachable from this helper');
    const response = await fetch(`${url}/__stand-in/${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`LLM stand-in control ${route}: HTTP ${response.status}`);
    return response.json();
  };
  const handle: LlmStandInProcess = {
    url,
    state: async () => (await control('GET', 'state')) as LlmStandInState,
    inject: async (...faults) => {
      await control('POST', 'faults', faults);
    },
    setScript: async (s) => {
      await control('POST', 'script', s);
    },
    reset: async () => {
      await control('POST', 'reset', {});
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
  return handle;
}
