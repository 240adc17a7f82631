/**
 * The lab run's twin in the simulator (sim/models/cache-stampede): the run's own settings
 * (vus, image sizes as seeded, upstream limit, latency and bandwidth, coalescing, hydration
 * workers, breaker, the k6 client's retries and parallel layers) given to
 * `simulateCacheStampede`, and its upstream requests and pull times set beside what the lab
 * measured for the cold wave. Nothing is fitted. Settings the lab has no counterpart for
 * keep the simulator's defaults (cache.latencyMs, cache.streamBps): the twin's pull time is
 * the protocol's (round trips, bytes at the configured rates), not the 2-core machine's CPU
 * contention under k6, which is why the request counts are the twin's firm check and the
 * latency is reported as a ratio.
 */

import {
  type CacheStampedeParams as SimParams,
  cacheStampedeSchema as simSchema,
} from '../../../sim/models/cache-stampede/params';
import { simulateCacheStampede } from '../../../sim/models/cache-stampede/simulate';
import { defaults } from '../../config/schema';
import type { CacheStampedeParams } from './params';

/** The agreement bounds: upstream requests ±10 %, pull P50/P90 ±15 %. */
export const REQUESTS_TOLERANCE = 0.1;
export const LATENCY_TOLERANCE = 0.15;
/** The k6 client's back-off (lib/k6/vu/retry.ts defaults): 0.25 s doubling, at most 8 s, x U[0.5, 1.5). */
const K6_RETRY = { baseS: 0.25, capS: 8, jitter: 0.5 };
/** The lab hydrator (lib/lab/cache/hydrator.ts): 3 attempts, 1 s x 2^n apart. */
const HYDRATOR = { attempts: 3, retryS: 1 };

export interface CacheMeasured {
  /** Upstream manifest GETs and blob requests of the cold wave. */
  manifestGets: number;
  blobRequests: number;
  throttled: number;
  pullS: { p50: number; p90: number } | null;
}

export interface CacheTwin {
  /** The simulated configuration, as `stampede sim cache-stampede --set` keys. */
  sets: string[];
  predicted: CacheMeasured & { ok: number; failed: number };
  measured: CacheMeasured;
  /** measured / predicted. */
  ratio: { requests: number | null; p50: number | null; p90: number | null };
  /** Within the bounds (requests ±10 %; latency ±15 %). */
  within: { requests: boolean; p50: boolean; p90: boolean };
}

/** Why a run has no twin (null: it has one). */
export function noTwinReason(p: CacheStampedeParams): string | null {
  if (p.upstream.fault !== 'none')
    return `upstream.fault=${p.upstream.fault} (the lab's fault shapes differ from the sim's)`;
  if (p.prewarm) return 'prewarm (the lab pre-warms before the run; the measured burst is all hydrated)';
  return null;
}

/** The simulator's parameters for this lab run. */
export function twinParams(
  p: CacheStampedeParams,
  seeded: { manifestBytes: number; configBytes: number },
): SimParams {
  const s = defaults(simSchema);
  s.nodes = p.vus;
  s.arrivalSpreadS = p.arrivalSpreadS;
  // The sim's objects are the manifest then blobs: the config blob is one more blob.
  s.image = {
    layers: [seeded.configBytes, ...p.image.layers],
    manifestBytes: seeded.manifestBytes,
    reference: 'tag',
  };
  s.upstream = {
    ...s.upstream,
    latencyMs: p.upstream.latencyMs,
    bps: p.upstream.bps,
    aggregateBps: 0,
    fault: 'none',
    rateLimit: {
      enabled: true,
      scope: p.upstream.rateLimit.scope,
      perMin: p.upstream.rateLimit.perMin,
      burst: p.upstream.rateLimit.burst,
      retryAfterS: p.upstream.rateLimit.retryAfterS,
      // The lab upstream charges manifest GETs only, as Docker Hub does.
      counts: 'manifest-get',
    },
  };
  s.cache = {
    ...s.cache,
    coalescing: p.cache.coalescing,
    // The k6 fleet pulls through the client region's front only.
    fronts: 1,
    hydrationWorkers: p.cache.hydrationWorkers,
    // The lab front queues the import as the manifest arrives.
    dispatchS: 0,
    importRetryS: HYDRATOR.retryS,
    importMaxAttempts: HYDRATOR.attempts,
  };
  s.client = {
    parallelLayers: p.parallelLayers,
    retryBaseS: K6_RETRY.baseS,
    retryCapS: K6_RETRY.capS,
    retryJitter: K6_RETRY.jitter,
    honorRetryAfter: true,
    maxAttempts: p.maxRetries + 1,
  };
  s.breaker = { ...p.breaker };
  s.prewarm = { ...s.prewarm, enabled: false };
  s.strategies = ['as-set'];
  s.run = { ...s.run, untilS: p.maxDurationS };
  return s;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
/** Nearest-rank quantile (the lab's records use the same). */
const q = (xs: number[], f: number): number =>
  xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(f * xs.length) - 1))] as number;

const ratioOf = (m: number, p: number): number | null => (p > 0 ? m / p : m === 0 ? 1 : null);
const inBand = (r: number | null, tol: number) => r !== null && Math.abs(r - 1) <= tol;

/** The twin of one lab run (seed: the simulator's, for its jitter; a simultaneous burst draws nothing else). */
export function cacheTwin(
  p: CacheStampedeParams,
  seeded: { manifestBytes: number; configBytes: number },
  measured: CacheMeasured,
  seed = 1,
): CacheTwin {
  const sp = twinParams(p, seeded);
  const r = simulateCacheStampede(
    sp,
    { coalescing: sp.cache.coalescing, breaker: sp.breaker.enabled, prewarm: false },
    seed,
  );
  const times = sorted(r.pulls.filter((x) => x.ok).map((x) => x.pullS as number));
  const predicted = {
    manifestGets: r.upstream.requests.manifest,
    blobRequests: r.upstream.requests.blob,
    throttled: r.upstream.throttled,
    pullS: times.length ? { p50: q(times, 0.5), p90: q(times, 0.9) } : null,
    ok: times.length,
    failed: r.pulls.length - times.length,
  };
  const requests = ratioOf(
    measured.manifestGets + measured.blobRequests,
    predicted.manifestGets + predicted.blobRequests,
  );
  const p50 = measured.pullS && predicted.pullS ? ratioOf(measured.pullS.p50, predicted.pullS.p50) : null;
  const p90 = measured.pullS && predicted.pullS ? ratioOf(measured.pullS.p90, predicted.pullS.p90) : null;
  return {
    sets: [
      `nodes=${sp.nodes}`,
      `image.layers=${sp.image.layers.join(',')}`,
      `image.manifestBytes=${sp.image.manifestBytes}`,
      `upstream.latencyMs=${sp.upstream.latencyMs}`,
      `upstream.bps=${sp.upstream.bps}`,
      `upstream.rateLimit.scope=${sp.upstream.rateLimit.scope}`,
      `upstream.rateLimit.perMin=${sp.upstream.rateLimit.perMin}`,
      `upstream.rateLimit.burst=${sp.upstream.rateLimit.burst}`,
      `upstream.rateLimit.retryAfterS=${sp.upstream.rateLimit.retryAfterS}`,
      'upstream.rateLimit.counts=manifest-get',
      `cache.coalescing=${sp.cache.coalescing}`,
      'cache.fronts=1',
      `cache.hydrationWorkers=${sp.cache.hydrationWorkers}`,
      'cache.dispatchS=0',
      `client.parallelLayers=${sp.client.parallelLayers}`,
      `client.maxAttempts=${sp.client.maxAttempts}`,
      `breaker.enabled=${sp.breaker.enabled}`,
      'strategies=as-set',
    ],
    predicted,
    measured,
    ratio: { requests, p50, p90 },
    within: {
      requests: inBand(requests, REQUESTS_TOLERANCE),
      p50: inBand(p50, LATENCY_TOLERANCE),
      p90: inBand(p90, LATENCY_TOLERANCE),
    },
  };
}
