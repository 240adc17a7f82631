/**
 * The parameter tree of a cold-pull storm (and, with a sweep group on top, of copy-sweep).
 * Defaults are the fixed workload assumptions (sim/models/README.md says why each was
 * chosen) and, for the free physical parameters, plain round values inside their physical
 * bounds: the kubelet's own image-pull back-off (10 s doubling to 300 s), equal jitter, a
 * linear refusal curve, round rates and windows. The values fitted to the ACR post live only
 * in the preset (sim/experiments/presets/copy-sweep/acr-copies-2026.json), which both models
 * apply by default when no --preset is given.
 */
import { bool, type Infer, int, num, numList, oneOf } from '../../../lib/config/schema';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

export const workloadSchema = {
  nodes: int({
    default: 1000,
    min: 1,
    max: 1_000_000,
    doc: 'nodes pulling the image cold at the same instant',
  }),
  layerSizesMiB: numList({
    // A ~17 GiB GPU training image: a small OS base, CUDA/cuDNN/framework layers of
    // several GiB, small config layers on top. Uneven sizes are what make backends hot.
    default: [29, 95, 210, 480, 820, 1150, 2250, 4600, 3300, 2850, 1500, 640, 310, 48, 18],
    gt: 0,
    unit: 'MiB',
    doc: 'layer sizes in manifest order (the order they are fetched and unpacked)',
  }),
};

export const clientSchema = {
  maxConcurrentDownloads: int({
    default: 3,
    min: 1,
    max: 64,
    doc: "layers a node downloads at once (containerd's max_concurrent_downloads default is 3)",
  }),
  nicBps: num({ default: 1.25e9, gt: 0, unit: 'B/s', doc: 'per-node NIC bandwidth shared by its downloads' }),
  streamBps: num({
    default: 128 * MiB,
    gt: 0,
    unit: 'B/s',
    doc: 'read rate of one HTTP stream from one warm blob copy',
  }),
  unpackBps: num({
    default: 32 * MiB,
    gt: 0,
    unit: 'B/s',
    doc: 'median per-node unpack rate (decompress + write)',
  }),
  unpackSpread: num({
    default: 0.05,
    min: 0,
    max: 2,
    doc: 'node-to-node spread of unpack rate: sigma of a log-normal around the median (disk/CPU variance)',
  }),
  startS: num({ default: 8, min: 0, unit: 's', doc: 'container create + start after the image is unpacked' }),
  retryBaseS: num({
    default: 10,
    gt: 0,
    unit: 's',
    doc: "first retry delay after a 503, doubling with every 503 the node meets: the effective cost of a refused read (default: kubelet's image-pull back-off starts at 10 s; acr-copies-2026 fits it)",
  }),
  retryCapS: num({
    default: 300,
    gt: 0,
    unit: 's',
    doc: "longest retry delay; the doubling stops here (default: kubelet's image-pull back-off cap, 300 s; acr-copies-2026 fits it)",
  }),
  retryJitter: num({
    default: 0.5,
    min: 0,
    max: 1,
    doc: 'share of each retry delay drawn at random: delay = d x (1 - retryJitter) + U(0, d x retryJitter) with d the doubled delay; 0.5 = equal jitter, 1 = full jitter (most refusals cost little, a few cost up to d)',
  }),
  onThrottle: oneOf(['read', 'pull'], {
    default: 'read',
    doc: "what a 503 fails: 'read' = that range request only (the stream retries alone; what acr-copies-2026 is fitted with), 'pull' = the node's image pull, as containerd does it (its other downloads are cancelled, unpack stops after the layer in progress, kubelet backs off, the next pull resumes)",
  }),
  chunkBytes: num({
    default: 512 * MiB,
    gt: 0,
    unit: 'B',
    doc: 'bytes per range request; each request is a storage request that can be throttled',
  }),
};

export const storageSchema = {
  backends: int({
    default: 256,
    min: 1,
    max: 100_000,
    doc: 'storage backends (accounts) in the pool behind the registry',
  }),
  copies: int({
    default: 8,
    min: 1,
    doc: 'copies of every layer, each on a distinct backend (cold-pull only)',
  }),
  ceilingBps: num({
    default: 24 * GiB,
    gt: 0,
    unit: 'B/s',
    doc: 'per-backend egress ceiling: while the windowed egress is above it new requests are throttled (503 ServerBusy)',
  }),
  meterWindowS: num({
    default: 30,
    gt: 0,
    unit: 's',
    doc: 'window of the per-backend egress meter that throttling (and the reported peak) uses',
  }),
  burstFactor: num({
    default: 2,
    min: 1,
    doc: 'physical egress capacity as a multiple of the ceiling (served egress can exceed the ceiling)',
  }),
  throttling: bool({
    default: true,
    doc: '503 new requests while windowed egress is above the ceiling; false = never 503 (ablation)',
  }),
  shedFraction: num({
    default: 0.1,
    gt: 0,
    max: 1,
    doc: 'how much of the load over the ceiling a backend refuses: a new request gets 503 with probability shedFraction x (1 - ceiling / windowed egress); 1 refuses the whole excess, less admits part of it',
  }),
  shedExponent: num({
    default: 1,
    min: 0,
    max: 4,
    doc: 'shape of the refusal curve: 503 probability shedFraction x (1 - ceiling / E)^shedExponent (1 = linear in the excess share, 0 = a step at the ceiling)',
  }),
  copyChoice: oneOf(['random', 'round-robin', 'sticky'], {
    default: 'random',
    doc: 'how the registry redirects a read (and each retry) to a copy: random, round-robin, or sticky (hash of client and layer, so a retry meets the same copy)',
  }),
  fanOutCost: bool({
    default: true,
    doc: 'per-backend working set: a backend whose recently served distinct copies exceed storage.cacheBytes slows every stream on it (false = ablation)',
  }),
  cacheBytes: num({
    default: 8 * GiB,
    gt: 0,
    unit: 'B',
    doc: 'bytes of distinct blobs (copies) a backend serves from its cache at the full per-stream rate: its working set is the copies it served within the last meterWindowS; past this every stream on it runs at streamBps x (cacheBytes / working set)^crowdingExponent',
  }),
  crowdingExponent: num({
    default: 1,
    min: 0,
    max: 6,
    doc: 'how fast a backend over its cache slows its streams: 1 = in proportion to the share of its working set the cache holds, above 1 = misses also cost the hits (seeks, cache thrash)',
  }),
};

export const runSchema = {
  sampleS: num({
    default: 1,
    gt: 0,
    unit: 's',
    doc: 'how often backend egress is sampled (the throttling meter and the reported peak)',
  }),
  horizonS: num({
    default: 7200,
    gt: 0,
    unit: 's',
    doc: 'simulated time limit; nodes not ready by then count as errors',
  }),
};

export const coldPullSchema = {
  workload: workloadSchema,
  client: clientSchema,
  storage: storageSchema,
  run: runSchema,
};

export type ColdPullParams = Infer<typeof coldPullSchema>;
