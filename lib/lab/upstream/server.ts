/**
 * The lab's upstream registry (what a cache rule pulls through, Docker Hub's part): one more
 * real docker-registry process, with anonymous pulls, behind a small front of ours at
 * upstream.<domain> that plays the upstream's behaviour: Docker-Hub-like rate limiting of
 * manifest GETs (limiter.ts), added latency and a per-stream byte rate
 * (upstream.latencyMs / upstream.bps), and the upstream-slow / -5xx / -down faults. It
 * counts requests, bytes and 429s by kind (manifest, blob) for `lab status` and the
 * cache-stampede scenario. Writes (seeding) pass unlimited.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline, Transform } from 'node:stream';
import { Pool } from 'undici';
import { type Clock, systemClock } from '../../clock';
import { RunError } from '../../errors';
import { ociError } from '../front/oci-error';
import { forwardHeaders } from '../front/proxy';
import { matchV2 } from '../front/routes';
import { type RegistryProcess, startRegistry } from '../registry-process';
import { type Component, faultsOf, type LabState } from '../state';
import { UpstreamLimiter } from './limiter';

export type UpstreamKind = 'manifest' | 'blob' | 'other';

export interface UpstreamCounters {
  requests: Record<UpstreamKind, number>;
  /** Manifest GETs: what Docker Hub counts as pulls (and what the limit charges). */
  manifestGets: number;
  /** Response body bytes sent, by kind. */
  bytes: Record<UpstreamKind, number>;
  /** 429s answered, by kind. */
  throttled: Record<UpstreamKind, number>;
  /** 5xx answered by the upstream-5xx fault. */
  errors5xx: number;
  /** Connections dropped by the upstream-down fault. */
  dropped: number;
  /** Requests by client IP (which front asked). */
  byClient: Record<string, number>;
}

export interface UpstreamStatus {
  url: string;
  host: string;
  registryUrl: string;
  fault: 'none' | 'slow' | '5xx' | 'down';
  counters: UpstreamCounters;
}

export interface UpstreamHandle extends Component {
  /** http://<limiter ip>:<port>: where cache rules' upstream.<domain> points. */
  readonly url: string;
  readonly registry: RegistryProcess;
  status(): UpstreamStatus;
  /** Every limit bucket full again (new rate-limit settings). */
  resetLimits(): void;
}

const zero = (): Record<UpstreamKind, number> => ({ manifest: 0, blob: 0, other: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Paces a body to `bps` bytes/s (a per-stream upstream link); 0 passes it as it comes. */
export function pacedStream(bps: number, onBytes: (n: number) => void): Transform {
  const started = performance.now();
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      onBytes(chunk.length);
      if (bps <= 0) return done(null, chunk);
      const due = started + (sent / bps) * 1000;
      const wait = due - performance.now();
      if (wait > 1) setTimeout(() => done(null, chunk), wait);
      else done(null, chunk);
    },
  });
}

export async function startUpstream(state: LabState, opts: { clock?: Clock } = {}): Promise<UpstreamHandle> {
  const clock = opts.clock ?? systemClock;
  const topo = state.topology;
  const u = topo.upstream;
  const registry = await startRegistry({
    name: 'upstream',
    ip: u.registryIp,
    port: u.registryPort,
    dir: join(topo.stateDir, 'upstream', 'registry'),
  });
  const pool = new Pool(registry.url, { connections: 128, keepAliveTimeout: 30_000 });
  const limiter = new UpstreamLimiter(() => state.cache.upstream.rateLimit, clock);
  const counters: UpstreamCounters = {
    requests: zero(),
    manifestGets: 0,
    bytes: zero(),
    throttled: zero(),
    errors5xx: 0,
    dropped: 0,
    byClient: {},
  };
  const faultNow = (): UpstreamStatus['fault'] => {
    if (faultsOf(state, 'upstream-down').length) return 'down';
    if (faultsOf(state, 'upstream-5xx').length) return '5xx';
    if (faultsOf(state, 'upstream-slow').length) return 'slow';
    return 'none';
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const raw = req.url ?? '/';
    const path = raw.split('?')[0] ?? '/';
    const route = matchV2(path);
    const kind: UpstreamKind =
      route?.kind === 'manifest' ? 'manifest' : route?.kind === 'blob' ? 'blob' : 'other';
    const client = req.socket.remoteAddress ?? 'unknown';
    counters.requests[kind]++;
    counters.byClient[client] = (counters.byClient[client] ?? 0) + 1;
    if (faultsOf(state, 'upstream-down').length) {
      counters.dropped++;
      req.socket.destroy();
      return;
    }
    const slow = faultsOf(state, 'upstream-slow').reduce(
      (m, f) => Math.max(m, Number(f.params.latencyMs) || 0),
      0,
    );
    const latency = state.cache.upstream.latencyMs + slow;
    if (latency > 0) await sleep(latency);
    const fail = faultsOf(state, 'upstream-5xx').reduce((m, f) => Math.max(m, Number(f.params.rate ?? 1)), 0);
    if (fail > 0 && Math.random() < fail) {
      counters.errors5xx++;
      return ociError(res, 503, 'UNAVAILABLE', 'upstream unavailable (upstream-5xx fault)', {}, head);
    }
    const isPull = method === 'GET' || head;
    let limitHeaders: Record<string, string> = {};
    if (kind === 'manifest' && method === 'GET') {
      counters.manifestGets++;
      const a = limiter.take(client);
      limitHeaders = a.headers;
      if (!a.ok) {
        counters.throttled[kind]++;
        return ociError(
          res,
          429,
          'TOOMANYREQUESTS',
          'You have reached your pull rate limit (lab upstream).',
          a.headers,
          head,
        );
      }
    }
    let up: Awaited<ReturnType<Pool['request']>>;
    try {
      up = await pool.request({
        method: method as 'GET',
        path: raw,
        headers: forwardHeaders(req.headers),
        body: isPull ? null : req,
        headersTimeout: 60_000,
        bodyTimeout: 120_000,
      });
    } catch (e) {
      return ociError(
        res,
        502,
        'UNKNOWN',
        `upstream registry unreachable: ${(e as Error).message}`,
        {},
        head,
      );
    }
    const headers: Record<string, string | string[]> = { ...limitHeaders };
    for (const [k, v] of Object.entries(up.headers))
      if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) headers[k] = v;
    res.writeHead(up.statusCode, headers);
    const bps = isPull ? state.cache.upstream.bps : 0;
    pipeline(
      up.body,
      pacedStream(bps, (n) => {
        counters.bytes[kind] += n;
      }),
      res,
      () => {},
    );
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) ociError(res, 500, 'UNKNOWN', `upstream front error: ${(e as Error).message}`);
      else res.destroy();
    });
  });
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(new RunError('UPSTREAM_LISTEN', `upstream on ${u.ip}:${u.port}: ${e.message}`)),
      );
      server.listen({ port: u.port, host: u.ip, backlog: 4096 }, () => resolve());
    });
  } catch (e) {
    await registry.stop();
    throw e;
  }
  const url = `http://${u.ip}:${u.port}`;
  state.components.set('upstream', { ok: true, detail: `serving ${u.host} at ${url}`, since: Date.now() });
  return {
    name: 'upstream',
    url,
    registry,
    status: () => ({
      url,
      host: u.host,
      registryUrl: registry.url,
      fault: faultNow(),
      counters: structuredClone(counters),
    }),
    resetLimits: () => limiter.reset(),
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.destroy().catch(() => {});
      await registry.stop();
      state.components.set('upstream', { ok: false, detail: 'stopped', since: Date.now() });
    },
  };
}
