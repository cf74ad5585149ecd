import type {
  CallPlan,
  CallResult,
  ExecutionSandbox,
  ModuleInterface,
  SandboxSession,
} from '../interfaces/execution-sandbox.port';
import type { ModuleTarget } from '../value-objects/module-target.value-object';

/** Decides what a plan does in the fake sandbox (the "module" of a unit test). */
export type FakeBehaviour = (plan: CallPlan) => CallResult;

/**
 * An `ExecutionSandbox` whose module is a description plus a function from plans to results. Records every
 * session opened and every plan executed, so specs can assert on what the search tried.
 */
export class FakeExecutionSandbox implements ExecutionSandbox {
  readonly opened: { target: ModuleTarget; hashSeed?: number }[] = [];
  readonly executed: CallPlan[] = [];
  closed = 0;

  constructor(
    private readonly module: ModuleInterface,
    private readonly behaviour: FakeBehaviour,
  ) {}

  async open(target: ModuleTarget, options: { readonly hashSeed?: number } = {}): Promise<SandboxSession> {
    this.opened.push({ target, hashSeed: options.hashSeed });
    const session: SandboxSession = {
      module: this.module,
      execute: async (plans) => {
        this.executed.push(...plans);
        return plans.map((p) => this.behaviour(p));
      },
      close: async () => {
        this.closed++;
      },
    };
    return session;
  }
}
