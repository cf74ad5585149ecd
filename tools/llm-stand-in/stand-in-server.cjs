'use strict';
// The LLM stand-in: a small HTTP(S) server that speaks the three protocols Test Agent talks to (GigaChat's native
// API with OAuth, the in-house llm-api gateway, OpenAI-compatible chat completions), answers from a script or a
// recorded cassette, and injects faults on demand. FOR TESTS AND DEMOS ONLY: nothing in the product depends on it.
// The script format and the control API are documented in README.md beside this file.
const http = require('node:http');
const https = require('node:https');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { ScriptedModel } = require('./scripted-model.cjs');

const CHAT_PATHS = new Set(['/chat', '/v1/chat/completions', '/api/v1/chat/completions']);
const GIGACHAT_SCOPES = new Set(['GIGACHAT_API_PERS', 'GIGACHAT_API_B2B', 'GIGACHAT_API_CORP']);
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const TOKEN_PATTERN = /\s*(?:[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_])/gu;
const MAX_LOGGED_REQUESTS = 2000;

/** The stand-in's own deterministic tokenizer: one token per word or punctuation mark. */
function countTokens(text) {
  return (String(text).match(TOKEN_PATTERN) || []).length;
}

/** Prompt tokens of a chat: content tokens + 4 per message + 3 for the assistant's turn. */
function countPromptTokens(messages) {
  return messages.reduce((sum, m) => sum + countTokens(m.content) + 4, 3);
}

function cutToTokens(text, n) {
  return (String(text).match(TOKEN_PATTERN) || []).slice(0, n).join('');
}

function readJsonLines(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not JSON (${e.message})`);
      }
    });
}

function normaliseScript(script = {}) {
  const model = script.model || 'stand-in-model';
  return {
    model,
    models: script.models || [model],
    responses: (script.responses || []).map((r) => ({ ...r, used: 0 })),
    default: script.default,
    echo: Boolean(script.echo),
    apiKey: script.apiKey,
    contextWindow: script.contextWindow,
    latencyMs: script.latencyMs || 0,
    // Streamed answers (`stream: true`): tokens per second (0: as fast as the socket takes them).
    stream: { tokensPerSecond: 0, ...(script.stream || {}) },
    gigachat: {
      authKey: undefined,
      tokenTtlMs: 30 * 60 * 1000,
      maxConcurrency: 0,
      maxTokenRequestsPerSecond: 10,
      ...(script.gigachat || {}),
    },
    llmApi: { chatRoute: true, usage: false, healthy: true, device: 'cpu', ...(script.llmApi || {}) },
    // vLLM: `GET /v1/models` lists each model's max_model_len.
    maxModelLen: script.maxModelLen,
    // Ollama: `GET /`, `POST /api/show` (num_ctx among the parameters, model_info's context_length) and
    // `GET /api/ps` (the loaded model's allocated context_length) answer only when this is set.
    ollama: script.ollama,
    cassette: [...(script.cassette || [])],
    // The scripted model: answers computed from the prompt (README.md, "Scripted model").
    reader: script.reader ? { options: script.reader === true ? {} : script.reader } : undefined,
    faults: [],
  };
}

class LlmStandIn {
  /**
   * @param {object} script see README.md ("Script format")
   * @param {{ cassetteFile?: string }} [options]
   */
  constructor(script = {}, options = {}) {
    this.script = undefined;
    this.resetState();
    this.setScript(script);
    if (options.cassetteFile) this.loadCassette(options.cassetteFile);
    this.server = undefined;
    this.sockets = new Set();
    this.timers = new Set();
    this.protocol = 'http';
  }

  setScript(script) {
    const faults = this.script ? this.script.faults : [];
    this.script = normaliseScript(script);
    this.script.faults = faults;
    if (this.script.reader) this.script.reader.model = new ScriptedModel(this.script.reader.options);
    for (const f of script.faults || []) this.inject(f);
  }

  loadCassette(file) {
    for (const entry of readJsonLines(file)) if (entry.response && entry.request) this.script.cassette.push(entry);
  }

  resetState() {
    this.requests = [];
    this.answers = [];
    this.tokens = new Map(); // access token -> expiresAt (ms)
    this.issuedTokens = [];
    this.tokenRequestTimes = [];
    this.inFlight = 0;
    this.stats = {
      requests: 0,
      oauth: 0,
      unauthorized: 0,
      byPath: {},
      maxInFlightChat: 0,
      truncatedPrompts: 0,
      faultsApplied: 0,
      streams: 0,
      streamedTokens: 0,
      stalledStreams: 0,
      promptTokens: 0,
      completionTokens: 0,
    };
    if (this.script) {
      this.script.faults = [];
      for (const r of this.script.responses) r.used = 0;
      if (this.script.reader) this.script.reader.model = new ScriptedModel(this.script.reader.options);
    }
  }

  /** Queues a fault (see README.md, "Faults"); returns this. */
  inject(fault) {
    const times = fault.times === undefined ? 1 : fault.times;
    this.script.faults.push({
      ...fault,
      remaining: times === 'always' ? Infinity : Number(times),
      skip: Number(fault.after || 0),
    });
    return this;
  }

  /** Starts listening; resolves to `{ url, port }`. `tls: { cert, key }` (PEM text) serves HTTPS. */
  start({ port = 0, host = '127.0.0.1', tls } = {}) {
    const handler = (req, res) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) this.send(res, 500, { status: 500, message: `stand-in failure: ${e.message}` });
        else res.destroy();
      });
    };
    this.protocol = tls ? 'https' : 'http';
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('secureConnection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address();
        this.port = address.port;
        this.url = `${this.protocol}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
        resolve({ url: this.url, port: this.port });
      });
    });
  }

  /** Stops listening and drops every open connection and pending delayed answer. */
  close() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Facts for assertions: counters, the request log and the access tokens issued so far. */
  state() {
    return {
      stats: this.stats,
      requests: this.requests,
      answers: this.answers,
      issuedTokens: this.issuedTokens,
      pendingFaults: this.script.faults
        .filter((f) => f.remaining > 0)
        .map(({ remaining, ...f }) => ({ ...f, remaining: remaining === Infinity ? 'always' : remaining })),
    };
  }

  delay(ms, req) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
      req.socket.once('close', () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve();
      });
    });
  }

  async readBody(req) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  }

  send(res, status, body, headers = {}) {
    if (res.destroyed || res.writableEnded) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const type =
      headers['content-type'] || (typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
    res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  takeFault(path) {
    for (const f of this.script.faults) {
      if (f.remaining <= 0) continue;
      const target = f.path || 'chat';
      const hit =
        target === '*' ||
        (target === 'chat' && CHAT_PATHS.has(path)) ||
        target === path ||
        (target.endsWith('*') && path.startsWith(target.slice(0, -1)));
      if (!hit) continue;
      if (f.skip > 0) {
        f.skip -= 1;
        continue;
      }
      f.remaining -= 1;
      this.stats.faultsApplied += 1;
      return f;
    }
    return undefined;
  }

  async handle(req, res) {
    const url = new URL(req.url, 'http://stand-in');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const raw = await this.readBody(req);

    if (path.startsWith('/__stand-in/')) return this.control(req.method, path, raw, res);

    let body;
    const isJson = (req.headers['content-type'] || '').includes('json');
    if (raw && isJson) {
      try {
        body = JSON.parse(raw);
      } catch {
        return this.send(res, 400, { status: 400, message: 'stand-in: request body is not valid JSON' });
      }
    }
    const auth = String(req.headers.authorization || '');
    const [scheme] = auth.split(' ');
    const entry = {
      at: Date.now(),
      method: req.method,
      path,
      authScheme: scheme || undefined,
      rqUID: req.headers.rquid,
      body: body !== undefined ? body : raw || undefined,
    };
    this.requests.push(entry);
    if (this.requests.length > MAX_LOGGED_REQUESTS) this.requests.shift();
    this.stats.requests += 1;
    this.stats.byPath[`${req.method} ${path}`] = (this.stats.byPath[`${req.method} ${path}`] || 0) + 1;

    const chat = CHAT_PATHS.has(path);
    if (chat) {
      this.inFlight += 1;
      this.stats.maxInFlightChat = Math.max(this.stats.maxInFlightChat, this.inFlight);
    }
    try {
      const fault = this.takeFault(path);
      if (fault && fault.delayMs) await this.delay(fault.delayMs, req);
      if (req.socket.destroyed) return;
      if (fault && fault.reset) return req.socket.destroy();
      if (fault && fault.expireToken) for (const token of this.tokens.keys()) this.tokens.set(token, 0);
      if (fault && fault.status) {
        const headers = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
        const errorBody =
          fault.body !== undefined
            ? fault.body
            : { status: fault.status, message: `stand-in: injected HTTP ${fault.status}` };
        return this.send(res, fault.status, errorBody, headers);
      }
      const answer = await this.route(req, path, body, raw, entry, fault);
      if (req.socket.destroyed) return;
      if (answer.sse) return await this.sendStream(req, res, answer.sse, fault);
      if (fault && fault.contentType) {
        return this.send(
          res,
          answer.status,
          fault.body !== undefined
            ? String(fault.body)
            : '<html><body><h1>Corporate proxy: please log in</h1></body></html>',
          {
            'content-type': fault.contentType,
          },
        );
      }
      if (fault && fault.truncate) {
        const text = JSON.stringify(answer.body);
        return this.send(res, answer.status, text.slice(0, Math.max(1, Math.floor(text.length / 2))), {
          'content-type': 'application/json',
        });
      }
      return this.send(res, answer.status, answer.body, answer.headers || {});
    } finally {
      if (chat) this.inFlight -= 1;
    }
  }

  control(method, path, raw, res) {
    const payload = raw ? JSON.parse(raw) : undefined;
    if (method === 'GET' && path === '/__stand-in/state') return this.send(res, 200, this.state());
    if (method === 'POST' && path === '/__stand-in/faults') {
      for (const f of Array.isArray(payload) ? payload : [payload]) this.inject(f);
      return this.send(res, 200, { ok: true });
    }
    if (method === 'POST' && path === '/__stand-in/script') {
      this.setScript(payload || {});
      return this.send(res, 200, { ok: true });
    }
    if (method === 'POST' && path === '/__stand-in/reset') {
      this.resetState();
      return this.send(res, 200, { ok: true });
    }
    return this.send(res, 404, { message: `stand-in: no control route ${method} ${path}` });
  }

  async route(req, path, body, raw, entry, fault) {
    const m = req.method;
    if (m === 'POST' && path === '/api/v2/oauth') return this.oauth(req, raw);
    if (path.startsWith('/api/v1/')) {
      const denied = this.checkBearer(req);
      if (denied) return denied;
      if (m === 'POST' && path === '/api/v1/chat/completions') return this.gigachatChat(req, body, fault);
      if (m === 'POST' && path === '/api/v1/tokens/count') return this.gigachatCount(body);
      if (m === 'GET' && path === '/api/v1/models')
        return {
          status: 200,
          body: {
            object: 'list',
            data: this.script.models.map((id) => ({ id, object: 'model', owned_by: 'salutedevices', type: 'chat' })),
          },
        };
    }
    if (m === 'POST' && path === '/chat') return this.llmApiChat(req, body, fault);
    if (m === 'GET' && path === '/health') {
      const s = this.script.llmApi;
      return s.healthy
        ? { status: 200, body: { status: 'healthy', model: this.script.model, loaded: true, device: s.device } }
        : { status: 503, body: { status: 'unhealthy', model: this.script.model, loaded: false, device: s.device } };
    }
    if (m === 'GET' && path === '/v1/models') {
      const denied = this.checkApiKey(req);
      if (denied) return denied;
      const created = Math.floor(Date.now() / 1000);
      const entry = (id) =>
        this.script.maxModelLen !== undefined
          ? {
              id,
              object: 'model',
              created,
              owned_by: 'vllm',
              root: id,
              parent: null,
              max_model_len: this.script.maxModelLen,
            }
          : { id, object: 'model', created, owned_by: this.script.ollama ? 'library' : 'stand-in' };
      return { status: 200, body: { object: 'list', data: this.script.models.map(entry) } };
    }
    if (this.script.ollama) {
      const o = this.script.ollama;
      if (m === 'GET' && path === '/') return { status: 200, body: 'Ollama is running' };
      if (m === 'POST' && path === '/api/show') {
        const name = body && (body.model || body.name);
        if (!this.script.models.includes(name)) return { status: 404, body: { error: `model '${name}' not found` } };
        const parameters = [
          ...(o.numCtx !== undefined ? [`num_ctx                        ${o.numCtx}`] : []),
          'stop                           "<|im_start|>"',
          'stop                           "<|im_end|>"',
        ].join('\n');
        return {
          status: 200,
          body: {
            modelfile: `# Modelfile generated by "ollama show"\nFROM ${name}\n${parameters.replace(/^/gm, 'PARAMETER ')}\n`,
            parameters,
            template: '{{ .Prompt }}',
            details: {
              parent_model: '',
              format: 'gguf',
              family: 'qwen2',
              families: ['qwen2'],
              parameter_size: '7.6B',
              quantization_level: 'Q4_K_M',
            },
            model_info: {
              'general.architecture': 'qwen2',
              'general.parameter_count': 7615616512,
              ...(o.modelContextLength !== undefined ? { 'qwen2.context_length': o.modelContextLength } : {}),
            },
            capabilities: ['completion', 'tools'],
          },
        };
      }
      if (m === 'GET' && path === '/api/ps') {
        const loaded = o.loadedContextLength === undefined ? [] : [this.script.model];
        return {
          status: 200,
          body: {
            models: loaded.map((name) => ({
              name,
              model: name,
              size: 6_000_000_000,
              digest: crypto.createHash('sha256').update(name).digest('hex'),
              details: {
                parent_model: '',
                format: 'gguf',
                family: 'qwen2',
                families: ['qwen2'],
                parameter_size: '7.6B',
                quantization_level: 'Q4_K_M',
              },
              expires_at: new Date(Date.now() + 5 * 60_000).toISOString(),
              size_vram: 6_000_000_000,
              context_length: o.loadedContextLength,
            })),
          },
        };
      }
    }
    if (m === 'POST' && path === '/v1/chat/completions') {
      const denied = this.checkApiKey(req);
      if (denied) return denied;
      return this.openAiChat(req, body, fault);
    }
    return { status: 404, body: { detail: 'Not Found' } };
  }

  // --- GigaChat --------------------------------------------------------------------------------------------------

  oauth(req, raw) {
    this.stats.oauth += 1;
    const now = Date.now();
    this.tokenRequestTimes = this.tokenRequestTimes.filter((t) => now - t < 1000);
    if (this.tokenRequestTimes.length >= this.script.gigachat.maxTokenRequestsPerSecond) {
      return { status: 429, headers: { 'retry-after': '1' }, body: { code: 429, message: 'Too many token requests' } };
    }
    this.tokenRequestTimes.push(now);
    const rqUid = req.headers.rquid;
    if (!rqUid || !UUID4.test(String(rqUid)))
      return { status: 400, body: { code: 5, message: 'RqUID header is missing or not a UUID4' } };
    if (!String(req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded')) {
      return { status: 400, body: { code: 7, message: 'Content-Type must be application/x-www-form-urlencoded' } };
    }
    const auth = String(req.headers.authorization || '');
    const key = auth.startsWith('Basic ') ? auth.slice(6) : '';
    const expected = this.script.gigachat.authKey;
    if (!key || (expected !== undefined && key !== expected))
      return { status: 401, body: { code: 6, message: "Can't decode 'Authorization' header" } };
    const scope = new URLSearchParams(raw).get('scope');
    if (!GIGACHAT_SCOPES.has(scope)) return { status: 400, body: { code: 7, message: 'scope is missing or invalid' } };
    const token = crypto.randomBytes(24).toString('base64url');
    const expiresAt = now + this.script.gigachat.tokenTtlMs;
    this.tokens.set(token, expiresAt);
    this.issuedTokens.push(token);
    return { status: 200, body: { access_token: token, expires_at: expiresAt } };
  }

  checkBearer(req) {
    const auth = String(req.headers.authorization || '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const expiresAt = this.tokens.get(token);
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      this.stats.unauthorized += 1;
      return { status: 401, body: { status: 401, message: 'Token has expired' } };
    }
    return undefined;
  }

  async gigachatChat(req, body, fault) {
    const invalid = this.validateChat(body);
    if (invalid) return { status: 422, body: { status: 422, message: invalid } };
    const systems = body.messages.map((m, i) => (m.role === 'system' ? i : -1)).filter((i) => i >= 0);
    if (systems.length > 1 || (systems.length === 1 && systems[0] !== 0)) {
      return {
        status: 422,
        body: { status: 422, message: 'Invalid params: system message must be only one and the first' },
      };
    }
    const limit = this.script.gigachat.maxConcurrency;
    if (limit > 0 && this.inFlight > limit)
      return {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { status: 429, message: 'Too many concurrent requests' },
      };
    const answer = await this.answer(req, body, fault);
    if (answer.error) return answer.error;
    if (body.stream === true)
      return { status: 200, sse: { protocol: 'gigachat', model: body.model || this.script.model, answer } };
    return {
      status: 200,
      body: {
        choices: [
          {
            message: { role: 'assistant', content: answer.text },
            index: 0,
            finish_reason: answer.finishReason === 'content-filter' ? 'blacklist' : answer.finishReason,
          },
        ],
        created: Math.floor(Date.now() / 1000),
        model: body.model || this.script.model,
        object: 'chat.completion',
        usage: {
          prompt_tokens: answer.promptTokens,
          completion_tokens: answer.completionTokens,
          total_tokens: answer.promptTokens + answer.completionTokens,
          precached_prompt_tokens: 0,
        },
      },
    };
  }

  gigachatCount(body) {
    if (!body || !Array.isArray(body.input) || typeof body.model !== 'string')
      return { status: 422, body: { status: 422, message: 'Invalid params: model and input[] are required' } };
    return {
      status: 200,
      body: body.input.map((text) => ({
        object: 'tokens',
        tokens: countTokens(text),
        characters: String(text).length,
      })),
    };
  }

  // --- llm-api and OpenAI-compatible ------------------------------------------------------------------------------

  checkApiKey(req) {
    if (!this.script.apiKey) return undefined;
    if (String(req.headers.authorization || '') === `Bearer ${this.script.apiKey}`) return undefined;
    this.stats.unauthorized += 1;
    return {
      status: 401,
      body: {
        error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
      },
    };
  }

  async llmApiChat(req, body, fault) {
    if (!this.script.llmApi.chatRoute) return { status: 404, body: { detail: 'Not Found' } };
    const invalid = this.validateChat(body);
    if (invalid) return { status: 422, body: { detail: invalid } };
    const answer = await this.answer(req, body, fault);
    if (answer.error) return answer.error;
    const out = { response: answer.text };
    if (this.script.llmApi.usage) {
      Object.assign(out, {
        input_tokens: answer.promptTokens,
        response_tokens: answer.completionTokens,
        total_tokens: answer.promptTokens + answer.completionTokens,
      });
    }
    return { status: 200, body: out };
  }

  async openAiChat(req, body, fault) {
    const invalid = this.validateChat(body);
    if (invalid) return { status: 400, body: { error: { message: invalid, type: 'invalid_request_error' } } };
    const answer = await this.answer(req, body, fault);
    if (answer.error) return answer.error;
    if (body.stream === true) {
      const includeUsage = Boolean(body.stream_options && body.stream_options.include_usage);
      return { status: 200, sse: { protocol: 'openai', model: body.model || this.script.model, answer, includeUsage } };
    }
    return {
      status: 200,
      body: {
        id: `chatcmpl-${crypto.randomBytes(6).toString('hex')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model || this.script.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: answer.text },
            finish_reason: answer.finishReason === 'content-filter' ? 'content_filter' : answer.finishReason,
          },
        ],
        usage: {
          prompt_tokens: answer.promptTokens,
          completion_tokens: answer.completionTokens,
          total_tokens: answer.promptTokens + answer.completionTokens,
        },
      },
    };
  }

  /**
   * Writes an answer as a server-sent event stream, one token per event, at the script's pace (`stream`
   * `tokensPerSecond`, or the rule's). OpenAI: `chat.completion.chunk` objects, the role in the first delta, a
   * last chunk with `finish_reason` and an empty delta, then (with `stream_options.include_usage`) a chunk with
   * empty `choices` and the usage; every other chunk has `usage: null` in that mode. GigaChat: `chat.completion`
   * objects, the last one with `finish_reason` and the usage. Both end with `data: [DONE]`. Faults: `stallAfterTokens`
   * goes silent after that many tokens (the connection stays open until the client leaves); `truncate` ends the
   * body after half the tokens, without a finish or `[DONE]`.
   */
  async sendStream(req, res, sse, fault) {
    const { answer, protocol, model, includeUsage } = sse;
    this.stats.streams += 1;
    // One token per event; trailing whitespace (no token of its own) rides on the last one, so the pieces joined
    // are exactly the answer.
    const tokens = String(answer.text).match(TOKEN_PATTERN) || [];
    const rest = String(answer.text).slice(tokens.join('').length);
    if (rest !== '') {
      if (tokens.length === 0) tokens.push(rest);
      else tokens[tokens.length - 1] += rest;
    }
    const tps = answer.tokensPerSecond !== undefined ? answer.tokensPerSecond : this.script.stream.tokensPerSecond;
    const id = `chatcmpl-${crypto.randomBytes(6).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: answer.promptTokens,
      completion_tokens: answer.completionTokens,
      total_tokens: answer.promptTokens + answer.completionTokens,
    };
    const finish =
      answer.finishReason === 'content-filter'
        ? protocol === 'gigachat'
          ? 'blacklist'
          : 'content_filter'
        : answer.finishReason;
    const chunk = (delta, finishReason, extra = {}) =>
      protocol === 'gigachat'
        ? {
            choices: [{ delta, index: 0, ...(finishReason ? { finish_reason: finishReason } : {}) }],
            created,
            model,
            object: 'chat.completion',
            ...extra,
          }
        : {
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason || null }],
            ...(includeUsage ? { usage: null } : {}),
            ...extra,
          };
    const write = (payload) => {
      if (!res.destroyed && !res.writableEnded)
        res.write(`data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`);
    };
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const stallAt = fault && fault.stallAfterTokens !== undefined ? Number(fault.stallAfterTokens) : Infinity;
    const cutAt = fault && fault.truncate ? Math.floor(tokens.length / 2) : Infinity;
    const started = Date.now();
    if (protocol === 'openai') write(chunk({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < tokens.length; i += 1) {
      if (i >= stallAt) {
        this.stats.stalledStreams += 1;
        await new Promise((resolve) => req.socket.once('close', resolve));
        return undefined;
      }
      if (i >= cutAt) return res.end();
      if (tps > 0) {
        const wait = started + Math.round(((i + 1) * 1000) / tps) - Date.now();
        if (wait > 0) await this.delay(wait, req);
      }
      if (res.destroyed) return undefined;
      write(
        chunk(
          protocol === 'gigachat' && i === 0 ? { content: tokens[i], role: 'assistant' } : { content: tokens[i] },
          null,
        ),
      );
      this.stats.streamedTokens += 1;
    }
    if (protocol === 'gigachat') {
      write(chunk({ content: '' }, finish, { usage: { ...usage, precached_prompt_tokens: 0 } }));
    } else {
      write(chunk({}, finish));
      if (includeUsage) write({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    }
    write('[DONE]');
    return res.end();
  }

  validateChat(body) {
    if (!body || !Array.isArray(body.messages) || body.messages.length === 0)
      return 'messages must be a non-empty array';
    for (const m of body.messages) {
      if (!m || !['system', 'user', 'assistant'].includes(m.role) || typeof m.content !== 'string')
        return 'each message needs a role (system, user, assistant) and string content';
    }
    return undefined;
  }

  // --- answers ------------------------------------------------------------------------------------------------------

  pick(messages) {
    const all = messages.map((m) => m.content).join('\n');
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    for (const rule of this.script.responses) {
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      const match = rule.match || {};
      const haystack = match.lastUser ? (lastUser ? lastUser.content : '') : all;
      const contains = match.contains === undefined ? [] : [].concat(match.contains);
      if (!contains.every((c) => haystack.includes(c))) continue;
      if (match.regex !== undefined && !new RegExp(match.regex, match.flags || '').test(haystack)) continue;
      rule.used += 1;
      return { ...rule, source: 'rule' };
    }
    const key = JSON.stringify(messages.map((m) => ({ role: m.role, content: m.content })));
    const recorded = this.script.cassette.find(
      (e) => JSON.stringify(e.request.messages.map((m) => ({ role: m.role, content: m.content }))) === key && !e.used,
    );
    if (recorded) {
      recorded.used = true;
      const r = recorded.response;
      return {
        source: 'cassette',
        text: r.text,
        finishReason: r.finishReason === 'unknown' ? 'stop' : r.finishReason,
        usage: r.usage
          ? { prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.completionTokens }
          : undefined,
      };
    }
    if (this.script.reader) {
      const { text, finishReason, log } = this.script.reader.model.answer(messages);
      return { source: 'reader', text, finishReason, reader: log };
    }
    if (this.script.default) return { ...this.script.default, source: 'default' };
    if (this.script.echo) return { source: 'echo', text: `echo: ${lastUser ? lastUser.content : ''}` };
    return undefined;
  }

  async answer(req, body, fault) {
    const rule = this.pick(body.messages);
    if (!rule)
      return {
        error: { status: 400, body: { status: 400, message: 'stand-in: no scripted response matches this request' } },
      };
    const latency = rule.latencyMs !== undefined ? rule.latencyMs : this.script.latencyMs;
    if (latency) await this.delay(latency, req);
    let text = String(rule.text);
    let finishReason = rule.finishReason || 'stop';
    const usage = rule.usage || {};
    let promptTokens = usage.prompt_tokens !== undefined ? usage.prompt_tokens : countPromptTokens(body.messages);
    const window = fault && fault.truncatePromptTo !== undefined ? fault.truncatePromptTo : this.script.contextWindow;
    if (window !== undefined && promptTokens > window) {
      promptTokens = window; // Ollama: the prompt is cut to the context window without a word, and still answered
      this.stats.truncatedPrompts += 1;
    }
    let completionTokens = usage.completion_tokens !== undefined ? usage.completion_tokens : countTokens(text);
    if (body.max_tokens !== undefined && completionTokens > body.max_tokens) {
      text = cutToTokens(text, body.max_tokens);
      completionTokens = body.max_tokens;
      finishReason = 'length';
    }
    this.stats.promptTokens += promptTokens;
    this.stats.completionTokens += completionTokens;
    this.answers.push({
      at: Date.now(),
      path: new URL(req.url, 'http://stand-in').pathname,
      source: rule.source,
      finishReason,
      promptTokens,
      completionTokens,
      ...(rule.reader ? { reader: rule.reader } : {}),
    });
    if (this.answers.length > MAX_LOGGED_REQUESTS) this.answers.shift();
    return { text, finishReason, promptTokens, completionTokens, tokensPerSecond: rule.tokensPerSecond };
  }
}

/** Starts a stand-in; resolves to it once listening (`standIn.url`). */
async function startStandIn(script = {}, options = {}) {
  const standIn = new LlmStandIn(script, { cassetteFile: options.cassetteFile });
  await standIn.start({ port: options.port, host: options.host, tls: options.tls });
  return standIn;
}

module.exports = { LlmStandIn, startStandIn, countTokens, countPromptTokens };
