/**
 * The cache-stampede scenario's parameters (the schema is the only home of their defaults).
 * The names under upstream.*, cache.*, breaker.*, image.*, vus and arrivalSpreadS are the
 * ones `stampede sim cache-stampede` uses too, so a lab run and a simulation of the same
 * configuration can be compared key by key. No Node imports: the k6 entry imports its types.
 */
import { bool, type Infer, int, num, numList, oneOf, str } from '../../config/schema';

export const cacheStampedeSchema = {
  vus: int({
    default: 40,
    min: 1,
    max: 5000,
    doc: 'nodes cold-pulling the cache-rule image at once (one pull each per wave)',
  }),
  arrivalSpreadS: num({
    default: 0,
    min: 0,
    max: 600,
    unit: 's',
    doc: 'VU i of N starts its pull at i/N of this (0: all at once, the stampede)',
  }),
  waves: int({
    default: 1,
    min: 1,
    max: 2,
    doc: '2: a second wave of vus pulls by digest once the first is done and the image is hydrated',
  }),
  prewarm: bool({
    default: false,
    doc: 'lab only: pull once and wait for the hydration webhook before releasing the fleet',
  }),
  image: {
    layers: numList({
      default: [1 << 20, 2 << 20] as never,
      integer: true,
      min: 1,
      max: 2 ** 30,
      unit: 'B',
      doc: 'bytes per layer of the image seeded upstream only (a fresh repository per run: cold)',
    }),
  },
  rule: {
    downstream: str({
      default: 'hub/library',
      pattern: /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/,
      doc: 'lab only: the cache rule pulled through (added if the lab lacks it), downstream prefix',
    }),
    upstreamRepo: str({
      default: 'library',
      pattern: /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/,
      doc: 'lab only: upstream repository prefix of the rule (on upstream.<domain>)',
    }),
  },
  upstream: {
    rateLimit: {
      scope: oneOf(['global', 'client'], {
        default: 'global',
        doc: 'one bucket, or one per client IP (front)',
      }),
      perMin: num({ default: 60, gt: 0, unit: 'req/min', doc: 'tokens refilled per minute (> 0)' }),
      burst: int({ default: 10, min: 1, doc: 'bucket size (manifest GETs admitted at once)' }),
      retryAfterS: int({ default: 5, min: 1, max: 3600, unit: 's', doc: 'Retry-After of an upstream 429' }),
    },
    latencyMs: num({ default: 0, min: 0, unit: 'ms', doc: 'added per upstream request' }),
    bps: num({ default: 0, min: 0, unit: 'B/s', doc: 'per-stream upstream bytes/s (0 = unlimited)' }),
    fault: oneOf(['none', 'slow', '5xx', 'down'], {
      default: 'none',
      doc: 'lab only: upstream fault for the run (after seeding and pre-warm); slow adds 2 s',
    }),
  },
  cache: {
    coalescing: oneOf(['off', 'per-front'], {
      default: 'per-front',
      doc: 'off: every miss goes upstream; per-front: one upstream fetch per digest per front',
    }),
    hydrationWorkers: int({ default: 2, min: 1, max: 64, doc: 'concurrent import jobs per front' }),
  },
  breaker: {
    enabled: bool({ default: true, doc: 'circuit breaker on upstream 429/5xx' }),
    failures: int({ default: 5, min: 1, doc: 'K upstream failures ...' }),
    windowS: num({ default: 10, gt: 0, unit: 's', doc: '... within W s open it' }),
    openS: num({ default: 30, gt: 0, unit: 's', doc: 'open this long, then one half-open probe' }),
  },
  maxRetries: int({
    default: 2,
    min: 0,
    max: 20,
    doc: 'client retries per request on 429/503, with backoff',
  }),
  parallelLayers: int({
    default: 3,
    min: 1,
    max: 16,
    doc: "layers fetched at once per pull (containerd's 3)",
  }),
  verifyDigest: bool({ default: true, doc: 'sha256 every blob against its digest' }),
  registry: str({ default: '', doc: 'lab only: which lab registry name (default: the first)' }),
  maxDurationS: num({ default: 300, gt: 0, max: 86_400, unit: 's', doc: 'hard cap on the k6 scenario' }),
};
export type CacheStampedeParams = Infer<typeof cacheStampedeSchema>;

/** What the k6 entry receives (__ENV.STAMPEDE_PARAMS). */
export interface CacheStampedeScriptParams extends CacheStampedeParams {
  baseUrl: string;
  hosts?: Record<string, string>;
}
