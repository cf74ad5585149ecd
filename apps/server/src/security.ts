import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '@test-agent/domain';

/** An HTTP refusal the app's error handler sends as problem+json with its status and code. */
export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}

export interface SecurityOptions {
  /** Accepted bearer tokens; with none, every protected request is refused. */
  readonly apiTokens: readonly string[];
  /** Whether `/metrics` needs a token too. */
  readonly metricsAuth: boolean;
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** Routes open without a token: liveness and readiness probes, the OpenAPI document, and `/metrics` unless `metricsAuth`. */
function isOpen(url: string, metricsAuth: boolean): boolean {
  const route = url.split('?')[0];
  return (
    route === '/health' ||
    route.startsWith('/health/') ||
    route === '/openapi.json' ||
    (!metricsAuth && route === '/metrics')
  );
}

/**
 * Bearer-token authentication (tokens compared as SHA-256 digests in constant time, so neither their content
 * nor their length leaks through timing) and one access-log line per request: method, route, status and
 * milliseconds — never the body, the query or a header.
 */
export function registerSecurity(app: FastifyInstance, options: SecurityOptions, logger: Logger): void {
  const accepted = options.apiTokens.map(digest);
  app.addHook('onRequest', async (request, reply) => {
    // An unknown route answers 404 whoever asks.
    if (request.routeOptions.url === undefined || isOpen(request.url, options.metricsAuth)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      void reply.header('WWW-Authenticate', 'Bearer realm="test-agent"');
      throw new HttpProblem(
        401,
        'TA_UNAUTHENTICATED',
        accepted.length
          ? 'This request needs an API token: Authorization: Bearer <token>'
          : 'This server accepts no request on this route: no API token is configured (TEST_AGENT_API_TOKENS)',
      );
    }
    const given = digest(match[1]);
    if (!accepted.some((token) => timingSafeEqual(token, given))) {
      void reply.header('WWW-Authenticate', 'Bearer realm="test-agent", error="invalid_token"');
      throw new HttpProblem(401, 'TA_UNAUTHENTICATED', 'The API token is not valid');
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    logger.info('Request', {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    });
  });
}

/** Who asked: the hex digest of the request's bearer token (jobs belong to it). */
export function ownerOf(authorization: string | undefined): string {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '';
  return digest(token).toString('hex');
}

/**
 * `file` resolved (symbolic links followed, as far as it exists) when it lies inside one of `roots`; a 403
 * `HttpProblem` otherwise — and always when no root is configured, so a request cannot name just any file the
 * server can read.
 */
export function insideServerRoots(file: string, roots: readonly string[], what: string): string {
  if (roots.length === 0) {
    throw new HttpProblem(
      403,
      'TA_SERVER_PATHS_DISABLED',
      `${what}: this server does not accept server-side paths (no serverRoots configured)`,
    );
  }
  const resolved = resolveExisting(path.resolve(file));
  const inside = roots.some((root) => {
    const relative = path.relative(resolveExisting(path.resolve(root)), resolved);
    return relative === '' || (relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative));
  });
  if (!inside)
    throw new HttpProblem(
      403,
      'TA_PATH_OUTSIDE_SERVER_ROOTS',
      `${what}: ${file} is outside the folders this server serves (serverRoots)`,
    );
  return resolved;
}

/** `file` with symbolic links resolved in its longest existing prefix (the rest may not exist yet). */
function resolveExisting(file: string): string {
  let head = file;
  const tail: string[] = [];
  while (!existsSync(head)) {
    const parent = path.dirname(head);
    if (parent === head) break;
    tail.unshift(path.basename(head));
    head = parent;
  }
  return path.join(existsSync(head) ? realpathSync(head) : head, ...tail);
}
