/**
 * Another machine than this one, as far as a test can tell: the time zone, the locale, proxies and the clock.
 * A test is kept only when it also passes under each of these (besides the repeated runs), so a value that comes
 * from the machine rather than from the code under test is never asserted.
 */
export interface MachinePerturbation {
  /** How the report names it. */
  readonly name: string;
  /** Variables set on top of the usual environment. */
  readonly environment: Readonly<Record<string, string>>;
  /** The clock moved by this many seconds (applied where the machine has libfaketime). */
  readonly clockShiftSeconds?: number;
}

/** A proxy on a port nothing listens on: code that reads the proxy settings sees them set. */
const DEAD_PROXY = 'http://127.0.0.1:9';

export const MACHINE_PERTURBATIONS: readonly MachinePerturbation[] = [
  {
    name: 'TZ=Asia/Tokyo, LANG=C, HTTP(S)_PROXY set, another USER',
    environment: {
      TZ: 'Asia/Tokyo',
      USER: 'ta-perturbed',
      LOGNAME: 'ta-perturbed',
      LANG: 'C',
      LC_ALL: 'C',
      HTTP_PROXY: DEAD_PROXY,
      HTTPS_PROXY: DEAD_PROXY,
      http_proxy: DEAD_PROXY,
      https_proxy: DEAD_PROXY,
      NO_PROXY: 'localhost',
      no_proxy: 'localhost',
    },
  },
  {
    name: 'TZ=America/New_York, LC_ALL=C.UTF-8, NO_PROXY=*, clock +1 day',
    environment: {
      TZ: 'America/New_York',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      NO_PROXY: '*',
      no_proxy: '*',
      USER: 'ta-other',
      LOGNAME: 'ta-other',
    },
    clockShiftSeconds: 86_400,
  },
];

/**
 * The machine the offline search's second session runs on: the first perturbation with the clock a day on, so a
 * value that comes from the time zone, the locale, the proxies or the clock differs between its runs.
 */
export const SEARCH_RERUN_MACHINE: MachinePerturbation = { ...MACHINE_PERTURBATIONS[0], clockShiftSeconds: 86_400 };

/** The part of a run's request (pytest or sandbox) that puts it on `machine`. */
export function onMachine(machine: MachinePerturbation | undefined): {
  environment?: Readonly<Record<string, string>>;
  clockShiftSeconds?: number;
} {
  if (!machine) return {};
  return {
    environment: machine.environment,
    ...(machine.clockShiftSeconds ? { clockShiftSeconds: machine.clockShiftSeconds } : {}),
  };
}
