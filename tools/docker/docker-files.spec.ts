import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { METRIC_CATALOGUE } from '@test-agent/infrastructure';

// No Docker engine runs on the build machines, so the deployment files are checked statically here.
const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('docker/', () => {
  it('compose: service test-agent on the external infra network, LLM env, ready health check, scalable', () => {
    const compose = parse(read('docker/docker-compose.test-agent.yml')) as {
      services: Record<
        string,
        {
          environment: Record<string, string>;
          healthcheck: { test: string[] };
          networks: string[];
          ports?: unknown;
          container_name?: unknown;
          build: { dockerfile: string; context: string };
        }
      >;
      networks: Record<string, { external: boolean }>;
    };
    const service = compose.services['test-agent'];
    expect(service).toBeDefined();
    expect(Object.keys(service.environment)).toEqual(expect.arrayContaining(['LLM_URL', 'LLM_MODEL', 'LLM_PROVIDER']));
    expect(service.healthcheck.test.join(' ')).toContain('/health/ready');
    expect(service.networks).toContain('infra_infra_app-network');
    expect(compose.networks['infra_infra_app-network'].external).toBe(true);
    // `--scale test-agent=N` fails with a fixed container name or a fixed host port.
    expect(service.container_name).toBeUndefined();
    expect(service.ports).toBeUndefined();
    expect(existsSync(path.resolve(root, 'docker', service.build.context, service.build.dockerfile))).toBe(true);
  });

  it('compose: Docker waits longer than the drain timeout before it kills a stopping replica', () => {
    const compose = parse(read('docker/docker-compose.test-agent.yml')) as {
      services: Record<string, { environment: Record<string, string>; stop_grace_period?: string }>;
    };
    const service = compose.services['test-agent'];
    const drain = Number(
      /^\$\{TEST_AGENT_DRAIN_TIMEOUT:-(\d+)\}$/.exec(service.environment.TEST_AGENT_DRAIN_TIMEOUT)?.[1],
    );
    const grace = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1]);
    expect(drain).toBeGreaterThan(0);
    // The drain, then closing the server (up to 10 s for in-flight requests).
    expect(grace).toBeGreaterThanOrEqual(drain + 10);
  });

  it('compose: a redis service (Debian redis-server, password, no host port) that every scaled replica shares', () => {
    const compose = parse(read('docker/docker-compose.test-agent.yml')) as {
      services: Record<
        string,
        {
          environment: Record<string, string>;
          healthcheck: { test: string[] };
          networks: string[];
          ports?: unknown;
          container_name?: unknown;
          volumes?: string[];
          depends_on?: Record<string, { condition: string }>;
          build: { dockerfile: string; context: string };
        }
      >;
      volumes: Record<string, unknown>;
    };
    const redis = compose.services.redis;
    const agent = compose.services['test-agent'];
    expect(redis).toBeDefined();
    // Scaling test-agent must not clash on a host port or a name; Redis is reached on the compose network only.
    for (const service of [redis, agent]) {
      expect(service.ports).toBeUndefined();
      expect(service.container_name).toBeUndefined();
      expect(service.networks).toContain('infra_infra_app-network');
    }
    expect(agent.environment.REDIS_URL).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD\}@redis:6379$/);
    expect(agent.environment).toHaveProperty('TEST_AGENT_JOB_STALLED_SECONDS');
    expect(agent.depends_on?.redis.condition).toBe('service_healthy');
    expect(redis.environment.REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?/);
    expect(redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
    // Queued jobs survive a Redis restart: its data is a named volume.
    const [volume] = (redis.volumes ?? [])[0]?.split(':') ?? [];
    expect(Object.keys(compose.volumes)).toContain(volume);
    const dockerfile = readFileSync(path.resolve(root, 'docker', redis.build.context, redis.build.dockerfile), 'utf8');
    expect(dockerfile).toMatch(/^FROM debian:bookworm/m);
    expect(dockerfile).toMatch(/apt-get install [^\n]*\bredis-server\b/);
    // BullMQ needs noeviction; the password never reaches the command line.
    expect(dockerfile).toContain('--maxmemory-policy noeviction');
    expect(dockerfile).toContain('requirepass');
    expect(dockerfile).not.toMatch(/--requirepass/);
    expect(dockerfile).toMatch(/^USER redis$/m);
  });

  it('Dockerfile: copies only paths that exist and starts the built server', () => {
    const dockerfile = read('docker/Dockerfile');
    const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(' '));
    for (const source of copies.filter((s) => s !== '.')) expect(existsSync(path.join(root, source))).toBe(true);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/apps\/server\/main.js"\]/);
    expect(dockerfile).toContain('libs/infrastructure/src/lib/python/requirements.txt');
    expect(existsSync(path.join(root, 'libs/infrastructure/src/lib/python/requirements.txt'))).toBe(true);
  });

  it('sandbox: the runtime image installs bubblewrap and runs unprivileged; compose grants bwrap its namespaces, no more', () => {
    const dockerfile = read('docker/Dockerfile');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/apt-get install [^\n]*\bbubblewrap\b/);
    // setpriv (util-linux): a job's CLI dies with its replica.
    expect(runtime).toMatch(/apt-get install [^\n]*\butil-linux\b/);
    // The grant below adds no capability because bwrap runs as a non-root user inside its own user namespace.
    const user = [...runtime.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]).pop();
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);

    const compose = parse(read('docker/docker-compose.test-agent.yml')) as {
      services: Record<
        string,
        { environment: Record<string, string>; security_opt?: string[]; privileged?: unknown; cap_add?: unknown }
      >;
    };
    const service = compose.services['test-agent'];
    expect(service.environment.TEST_AGENT_SANDBOX).toBe('on');
    expect([...(service.security_opt ?? [])].sort()).toEqual([
      'apparmor=unconfined',
      'seccomp=unconfined',
      'systempaths=unconfined',
    ]);
    expect(service.privileged).toBeUndefined();
    expect(service.cap_add).toBeUndefined();
  });

  it('alert rules: the five runbook alerts on metric names the runbook defines', () => {
    const rules = (
      parse(read('docker/prometheus/test-agent-alerts.yml')) as {
        groups: { rules: { alert: string; expr: string }[] }[];
      }
    ).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'TestAgentHighErrorRate',
      'TestAgentLLMServiceDown',
      'TestAgentLowCoverage',
      'TestAgentServiceDown',
      'TestAgentTokenCountInaccurate',
    ]);
    // Histograms are queried through their `_sum`/`_count`/`_bucket` series (tools/prometheus checks a real scrape).
    const used = new Set(
      rules.flatMap((r) =>
        (r.expr.match(/test_agent_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, '')),
      ),
    );
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(Object.keys(METRIC_CATALOGUE)).toContain(name);
  });

  it('Grafana dashboard: every panel queries metrics the server exports', () => {
    const dashboard = JSON.parse(read('docker/grafana/test-agent-dashboard.json')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const used = new Set(
      dashboard.panels.flatMap((p) =>
        p.targets.flatMap((t) =>
          (t.expr.match(/test_agent_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, '')),
        ),
      ),
    );
    const exported = Object.keys(METRIC_CATALOGUE);
    // Histograms are queried through their `_bucket`, `_sum` and `_count` series.
    for (const name of used) expect(exported).toContain(name);
    expect(used.size).toBe(9);
  });
});
