/** How the processes that run the code under test are contained, as reports show it. */
export interface ContainmentStatus {
  /** They run in a sandbox (read-only file system but for their own folder, no network, own PID namespace). */
  readonly confined: boolean;
  /** What contains them, e.g. `bubblewrap 0.8.0`; absent when unconfined. */
  readonly mechanism?: string;
}

/** The policy for running code under test: sandboxed, or unconfined only when the configuration says so. */
export interface Containment {
  /**
   * The status code under test will run with. Throws `EnvironmentError` (`TA_SANDBOX_UNAVAILABLE`) when the
   * sandbox is required but unusable, before anything of the user's runs.
   */
  require(): Promise<ContainmentStatus>;
}
