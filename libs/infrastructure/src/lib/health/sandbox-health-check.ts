import type { HealthCheck, HealthCheckResult } from '@test-agent/domain';
import { SANDBOX_INSTALL_HINT, type PythonLauncher } from '../process/python-launcher';

/** The sandbox of the code under test: bwrap found, its namespaces usable, and a write outside its folder refused. */
export class SandboxHealthCheck implements HealthCheck {
  constructor(private readonly launcher: PythonLauncher) {}

  async run(): Promise<HealthCheckResult[]> {
    const status = await this.launcher.status();
    if (status.setting === 'off') {
      const found = status.bwrap ? `bwrap found at ${status.bwrap}, ` : '';
      return [{ name: 'sandbox', ok: true, detail: `off (${found}the code under test runs unconfined)` }];
    }
    if (!status.confined)
      return [
        {
          name: 'sandbox',
          ok: false,
          detail: status.problem ?? 'bwrap is unusable',
          fix: capitalise(SANDBOX_INSTALL_HINT),
        },
      ];
    const blocked = await this.launcher.writeOutsideIsBlocked();
    return [
      {
        name: 'sandbox',
        ok: blocked,
        detail: blocked
          ? `bubblewrap ${status.version ?? ''} (${status.bwrap}): namespaces usable, a write outside the sandbox's folder fails`.replace(
              '  ',
              ' ',
            )
          : `${status.bwrap} started, but a write outside the sandbox's folder succeeded`,
        fix: blocked ? undefined : 'Check that bwrap is the real bubblewrap and that mount namespaces are allowed',
      },
    ];
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
