/**
 * The pull-through path of one front (ACR Artifact Cache's data plane, serve now, hydrate for
 * later). A manifest or blob read under a cache rule:
 *  - present downstream: served locally by the front's normal path (blobs by the 307 to
 *    storage). A digest reference asks the upstream nothing. A tag reference first checks
 *    freshness with one upstream manifest HEAD; when the upstream fails (error, 429, breaker
 *    open) the downstream copy is served anyway;
 *  - absent: the manifest is fetched upstream and served through the front, an import job
 *    is queued (hydrator.ts), and blobs are served through from the upstream until it lands.
 * Coalescing (`cache.coalescing`): `off` sends every miss upstream and streams each blob
 * straight through, like a naive proxy. `per-front` keeps one in-flight fetch per manifest
 * reference and per blob digest: waiters do not stream from it, they wait for it to land in
 * the front's spool (memory, until the image is hydrated) and are then served from there,
 * as is every later miss for that digest until the import lands; the import reads the
 * spool too, so one upstream GET per digest serves the burst and the hydration.
 * The breaker (breaker.ts) counts upstream 429/5xx/no answer; while open an un-hydrated read
 * fails fast with 503 and code UPSTREAM_UNAVAILABLE, hydrated content is still served.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { Agent, type Dispatcher, type Pool, request } from 'undici';
import type { Clock } from '../../clock';
import { RunError } from '../../errors';
import { MANIFEST_ACCEPT } from '../../oci/media-types';
import { ociError } from '../front/oci-error';
import type { V2Route } from '../front/routes';
import { Ring } from '../replication/status';
import type { LabState } from '../state';
import type { RegionAddr } from '../topology';
import { Breaker, type BreakerStatus } from './breaker';
import { Coalescer, type CoalescerStats } from './coalescer';
import { type HydrationJob, type HydrationRecord, Hydrator } from './hydrator';
import { type CacheRule, matchRule, ruleText } from './rules';

/** The OCI error code of a read that needs the upstream while it is unavailable. */
export const UPSTREAM_UNAVAILABLE = 'UPSTREAM_UNAVAILABLE';

export interface RuleCounters {
  /** Upstream requests this front sent under the rule, by kind (HEADs included). */
  requests: { manifest: number; blob: number };
  /** Upstream body bytes received. */
  bytes: number;
  /** Upstream 429s received. */
  throttled: number;
  /** Upstream 5xx or no answer. */
  failed: number;
  /** Reads refused at once by the open breaker. */
  refused: number;
  /** Client reads answered from downstream / through the upstream / from the spool. */
  served: { local: number; upstream: number; spool: number };
}

/** Why a front asked the upstream (the code path), for `lab status` and the duplicate-GET hunt. */
export type UpstreamWhy =
  | 'manifest-miss'
  | 'tag-freshness'
  | 'blob-coalesced'
  | 'blob-straight'
  | 'hydrator-blob'
  | 'hydrator-manifest';

export interface UpstreamCall {
  /** ms epoch when the request left. */
  at: number;
  method: 'GET' | 'HEAD';
  kind: 'manifest' | 'blob';
  /** Upstream path (repository and reference or digest). */
  path: string;
  why: UpstreamWhy;
  status: number | null;
}

export interface CacheFrontStatus {
  region: string;
  /** The newest upstream requests this front sent (bounded), oldest first. */
  calls: UpstreamCall[];
  breaker: BreakerStatus;
  coalescing: CoalescerStats;
  spool: { blobs: number; bytes: number };
  rules: Record<string, RuleCounters>;
  hydration: HydrationRecord[];
}

export interface CachePath {
  /** true if the read fell under a cache rule and was answered here; false: the normal path serves it. */
  handle(req: IncomingMessage, res: ServerResponse, route: V2Route, reg: string): Promise<boolean>;
  status(): CacheFrontStatus;
  stop(): Promise<void>;
}

interface Fetched {
  status: number;
  body: Buffer;
  headers: Record<string, string>;
}

class UpstreamDown extends RunError {
  constructor(why: string) {
    super(UPSTREAM_UNAVAILABLE, why);
  }
}

const DIGEST_REF = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const pick = (h: Record<string, string | string[] | undefined>, keys: string[]) => {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = h[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
};

export function startCachePath(
  state: LabState,
  region: RegionAddr,
  deps: { pool: Pool; registryUrl: string; clock?: Clock },
): CachePath {
  const topo = state.topology;
  // Every upstream call leaves from this front's own address: a per-client limit sees fronts apart.
  const agent = new Agent({
    connections: 256,
    keepAliveTimeout: 30_000,
    connect: { localAddress: region.frontIp },
  });
  const breaker = new Breaker(() => state.cache.breaker, deps.clock);
  const coalescer = new Coalescer<Fetched>(() => state.cache.cache.coalescing);
  const spool = new Map<string, Buffer>();
  /**
   * Blobs an import has landed downstream (`reg/repo@digest`). A read that found the blob missing downstream
   * and then, after that await, finds the spool emptied (the import settled meanwhile) is
   * served locally: without this it went upstream a second time (4 blob GETs for 3 blobs in
   * one CI run of the 40-VU burst).
   */
  const landed = new Set<string>();
  /** per-front: manifests fetched upstream, served to later misses until their import settles. */
  const heldManifests = new Map<string, Fetched>();
  const counters = new Map<string, RuleCounters>();
  const calls = new Ring<UpstreamCall>(300);
  const countersOf = (rule: CacheRule): RuleCounters => {
    const k = ruleText(rule);
    let c = counters.get(k);
    if (!c) {
      c = {
        requests: { manifest: 0, blob: 0 },
        bytes: 0,
        throttled: 0,
        failed: 0,
        refused: 0,
        served: { local: 0, upstream: 0, spool: 0 },
      };
      counters.set(k, c);
    }
    return c;
  };

  const upstreamOrigin = (rule: CacheRule): string => {
    const u = topo.upstream;
    const [name, port] = rule.upstreamHost.split(/:(?=\d+$)/);
    if (name === u.host) return `http://${u.ip}:${port ?? u.port}`;
    return `http://${rule.upstreamHost}`;
  };

  /** One upstream call through the breaker; 429/5xx/no answer count as failures. */
  const call = async (
    rule: CacheRule,
    kind: 'manifest' | 'blob',
    method: 'GET' | 'HEAD',
    path: string,
    why: UpstreamWhy,
  ): Promise<Dispatcher.ResponseData> => {
    const c = countersOf(rule);
    if (!breaker.allow()) {
      c.refused++;
      throw new UpstreamDown(`upstream ${rule.upstreamHost} unavailable: circuit breaker open`);
    }
    c.requests[kind]++;
    const entry: UpstreamCall = { at: Date.now(), method, kind, path, why, status: null };
    calls.push(entry);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${upstreamOrigin(rule)}${path}`, {
        method,
        dispatcher: agent,
        headers: kind === 'manifest' ? { accept: MANIFEST_ACCEPT } : {},
        headersTimeout: 30_000,
        bodyTimeout: 120_000,
      });
    } catch (e) {
      c.failed++;
      breaker.failure();
      throw new UpstreamDown(`upstream ${rule.upstreamHost} did not answer: ${(e as Error).message}`);
    }
    entry.status = res.statusCode;
    if (res.statusCode === 429) {
      c.throttled++;
      breaker.failure();
    } else if (res.statusCode >= 500) {
      c.failed++;
      breaker.failure();
    } else breaker.success();
    return res;
  };

  /** A whole upstream answer (manifests, and blobs when coalescing). */
  const fetchWhole = async (
    rule: CacheRule,
    kind: 'manifest' | 'blob',
    method: 'GET' | 'HEAD',
    path: string,
    why: UpstreamWhy,
  ): Promise<Fetched> => {
    const res = await call(rule, kind, method, path, why);
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    countersOf(rule).bytes += body.length;
    return {
      status: res.statusCode,
      body,
      headers: pick(res.headers, [
        'content-type',
        'docker-content-digest',
        'retry-after',
        'ratelimit-limit',
        'ratelimit-remaining',
        'content-length',
      ]),
    };
  };

  const hydrator = new Hydrator({
    registryUrl: deps.registryUrl,
    workers: () => state.cache.cache.hydrationWorkers,
    async fetchBlob(job, digest) {
      const held = spool.get(digest);
      if (held) return held;
      const rule = ruleByText(job.rule);
      const f = await coalescer.run(`b:${rule.upstreamHost}/${digest}`, () =>
        fetchWhole(rule, 'blob', 'GET', `/v2/${job.upstreamRepo}/blobs/${digest}`, 'hydrator-blob'),
      );
      if (f.status !== 200)
        throw new RunError('HYDRATION_FAILED', `upstream blob ${digest}: HTTP ${f.status}`);
      if (state.cache.cache.coalescing === 'per-front') spool.set(digest, f.body);
      return f.body;
    },
    async fetchManifest(job, digest) {
      const rule = ruleByText(job.rule);
      const f = await coalescer.run(`m:${rule.upstreamHost}/${job.upstreamRepo}@${digest}`, () =>
        fetchWhole(
          rule,
          'manifest',
          'GET',
          `/v2/${job.upstreamRepo}/manifests/${digest}`,
          'hydrator-manifest',
        ),
      );
      if (f.status !== 200)
        throw new RunError('HYDRATION_FAILED', `upstream manifest ${digest}: HTTP ${f.status}`);
      return { bytes: f.body, mediaType: f.headers['content-type'] ?? '' };
    },
    onSettled(job, blobs) {
      for (const d of blobs) {
        spool.delete(d);
        landed.add(`${job.reg}/${job.repo}@${d}`);
      }
      for (const [k, m] of heldManifests)
        if (m.headers['docker-content-digest'] === job.digest) heldManifests.delete(k);
    },
  });

  const ruleByText = (text: string): CacheRule => {
    const r = state.cache.rules.find((x) => ruleText(x) === text);
    if (!r) throw new RunError('HYDRATION_FAILED', `cache rule ${text} was removed`);
    return r;
  };

  const localHead = async (path: string, manifest: boolean) => {
    const r = await deps.pool.request({
      method: 'HEAD',
      path,
      headers: manifest ? { accept: MANIFEST_ACCEPT } : {},
      headersTimeout: 30_000,
    });
    await r.body.dump();
    return { status: r.statusCode, digest: String(r.headers['docker-content-digest'] ?? '') };
  };

  const unavailable = (res: ServerResponse, e: unknown, head: boolean) => {
    // Retry soon: a retry while the breaker is open is refused here at once, never upstream.
    ociError(res, 503, UPSTREAM_UNAVAILABLE, (e as Error).message, { 'retry-after': '1' }, head);
  };

  /** An upstream answer that is not a success, as the client sees it. */
  const passError = (res: ServerResponse, f: Fetched, head: boolean, what: string) => {
    if (f.status === 429)
      return ociError(
        res,
        429,
        'TOOMANYREQUESTS',
        `upstream rate limit reached for ${what}`,
        pick(f.headers, ['retry-after', 'ratelimit-limit', 'ratelimit-remaining']),
        head,
      );
    if (f.status === 404)
      return ociError(
        res,
        404,
        what.includes('@sha256') || what.includes('blob') ? 'BLOB_UNKNOWN' : 'MANIFEST_UNKNOWN',
        `not found upstream: ${what}`,
        {},
        head,
      );
    return ociError(res, 503, UPSTREAM_UNAVAILABLE, `upstream answered ${f.status} for ${what}`, {}, head);
  };

  const manifest = async (
    req: IncomingMessage,
    res: ServerResponse,
    rule: CacheRule,
    reg: string,
    repo: string,
    upRepo: string,
    ref: string,
  ): Promise<boolean> => {
    const head = req.method === 'HEAD';
    const c = countersOf(rule);
    const local = await localHead(`/v2/${reg}/${repo}/manifests/${ref}`, true);
    const byDigest = DIGEST_REF.test(ref);
    if (local.status === 200) {
      if (byDigest) {
        c.served.local++;
        return false;
      }
      // A tag can move upstream: one HEAD there; any failure serves the downstream copy.
      try {
        const f = await coalescer.run(`h:${rule.upstreamHost}/${upRepo}:${ref}`, () =>
          fetchWhole(rule, 'manifest', 'HEAD', `/v2/${upRepo}/manifests/${ref}`, 'tag-freshness'),
        );
        const fresh = f.status === 200 ? f.headers['docker-content-digest'] : undefined;
        if (f.status !== 200 || !fresh || fresh === local.digest) {
          c.served.local++;
          return false;
        }
      } catch {
        c.served.local++;
        return false;
      }
    }
    const key = `m:${rule.upstreamHost}/${upRepo}:${ref}`;
    const perFront = state.cache.cache.coalescing === 'per-front';
    const held = perFront ? heldManifests.get(key) : undefined;
    let f: Fetched;
    try {
      f =
        held ??
        (await coalescer.run(key, () =>
          fetchWhole(rule, 'manifest', 'GET', `/v2/${upRepo}/manifests/${ref}`, 'manifest-miss'),
        ));
    } catch (e) {
      unavailable(res, e, head);
      return true;
    }
    if (f.status !== 200) {
      passError(res, f, head, `${repo}:${ref}`);
      return true;
    }
    const digest = f.headers['docker-content-digest'] ?? '';
    const mediaType = f.headers['content-type'] ?? '';
    if (perFront && !held && digest) heldManifests.set(key, f);
    if (digest)
      hydrator.enqueue({
        reg,
        repo,
        upstreamRepo: upRepo,
        rule: ruleText(rule),
        digest,
        ...(byDigest ? {} : { tag: ref }),
        manifest: f.body,
        mediaType,
      } satisfies HydrationJob);
    if (held) c.served.spool++;
    else c.served.upstream++;
    res.writeHead(200, {
      'content-type': mediaType,
      'content-length': f.body.length,
      'docker-content-digest': digest,
      'docker-distribution-api-version': 'registry/2.0',
    });
    res.end(head ? undefined : f.body);
    return true;
  };

  const blob = async (
    req: IncomingMessage,
    res: ServerResponse,
    rule: CacheRule,
    reg: string,
    repo: string,
    upRepo: string,
    digest: string,
  ): Promise<boolean> => {
    const head = req.method === 'HEAD';
    const c = countersOf(rule);
    const local = await localHead(`/v2/${reg}/${repo}/blobs/${digest}`, false);
    if (local.status === 200) {
      c.served.local++;
      return false;
    }
    const sendBuffer = (body: Buffer) => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': body.length,
        'docker-content-digest': digest,
        'docker-distribution-api-version': 'registry/2.0',
      });
      res.end(head ? undefined : body);
    };
    const held = spool.get(digest);
    if (held) {
      c.served.spool++;
      sendBuffer(held);
      return true;
    }
    // Per repository: a registry serves a blob only in the repositories that hold it.
    if (landed.has(`${reg}/${repo}@${digest}`)) {
      c.served.local++;
      return false;
    }
    const path = `/v2/${upRepo}/blobs/${digest}`;
    try {
      if (state.cache.cache.coalescing === 'per-front' && !head) {
        const f = await coalescer.run(`b:${rule.upstreamHost}/${digest}`, () =>
          fetchWhole(rule, 'blob', 'GET', path, 'blob-coalesced'),
        );
        if (f.status !== 200) {
          passError(res, f, head, `blob ${digest}`);
          return true;
        }
        spool.set(digest, f.body);
        c.served.spool++;
        sendBuffer(f.body);
        return true;
      }
      // Straight through: the upstream's stream is the client's.
      const up = await call(rule, 'blob', head ? 'HEAD' : 'GET', path, 'blob-straight');
      if (up.statusCode !== 200) {
        const body = Buffer.from(await up.body.arrayBuffer());
        passError(
          res,
          { status: up.statusCode, body, headers: pick(up.headers, ['retry-after']) },
          head,
          `blob ${digest}`,
        );
        return true;
      }
      c.served.upstream++;
      res.writeHead(200, {
        ...pick(up.headers, ['content-length', 'content-type', 'docker-content-digest']),
        'docker-distribution-api-version': 'registry/2.0',
      });
      up.body.on('data', (chunk: Buffer) => {
        c.bytes += chunk.length;
      });
      pipeline(up.body, res, () => {});
      return true;
    } catch (e) {
      unavailable(res, e, head);
      return true;
    }
  };

  return {
    async handle(req, res, route, reg) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (route.kind !== 'manifest' && route.kind !== 'blob') return false;
      const m = matchRule(route.repo, state.cache.rules);
      if (!m) return false;
      if (route.kind === 'manifest')
        return manifest(req, res, m.rule, reg, route.repo, m.upstreamRepo, route.ref);
      return blob(req, res, m.rule, reg, route.repo, m.upstreamRepo, route.digest);
    },
    status() {
      let bytes = 0;
      for (const b of spool.values()) bytes += b.length;
      return {
        region: region.name,
        calls: calls.toArray().map((x) => ({ ...x })),
        breaker: breaker.status(),
        coalescing: coalescer.stats(),
        spool: { blobs: spool.size, bytes },
        rules: Object.fromEntries([...counters.entries()].map(([k, v]) => [k, structuredClone(v)])),
        hydration: hydrator.status(),
      };
    },
    async stop() {
      hydrator.stop();
      await agent.destroy().catch(() => {});
    },
  };
}
