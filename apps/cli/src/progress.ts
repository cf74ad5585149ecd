import { SingleBar } from 'cli-progress';
import type { LlmProgressEvent } from '@test-agent/application';

export interface ProgressReporter {
  readonly update: (module: string, event: LlmProgressEvent) => void;
  readonly stop: () => void;
}

/**
 * Progress of the LLM phase, chunk by chunk: a live bar on a terminal (status, coverage so far, tokens), plain
 * lines otherwise (CI logs). Always on stderr, so stdout keeps only the result.
 */
export function createProgressReporter(options: { tty: boolean; stream: NodeJS.WriteStream }): ProgressReporter {
  let bar: SingleBar | undefined;
  const line = (text: string) => options.stream.write(`${text}\n`);
  return {
    update: (module, event) => {
      if (!options.tty) {
        if (event.type === 'chunk-start') line(`[${module}] chunk ${event.chunk + 1}/${event.of} (${event.symbols.join(', ') || 'module code'}), round ${event.iteration}`);
        if (event.type === 'chunk-done') line(`[${module}] chunk ${event.chunk + 1}: ${event.accepted} tests accepted, line+branch ${event.combinedPercent.toFixed(1)} %, ${event.tokens} tokens so far`);
        if (event.type === 'stopped') line(`[${module}] LLM phase stopped by ${event.reason} at ${event.combinedPercent.toFixed(1)} %`);
        return;
      }
      if (event.type === 'chunk-start') {
        if (!bar) {
          bar = new SingleBar(
            { format: '{module} |{bar}| chunk {value}/{total} {status} | line+branch {coverage} % | {tokens} tokens', stream: options.stream, hideCursor: true, clearOnComplete: false },
          );
          bar.start(event.of, 0, { module, status: '', coverage: '—', tokens: 0 });
        }
        bar.setTotal(event.of);
        bar.update(event.chunk, { module, status: `${event.symbols.slice(0, 3).join(', ')} (round ${event.iteration})` });
      } else if (event.type === 'chunk-done') {
        bar?.update(event.chunk + 1, { coverage: event.combinedPercent.toFixed(1), tokens: event.tokens, status: `${event.accepted} accepted` });
      } else {
        bar?.update({ status: `stopped: ${event.reason}`, coverage: event.combinedPercent.toFixed(1) });
        bar?.stop();
        bar = undefined;
      }
    },
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}
