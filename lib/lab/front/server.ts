/**
 * A region's front: one HTTP server on the region's front IP that owns the region's names
 * (regional, data, and the global name as a Traffic Manager target), speaks ACR's token
 * flow, throttles per replica, redirects blob GETs to a storage copy with a signed URL,
 * proxies everything else to the region's registry, and serves deep health.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { Agent, Pool } from 'undici';
import { type Clock, systemClock } from '../../clock';
import { RunError } from '../../errors';
import { type AuthService, challengeScope } from '../auth';
import { type CachePath, startCachePath } from '../cache/serve';
import { activeBackends, type Component, type LabState } from '../state';
import { type BackendHandle, blobUrlPath, placement, storageScheme, type UrlSigner } from '../storage';
import { globalHost, type RegionAddr } from '../topology';
import { AcrMetadata, acrActionFor, matchAcr, serveAcr } from './acr-v1';
import { frontFaults } from './faults';
import { startHealthMonitor } from './health';
import { type Endpoint, parseHost } from './host';
import { ociError } from './oci-error';
import { catalog, type ProxyContext, proxy, upstreamPath } from './proxy';
import { RequestBucket } from './rate-limit';
import { actionFor, matchV2 } from './routes';
import { TraceLog } from './trace-log';

/** The distribution spec's repository name grammar. */
const REPO_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export interface FrontDeps {
  /** Time for the request bucket and the health monitor; default the system clock. */
  clock?: Clock;
  registryUrl: string;
  auth: AuthService;
  backends: BackendHandle[];
  signer: UrlSigner;
  /** Filesystem root of the region's registry: what the /acr/v1/ API reads (absent: /acr/v1/ answers 501). */
  registryRoot?: string;
  /** Server certificate (lab CA) for the HTTPS listener on registry.tlsPort; absent: HTTP only. */
  tls?: { cert: string; key: string };
}

export interface FrontHandle extends Component {
  readonly url: string;
  /** https://<frontIp>:<tlsPort> when the front has a certificate. */
  readonly tlsUrl?: string;
  /** The pull-through cache path (cache rules): its counters, breaker and hydration state. */
  readonly cache: CachePath;
  /** Requests marked with x-stampede-trace: arrival, answer and status on the lab's clock. */
  readonly traces: TraceLog;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' };

export async function startFront(state: LabState, region: RegionAddr, deps: FrontDeps): Promise<FrontHandle> {
  const name = `front:${region.name}`;
  const port = state.topology.port;
  const registryOrigin = new URL(deps.registryUrl).origin;
  // Keep-alive connections to the registry, bounded so a stampede queues here instead of
  // opening thousands of sockets to it.
  const pool = new Pool(registryOrigin, { connections: 256, keepAliveTimeout: 30_000, pipelining: 1 });
  // Deep-health probes of the region's own backends over loopback: with storage.tls they
  // check that the backend answers, not the certificate chain (clients do that).
  const probeAgent = new Agent({
    connections: 8,
    keepAliveTimeout: 10_000,
    connect: { rejectUnauthorized: false },
  });
  const limiter = new RequestBucket(
    () => state.config.regions.requestsPerS,
    () => state.config.regions.burst,
    deps.clock,
  );
  let rr = 0;
  const traces = new TraceLog(region.name, deps.clock ?? systemClock);
  const cache = startCachePath(state, region, { pool, registryUrl: deps.registryUrl, clock: deps.clock });

  /** A healthy backend holding a copy of `digest`, by the runtime selection policy; null if none. */
  const pickBackend = (digest: string): BackendHandle | null => {
    const holders = new Set(
      placement(digest, activeBackends(state, region.backends), state.storage.copies).map((b) => b.id),
    );
    const live = deps.backends.filter((b) => holders.has(b.addr.id) && b.healthy());
    if (live.length === 0) return null;
    switch (state.storage.selection) {
      case 'round-robin':
        return live[rr++ % live.length]!;
      case 'least-loaded': {
        let best = live[0]!;
        let bestActive = best.stats().active;
        for (const b of live.slice(1)) {
          const a = b.stats().active;
          if (a < bestActive || (a === bestActive && Math.random() < 0.5)) {
            best = b;
            bestActive = a;
          }
        }
        return best;
      }
      default:
        return live[Math.floor(Math.random() * live.length)]!;
    }
  };

  const monitor = startHealthMonitor(state, region, {
    registryUrl: deps.registryUrl,
    auth: deps.auth,
    backends: deps.backends,
    signer: deps.signer,
    dispatcher: probeAgent,
    onTick: () => report(),
    clock: deps.clock,
  });

  const report = () => {
    const f = frontFaults(state, region.name);
    const verdicts = state.config.registry.names.map((reg) => {
      const h = monitor.evaluate(reg);
      return `${reg} ${h.healthy ? 'healthy' : 'UNHEALTHY'}${h.detail === 'healthy' ? '' : ` (${h.detail})`}`;
    });
    const ok = !f.down;
    const serving = `serving ${region.frontIp}${region.frontIp6 ? ` [${region.frontIp6}]` : ''}:${port}${deps.tls ? ` (https :${state.config.registry.tlsPort})` : ''}`;
    const detail = `${f.down ? 'region down (fault)' : serving}; deep health: ${verdicts.join('; ')}`;
    const prev = state.components.get(name);
    state.components.set(name, { ok, detail, since: prev && prev.ok === ok ? prev.since : Date.now() });
  };

  const deepHealth = (res: ServerResponse, ep: Endpoint, down: boolean, head: boolean) => {
    const h = down
      ? { healthy: false, registry: ep.reg, region: region.name, detail: 'region down', dependencies: [] }
      : monitor.evaluate(ep.reg);
    const body = JSON.stringify({ status: h.healthy ? 'healthy' : 'unhealthy', ...h });
    res.writeHead(h.healthy ? 200 : 503, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(head ? undefined : body);
  };

  const blobRedirect = async (res: ServerResponse, ctx: ProxyContext, repo: string, digest: string) => {
    // The registry decides whether the blob exists in this repository (spec: 404 BLOB_UNKNOWN).
    let status: number;
    try {
      const head = await pool.request({
        method: 'HEAD',
        path: `/v2/${ctx.reg}/${repo}/blobs/${digest}`,
        headersTimeout: 30_000,
      });
      await head.body.dump();
      status = head.statusCode;
    } catch (e) {
      return ociError(res, 503, 'UNAVAILABLE', `registry unavailable: ${(e as Error).message}`);
    }
    if (status === 404) return ociError(res, 404, 'BLOB_UNKNOWN', `blob unknown to registry: ${digest}`);
    if (status !== 200) return ociError(res, status, 'UNKNOWN', `registry answered ${status} for ${digest}`);
    const b = pickBackend(digest);
    if (!b)
      return ociError(res, 503, 'UNAVAILABLE', `no healthy storage backend holds a copy of ${digest}`, {
        'retry-after': '1',
      });
    const host = state.config.storage.redirectHost === 'ip' ? b.addr.ip : b.addr.host;
    const path = blobUrlPath(digest);
    const sas = deps.signer.sign('GET', host, path, state.config.storage.urlTtlS);
    const scheme = storageScheme(state);
    const authority = b.addr.port === (scheme === 'https' ? 443 : 80) ? host : `${host}:${b.addr.port}`;
    res.writeHead(307, {
      location: `${scheme}://${authority}${path}?${sas}`,
      'docker-content-digest': digest,
      'content-length': 0,
      ...API_VERSION,
    });
    res.end();
  };

  const acrMeta = new AcrMetadata();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = req.url ?? '/';
    const qi = raw.indexOf('?');
    const query = qi < 0 ? '' : raw.slice(qi + 1);
    const head = req.method === 'HEAD';
    // Clients percent-encode path segments (the Azure SDK sends /v2/a%2Fb/manifests/sha256%3A...):
    // route on the decoded path; the registry behind gets it decoded too.
    let path: string;
    try {
      path = decodeURIComponent(qi < 0 ? raw : raw.slice(0, qi));
    } catch {
      return ociError(res, 400, 'NAME_INVALID', 'malformed percent-encoding in the path', {}, head);
    }
    const f = frontFaults(state, region.name);
    const ep = parseHost(req.headers.host, state, region);
    if (path === '/_health/deep') {
      if (f.latencyMs > 0) await sleep(f.latencyMs);
      if (!ep) return ociError(res, 404, 'NAME_UNKNOWN', 'unknown registry host', {}, head);
      return deepHealth(res, ep, f.down, head);
    }
    if (f.down)
      return ociError(res, 503, 'UNAVAILABLE', `region ${region.name} is down`, { 'retry-after': '5' }, head);
    if (f.latencyMs > 0) await sleep(f.latencyMs);
    if (f.errorRate > 0 && Math.random() < f.errorRate)
      return ociError(res, 500, 'UNKNOWN', 'injected front error', {}, head);
    if (!ep)
      return ociError(
        res,
        404,
        'NAME_UNKNOWN',
        `no registry is served at ${req.headers.host ?? '(no host)'}`,
        {},
        head,
      );
    const isApi = path.startsWith('/v2') || path.startsWith('/oauth2/') || path.startsWith('/acr/');
    if (!isApi) return ociError(res, 404, 'NOT_FOUND', `no route for ${path}`, {}, head);
    if (f.throttleRate > 0 && Math.random() < f.throttleRate)
      return ociError(
        res,
        429,
        'TOOMANYREQUESTS',
        `too many requests to replica ${region.name} (throttle fault)`,
        { 'retry-after': '1' },
        head,
      );
    const wait = limiter.take();
    if (wait > 0)
      return ociError(
        res,
        429,
        'TOOMANYREQUESTS',
        `too many requests to replica ${region.name}; retry after ${wait}s`,
        { 'retry-after': String(wait) },
        head,
      );
    if (await deps.auth.handle(req, res)) return;
    if (path.startsWith('/acr/')) {
      const acr = matchAcr(path);
      if (!acr) return ociError(res, 404, 'NAME_INVALID', `not an /acr/v1 API path: ${path}`, {}, head);
      const repo = acr.kind === 'catalog' ? '_catalog' : acr.repo;
      const v = await deps.auth.authorize(req, ep.reg, repo, acrActionFor(req.method ?? 'GET'));
      if (!v.ok)
        return ociError(
          res,
          401,
          'UNAUTHORIZED',
          'authentication required',
          { 'www-authenticate': v.challenge },
          head,
        );
      if (!deps.registryRoot)
        return ociError(res, 501, 'UNSUPPORTED', 'this front has no registry storage to answer /acr/v1');
      return serveAcr(
        req,
        res,
        acr,
        {
          pool,
          registryRoot: deps.registryRoot,
          reg: ep.reg,
          loginServer: globalHost(ep.reg, state.config.registry.domain),
          meta: acrMeta,
        },
        new URLSearchParams(query),
      );
    }
    const route = matchV2(path);
    if (!route) return ociError(res, 404, 'NAME_INVALID', `not a distribution API path: ${path}`, {}, head);
    const repo = route.kind === 'base' ? '' : route.kind === 'catalog' ? '_catalog' : route.repo;
    const action = actionFor(route, req.method ?? 'GET');
    const verdict = await deps.auth.authorize(req, ep.reg, repo, action, mountScopes(route, query));
    if (!verdict.ok)
      return ociError(
        res,
        401,
        'UNAUTHORIZED',
        'authentication required',
        { 'www-authenticate': verdict.challenge },
        head,
      );
    const ctx: ProxyContext = {
      pool,
      registryOrigin,
      reg: ep.reg,
      clientHost: req.headers.host ?? region.frontIp,
    };
    // A read under a cache rule: served through from the upstream while absent here. If the
    // cache path itself breaks before answering, plain registry behaviour serves what is here.
    if (route.kind === 'manifest' || route.kind === 'blob') {
      const handled = await cache.handle(req, res, route, ep.reg).catch(() => res.headersSent);
      if (handled) return;
    }
    switch (route.kind) {
      case 'base': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2, ...API_VERSION });
        return res.end(head ? undefined : '{}');
      }
      case 'catalog':
        return catalog(req, res, ctx, new URLSearchParams(query));
      case 'blob':
        if (req.method === 'GET') return blobRedirect(res, ctx, route.repo, route.digest);
        return proxy(req, res, ctx, upstreamPath(path, query, ep.reg));
      case 'upload': {
        // Cross-repository mount needs pull on the source; without it the registry starts a plain upload.
        let q = query;
        const from = new URLSearchParams(query).get('from');
        if (from && !(await deps.auth.authorize(req, ep.reg, from, 'pull')).ok) {
          const p = new URLSearchParams(query);
          p.delete('from');
          p.delete('mount');
          q = p.toString();
        }
        return proxy(req, res, ctx, upstreamPath(path, q, ep.reg));
      }
      case 'tags':
        return proxy(req, res, ctx, upstreamPath(path, query, ep.reg), { rewriteName: true });
      default:
        traces.forwarded(req);
        return proxy(req, res, ctx, upstreamPath(path, query, ep.reg));
    }
  };

  /**
   * A mount request's challenge asks for pull on the source too (as distribution's token
   * auth does): a client that follows it then holds a token the mount can use. A token that
   * lacks it still gets a plain upload (below), not a refusal.
   */
  const mountScopes = (route: ReturnType<typeof matchV2>, query: string): string[] => {
    if (route?.kind !== 'upload') return [];
    const p = new URLSearchParams(query);
    const from = p.get('from');
    // Only a well-formed name goes into the header (a quote in `from` must not end the scope).
    return from && p.get('mount') && REPO_NAME.test(from) ? [challengeScope(from, 'pull')] : [];
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // Which region answered: a client that went through the global name can tell where
    // Traffic Manager sent it (the failover scenario records it per request).
    res.setHeader('x-stampede-region', region.name);
    traces.observe(req, res);
    handle(req, res).catch((e) => {
      if (!res.headersSent) ociError(res, 500, 'UNKNOWN', `front error: ${(e as Error).message}`);
      else res.destroy();
    });
  };
  const listen = async (srv: Server, host: string, p: number) => {
    srv.headersTimeout = 66_000;
    srv.requestTimeout = 0; // large uploads stream for as long as they need
    await new Promise<void>((resolve, reject) => {
      srv.once('error', (e) =>
        reject(new RunError('FRONT_LISTEN', `front ${region.name} on ${host}:${p}: ${e.message}`)),
      );
      // a stampede connects all at once: a deep accept queue instead of SYN retries
      srv.listen({ port: p, host, backlog: 4096 }, () => resolve());
    });
  };
  // One listener per address and port: the IPv4 front, and with dual stack its IPv6 twin.
  const hosts = [region.frontIp, ...(region.frontIp6 ? [region.frontIp6] : [])];
  const tlsPort = state.config.registry.tlsPort;
  const servers: Server[] = [];
  const closeAll = () =>
    Promise.all(
      servers.map(
        (srv) =>
          new Promise<void>((resolve) => {
            srv.close(() => resolve());
            srv.closeAllConnections();
          }),
      ),
    );
  try {
    for (const host of hosts) {
      const server = createServer({ keepAliveTimeout: 65_000 }, onRequest);
      servers.push(server);
      await listen(server, host, port);
      // The same handler over TLS (what the Azure SDK needs: it sends bearer tokens only over https).
      if (deps.tls) {
        const tlsServer = createTlsServer(
          { keepAliveTimeout: 65_000, cert: deps.tls.cert, key: deps.tls.key },
          onRequest,
        ) as unknown as Server;
        tlsServer.on('tlsClientError', () => {
          // a client that does not trust the lab CA: its own error
        });
        servers.push(tlsServer);
        await listen(tlsServer, host, tlsPort);
      }
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  report();
  const reporter = setInterval(report, 1000);
  reporter.unref();

  return {
    name,
    url: `http://${region.frontIp}:${port}`,
    ...(deps.tls ? { tlsUrl: `https://${region.frontIp}:${tlsPort}` } : {}),
    cache,
    traces,
    async stop() {
      clearInterval(reporter);
      await cache.stop();
      monitor.stop();
      await closeAll();
      await Promise.allSettled([pool.destroy(), probeAgent.destroy()]);
      state.components.set(name, { ok: false, detail: 'stopped', since: Date.now() });
    },
  };
}
