/**
 * The lab's control API: HTTP on a unix socket (topology.apiSocket), so it is reachable from
 * the host and from inside the lab's namespace alike, and never listens on a network address.
 *
 *   GET /health          {ok, name, pid}
 *   GET /status          LabStatus (?since=EPOCH_MS: backend peaks since then, and `traces`, the
 *                        x-stampede-trace requests the fronts saw since then)
 *   GET /config          {config, topology, netns}
 *   PUT /storage         {backends?, copies?, ceilingBps?, selection?} -> the new storage settings
 *                        (backends = active M, 1..storage.backends; copies <= backends)
 *   GET /faults          Fault[]
 *   POST /faults         a fault spec -> 201 Fault (with its id)
 *   DELETE /faults/:id   {cleared: id}    (404 if unknown)
 *   DELETE /faults       {cleared: n}
 *   GET /cache           the pull-through cache's status (rules, settings, upstream, fronts)
 *   PUT /cache           {"cache.coalescing": "off", "breaker.enabled": false, ...} -> {settings, changed}
 *   GET /cache-rules     {rules: ["<downstream>=<upstream host>/<repo>", ...]}
 *   POST /cache-rules    {downstream, upstream} -> 201 {rules}
 *   DELETE /cache-rules/<downstream prefix>   {removed}   (404 if none)
 *   POST /upstream/seed  {image: "repo:tag", layers: [bytes...]} -> 201 the pushed image (upstream only)
 *   POST /shutdown       202, then the lab stops
 *
 * Validation errors answer 400 {code, field, expected, received}.
 */
import { existsSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { InputError, StampedeError } from '../errors';
import type { Lab } from './supervisor';

export interface ApiServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

export interface ApiOptions {
  /** Called after the response to POST /shutdown was sent. */
  onShutdown(): void;
  netns: boolean;
  log?: (line: string) => void;
}

class NotFound extends StampedeError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

async function readJson(req: IncomingMessage, limit = 64 << 10): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new InputError('(body)', `JSON under ${limit} bytes`, `${size}+ bytes`, 'BODY_TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError('(body)', 'a JSON document', text, 'BAD_JSON');
  }
}

/** Config values that are credentials (e.g. registry.adminPassword) never leave the supervisor. */
export function redactSecrets<T>(tree: T): T {
  if (Array.isArray(tree)) return tree.map(redactSecrets) as T;
  if (typeof tree !== 'object' || tree === null) return tree;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree))
    out[k] =
      /password|secret/i.test(k) && typeof v === 'string' && v !== '' ? '(redacted)' : redactSecrets(v);
  return out as T;
}

/** `?since=EPOCH_MS` on /status: a run's start, so backend peaks are the run's own. */
function sinceParam(url: URL): number | undefined {
  const raw = url.searchParams.get('since');
  if (raw === null) return undefined;
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(v))
    throw new InputError('since', 'epoch milliseconds (a non-negative integer)', raw);
  return v;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function serveApi(lab: Lab, socketPath: string, opts: ApiOptions): Promise<ApiServer> {
  const { state } = lab;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://lab');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/health')
      return send(res, 200, { ok: true, name: state.config.lab.name, pid: process.pid });
    if (method === 'GET' && path === '/status') return send(res, 200, await lab.status(sinceParam(url)));
    if (method === 'GET' && path === '/config')
      return send(res, 200, {
        config: redactSecrets(state.config),
        topology: lab.topology,
        netns: opts.netns,
      });
    if (method === 'PUT' && path === '/storage') return send(res, 200, lab.setStorage(await readJson(req)));
    if (method === 'GET' && path === '/faults') return send(res, 200, [...state.faults.values()]);
    if (method === 'POST' && path === '/faults')
      return send(res, 201, await lab.addFault(await readJson(req)));
    if (method === 'DELETE' && path === '/faults')
      return send(res, 200, { cleared: await lab.clearFaults() });
    const m = /^\/faults\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && m) {
      const id = decodeURIComponent(m[1] as string);
      if (!(await lab.clearFault(id))) throw new NotFound(`fault ${id}`);
      return send(res, 200, { cleared: id });
    }
    if (method === 'GET' && path === '/cache') return send(res, 200, (await lab.status()).cache);
    if (method === 'PUT' && path === '/cache') return send(res, 200, lab.setCache(await readJson(req)));
    if (method === 'GET' && path === '/cache-rules')
      return send(res, 200, { rules: (await lab.status()).cache.rules });
    if (method === 'POST' && path === '/cache-rules')
      return send(res, 201, { rules: lab.addCacheRule(await readJson(req)) });
    const rule = /^\/cache-rules\/(.+)$/.exec(path);
    if (method === 'DELETE' && rule) {
      const prefix = decodeURIComponent(rule[1] as string);
      if (!lab.removeCacheRule(prefix)) throw new NotFound(`cache rule ${prefix}`);
      return send(res, 200, { removed: prefix });
    }
    if (method === 'POST' && path === '/upstream/seed')
      return send(res, 201, await lab.seedUpstream(await readJson(req)));
    if (method === 'POST' && path === '/shutdown') {
      res.once('finish', () => opts.onShutdown());
      return send(res, 202, { ok: true, stopping: state.config.lab.name });
    }
    throw new NotFound(`${method} ${path}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      if (e instanceof InputError)
        return send(res, 400, { code: e.code, field: e.field, expected: e.expected, received: e.received });
      if (e instanceof NotFound) return send(res, 404, { code: e.code, message: e.message });
      if (e instanceof StampedeError) return send(res, 500, { code: e.code, message: e.message });
      opts.log?.(`api: ${(e as Error)?.stack ?? String(e)}`);
      return send(res, 500, { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) });
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  // A socket file left by a SIGKILLed supervisor would make listen() fail with EADDRINUSE.
  if (existsSync(socketPath)) rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        rmSync(socketPath, { force: true });
      }),
  };
}
