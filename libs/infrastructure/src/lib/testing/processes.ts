import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * Live processes (zombies excluded) whose command line contains `text`, found through `/proc`: specs use it to
 * prove that nothing a sandboxed test started outlived its run (PIDs inside the sandbox are the sandbox's own).
 */
export function processesMatching(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      const status = existsSync(`/proc/${entry}/status`) ? readFileSync(`/proc/${entry}/status`, 'utf8') : '';
      if (cmdline.includes(text) && !/State:\s+[ZX]/.test(status)) found.push(Number(entry));
    } catch {
      // the process ended while it was being read
    }
  }
  return found;
}
