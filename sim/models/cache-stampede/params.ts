/**
 * Parameters of `stampede sim cache-stampede`: every default, unit and bound lives here
 * (sources and ranges in README.md next to this file). The keys are the ones the lab half of
 * issue #20 uses (`upstream.rateLimit.*`, `upstream.latencyMs`, `upstream.bps`,
 * `upstream.fault`, `cache.coalescing`, `cache.hydrationWorkers`, `breaker.*`,
 * `image.layers`, `nodes` / k6 `vus`, `arrivalSpreadS`), so one configuration drives both.
 * Keys the lab has no counterpart for are marked "sim only".
 */
import { bool, type Infer, int, num, numList, oneOf, strList } from '../../../lib/config/schema';

export const COALESCING = ['off', 'per-front', 'global'] as const;
export type Coalescing = (typeof COALESCING)[number];

export const FAULTS = ['none', 'slow', '5xx', 'down'] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * The strategies one run compares, each a set of overrides of the configuration
 * (`as-set`: none, the configuration exactly as resolved).
 */
export const STRATEGIES = {
  'as-set': {},
  off: { coalescing: 'off', breaker: false, prewarm: false },
  'per-front': { coalescing: 'per-front', breaker: false, prewarm: false },
  global: { coalescing: 'global', breaker: false, prewarm: false },
  'off+breaker': { coalescing: 'off', breaker: true, prewarm: false },
  'per-front+breaker': { coalescing: 'per-front', breaker: true, prewarm: false },
  prewarm: { coalescing: 'per-front', breaker: true, prewarm: true },
} as const satisfies Record<string, { coalescing?: Coalescing; breaker?: boolean; prewarm?: boolean }>;
export type Strategy = keyof typeof STRATEGIES;
export const STRATEGY_NAMES = Object.keys(STRATEGIES) as Strategy[];

const MiB = 2 ** 20;

export const cacheStampedeSchema = {
  nodes: int({
    default: 500,
    min: 1,
    max: 1_000_000,
    doc: 'nodes pulling the image (lab: k6 vus); node i goes through front i mod cache.fronts',
  }),
  arrivalSpreadS: num({
    default: 0,
    min: 0,
    unit: 's',
    doc: 'each node starts its pull at U[0, arrivalSpreadS) (0 = one simultaneous burst)',
  }),
  image: {
    layers: numList({
      default: [2 * MiB, 30 * MiB, 80 * MiB, 150 * MiB, 250 * MiB],
      gt: 0,
      unit: 'B',
      doc: 'bytes per layer blob, in manifest order (the image is only upstream at the start)',
    }),
    manifestBytes: num({ default: 2048, gt: 0, unit: 'B', doc: 'manifest size' }),
    hydrated: bool({
      default: false,
      doc: "sim only: the image is already downstream at the start (a hydrated wave, as the lab run's wave 2)",
    }),
    reference: oneOf(['tag', 'digest'], {
      default: 'tag',
      doc: 'tag: a hydrated manifest is still checked for freshness upstream (a HEAD; served from the cache when that fails); digest: a hydrated pull never touches the upstream',
    }),
  },
  upstream: {
    latencyMs: num({ default: 50, min: 0, unit: 'ms', doc: 'added to every upstream request' }),
    bps: num({
      default: 50e6,
      min: 0,
      unit: 'B/s',
      doc: 'per-stream bytes/s of an upstream fetch (0 = unlimited)',
    }),
    aggregateBps: num({
      default: 0,
      min: 0,
      unit: 'B/s',
      doc: 'sim only: all upstream streams together share this (0 = unlimited)',
    }),
    fault: oneOf(FAULTS, {
      default: 'none',
      doc: 'none; slow (latency x slowFactor, bps / slowFactor); 5xx (every request answered 503); down (connection refused)',
    }),
    faultStartS: num({ default: 0, min: 0, unit: 's', doc: 'the fault starts at this time' }),
    faultEndS: num({ default: 0, min: 0, unit: 's', doc: 'the fault ends at this time (0 = never)' }),
    slowFactor: num({
      default: 10,
      min: 1,
      doc: 'fault=slow: latency multiplied and bandwidth divided by this',
    }),
    rateLimit: {
      enabled: bool({ default: true, doc: 'the upstream applies its token bucket' }),
      scope: oneOf(['global', 'client'], {
        default: 'client',
        doc: 'client: one bucket per upstream client (each front, and the hydration workers as one more; Docker Hub counts per IP or per account); global: one bucket for all',
      }),
      perMin: num({ default: 60, gt: 0, unit: 'tokens/min', doc: 'tokens refilled per minute' }),
      burst: int({ default: 100, min: 1, max: 1e9, doc: 'bucket size (full at the start)' }),
      retryAfterS: num({ default: 60, min: 0, unit: 's', doc: 'Retry-After on a 429' }),
      counts: oneOf(['all', 'manifest-get'], {
        default: 'all',
        doc: 'sim only: requests that take a token; manifest-get is Docker Hub (GETs of /v2/*/manifests/* count, HEADs and blobs do not)',
      }),
    },
  },
  cache: {
    coalescing: oneOf(COALESCING, {
      default: 'per-front',
      doc: 'off: every miss goes upstream and nothing it fetches is kept (a naive proxy); per-front: concurrent misses of one digest on one front share one fetch, written through into the cache; global: shared across fronts',
    }),
    fronts: int({ default: 1, min: 1, max: 10_000, doc: 'registry fronts (each its own upstream client)' }),
    hydrationWorkers: int({
      default: 4,
      min: 1,
      max: 10_000,
      doc: 'concurrent import jobs in the region; the rest wait in a FIFO',
    }),
    dispatchS: num({
      default: 1,
      min: 0,
      unit: 's',
      doc: 'sim only: from a served manifest queueing an import event to it reaching the worker queue',
    }),
    importRetryS: num({
      default: 5,
      gt: 0,
      unit: 's',
      doc: 'sim only: an import fetch that failed waits max(Retry-After, this x 2^attempt)',
    }),
    importMaxAttempts: int({
      default: 6,
      min: 1,
      max: 1000,
      doc: 'sim only: failed fetches of one object before an import job gives up (a later miss queues another)',
    }),
    latencyMs: num({ default: 5, min: 0, unit: 'ms', doc: 'a request served from the cache' }),
    streamBps: num({
      default: 100e6,
      min: 0,
      unit: 'B/s',
      doc: 'per-stream bytes/s served from the cache backend (0 = unlimited)',
    }),
    bps: num({
      default: 0,
      min: 0,
      unit: 'B/s',
      doc: 'egress of the cache backend shared by every stream it serves (lab: the storage ceiling; 0 = unlimited)',
    }),
  },
  client: {
    parallelLayers: int({
      default: 3,
      min: 1,
      max: 64,
      doc: 'layers fetched at once per node (containerd: 3)',
    }),
    retryBaseS: num({
      default: 10,
      gt: 0,
      unit: 's',
      doc: 'first back-off after a failed request (kubelet: 10 s)',
    }),
    retryCapS: num({ default: 300, gt: 0, unit: 's', doc: 'back-off cap (kubelet: 300 s)' }),
    retryJitter: num({ default: 0.5, min: 0, max: 1, doc: 'share of each back-off drawn uniformly' }),
    honorRetryAfter: bool({
      default: true,
      doc: 'wait at least the Retry-After of a 429 (the k6 client does; kubelet does not)',
    }),
    maxAttempts: int({
      default: 8,
      min: 1,
      max: 1000,
      doc: 'failed requests a node takes before its pull fails (kubelet retries forever; a run must end)',
    }),
  },
  breaker: {
    enabled: bool({
      default: false,
      doc: 'a circuit breaker per upstream client on upstream 429/5xx/connection errors',
    }),
    failures: int({ default: 5, min: 1, max: 1e6, doc: 'K: failures within windowS that open it' }),
    windowS: num({ default: 10, gt: 0, unit: 's', doc: 'W: the sliding window of failures' }),
    openS: num({
      default: 30,
      gt: 0,
      unit: 's',
      doc: 'time open (requests fail at once) before one half-open probe; a failed probe reopens it',
    }),
  },
  prewarm: {
    enabled: bool({
      default: false,
      doc: 'node 0 pulls alone; the rest start when the hydration webhook arrives (or at timeoutS)',
    }),
    webhookDelayS: num({ default: 1, min: 0, unit: 's', doc: 'hydrated -> webhook at the deployer' }),
    timeoutS: num({
      default: 1800,
      gt: 0,
      unit: 's',
      doc: 'the fleet is released after this even without a webhook',
    }),
  },
  lab: {
    enabled: bool({
      default: false,
      doc: "sim only: the lab machine's own serving (lab-serving.ts): every HTTP request of the run queues for one of lab.servers, costing lab.requestS + bytes / lab.bps (off: the protocol's time alone, as before)",
    }),
    requestS: num({
      default: 0,
      min: 0,
      max: 1,
      unit: 's',
      doc: 'fitted on a hydrated wave: machine time of one HTTP request (k6 sending and parsing it, the front, registry, storage or upstream process handling it; range 0-1 s)',
    }),
    bps: num({
      default: 0,
      min: 0,
      max: 1e11,
      unit: 'B/s',
      doc: 'fitted on a hydrated wave: bytes one server moves per second (serving, loopback, k6 reading and hashing them; 0 = bytes cost nothing; range 1 MB/s-100 GB/s)',
    }),
    servers: int({
      default: 2,
      min: 1,
      max: 1024,
      doc: "recorded, not fitted: requests served at once (the lab machine's cores)",
    }),
    pollers: int({
      default: 0,
      min: 0,
      max: 1_000_000,
      doc: "recorded: VUs long-polling the wave gate while the nodes pull (the lab's wave 2 waiting through wave 1): one request each at the start and every lab.pollS, and one POST per node when its pull ends",
    }),
    spool: bool({
      default: true,
      doc: "sim only, with lab.enabled: the lab's byte path. A coalescing front serves a blob it fetched from its spool (one 200 with the bytes) until the import has written it into the registry (per blob HEAD, HEAD, POST, PUT with the bytes, then the manifest PUT: lab requests); then by a 307 and a hop to storage. false: the ablation, blobs by 307 as soon as fetched and the import's writes free",
    }),
    pollS: num({
      default: 5,
      gt: 0,
      unit: 's',
      doc: "the wave gate's long poll (lib/k6/cache-stampede/gate.ts)",
    }),
  },
  strategies: strList({
    default: ['off', 'per-front', 'off+breaker', 'per-front+breaker', 'prewarm'],
    pattern: /^[a-z+-]+$/,
    doc: `strategies compared, one point each: ${STRATEGY_NAMES.join(', ')} (as-set: the configuration unchanged; the first point is also the run's top-level metrics)`,
  }),
  run: {
    untilS: num({
      default: 6 * 3600,
      gt: 0,
      unit: 's',
      doc: 'simulated time limit; a pull not finished by then fails with PULL_INCOMPLETE',
    }),
    binS: num({ default: 1, gt: 0, unit: 's', doc: 'bin of the upstream-requests-over-time records' }),
  },
};

export type CacheStampedeParams = Infer<typeof cacheStampedeSchema>;
