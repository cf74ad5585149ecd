import type { HealthCheck, HealthCheckResult } from '@test-agent/domain';
import type { LlmService } from '../services/llm-service/llm.service';

/**
 * Reachability of each configured LLM endpoint (`llm primary`, `llm fallback`), for `doctor` and `/health/ready`.
 * With no endpoint configured it reports one passing line saying the offline engine is used.
 */
export class LlmHealthCheck implements HealthCheck {
  constructor(private readonly llm: LlmService) {}

  async run(): Promise<HealthCheckResult[]> {
    if (!this.llm.configured)
      return [
        {
          name: 'llm',
          ok: true,
          detail: 'not configured: the offline engine is used (set LLM_PROVIDER to use a model)',
        },
      ];
    const all = await this.llm.ping();
    return all.map((h) => ({
      name: `llm ${h.role}`,
      ok: h.ok,
      detail: `${h.endpoint}${h.model ? ` model ${h.model}` : ''}, ${h.latencyMs} ms: ${h.detail}`,
      fix: h.ok
        ? undefined
        : 'Check LLM_URL / LLM_FALLBACK_URL, the credentials and the network; "test-agent llm ping" retests',
    }));
  }
}
