import { existsSync } from 'node:fs';

/** Where Debian-like systems install libfaketime's preload library. */
const FAKETIME_PATHS = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
];
let found: string | null | undefined;

/** libfaketime's preload library, when the machine has it (Debian: `apt-get install libfaketime`); looked up once. */
export function faketimeLibrary(): string | undefined {
  if (found === undefined) found = FAKETIME_PATHS.find((p) => existsSync(p)) ?? null;
  return found ?? undefined;
}

/**
 * Variables that move the clock a Python process sees by `seconds` (libfaketime preloaded); empty when the machine
 * has no libfaketime. Every clock moves by the same offset (monotonic ones too: with `FAKETIME_DONT_FAKE_MONOTONIC`
 * libfaketime 0.9.10 makes Python's `time.sleep` fail with EINVAL), so durations and kernel timers are unchanged.
 */
export function clockShiftEnvironment(
  seconds: number,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const lib = faketimeLibrary();
  if (!lib) return {};
  return {
    LD_PRELOAD: env.LD_PRELOAD ? `${lib}:${env.LD_PRELOAD}` : lib,
    FAKETIME: `${seconds >= 0 ? '+' : ''}${Math.round(seconds)}`,
    FAKETIME_DONT_RESET: '1',
  };
}
