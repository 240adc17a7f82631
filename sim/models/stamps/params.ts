/**
 * The parameter tree of `stampede sim stamps`. Defaults are a small generic region; the
 * acr-stamps-2026 preset pins the published customer's region (sim/models/stamps/README.md
 * says where each value comes from and which ones are fitted). Per-stamp values are lists
 * in the order of `region.stamps`.
 */
import { bool, type Infer, int, num, numList, oneOf, str, strList } from '../../../lib/config/schema';

const poolSchema = (kind: 'registry' | 'dataproxy') => {
  const registry = kind === 'registry';
  return {
    minInstances: numList({
      default: registry ? [12, 12, 12, 12] : [16, 16, 16, 16],
      integer: true,
      min: 1,
      max: 1000,
      doc: `VMSS minimum instance count of each stamp's ${kind} pool, in region.stamps order`,
    }),
    maxInstances: numList({
      default: registry ? [40, 40, 40, 40] : [60, 60, 60, 60],
      integer: true,
      min: 1,
      max: 1000,
      doc: `VMSS maximum instance count of each stamp's ${kind} pool, in region.stamps order`,
    }),
    coresPerNode: num({ default: 8, gt: 0, max: 256, unit: 'cores', doc: 'vCPUs of one node' }),
    idlePct: num({
      default: 3,
      min: 0,
      max: 50,
      unit: '%',
      doc: 'CPU a node burns with no traffic (agent, health probes, GC)',
    }),
    placement: oneOf(['keys', 'even'], {
      default: 'keys',
      doc: registry
        ? "keys: each registry's calls ride a few client connections pinned by per-connection load balancing; even: every node gets 1/n of every call (ablation)"
        : "keys: each registry's bytes go to the node its layer digest hashes to (cache affinity, long-lived streams); even: every node gets 1/n (ablation)",
    }),
    coresPerKey: num({
      default: registry ? 0.25 : 0.5,
      gt: 0,
      unit: 'cores',
      doc: registry
        ? 'peak load one client connection carries: a registry with L cores of calls has ceil(L / coresPerKey) connections'
        : 'peak load one hot layer carries: a registry with L cores of streaming has ceil(L / coresPerKey) hot layers',
    }),
    maxKeys: int({
      default: registry ? 64 : 32,
      min: 1,
      max: 4096,
      doc: registry ? 'most connections one registry holds to a pool' : 'most hot layers one registry has',
    }),
    keySkew: num({
      default: registry ? 0.6 : 1,
      min: 0,
      max: 4,
      doc: registry
        ? "Zipf exponent of load across one registry's connections (0: equal; clients differ in call rate)"
        : "Zipf exponent of bytes across one registry's hot layers (popular base and model layers dominate)",
    }),
  };
};

export const stampsSchema = {
  region: {
    stamps: strList({
      default: ['A', 'B', 'C', 'D'],
      pattern: /^[A-Za-z][A-Za-z0-9_]*$/,
      doc: 'names of the shared compute stamps of the region',
    }),
  },
  registryPool: {
    ...poolSchema('registry'),
    reconnectMin: num({
      default: 10,
      gt: 0,
      unit: 'min',
      doc: 'mean lifetime of a client connection; on reconnect the load balancer pins it to a random node',
    }),
  },
  dataproxyPool: {
    ...poolSchema('dataproxy'),
    // Copies per layer (shared/seeds/acr-copies-per-layer.txt): a layer's reads spread over
    // the copies that hold it, each copy serving independently; with few copies the
    // hottest holder carries a popular layer alone. The dataproxy's compute cache holds a
    // layer on `copies` nodes: the top ones of its digest's rendezvous order.
    copyCores: num({
      default: 4.8,
      gt: 0,
      max: 256,
      unit: 'cores',
      doc: 'peak streaming one cached copy of a layer serves: a layer with L cores of peak demand is cached on min(maxCopies, ceil(L / copyCores)) nodes, its reads split evenly over them (default: 60 % of an 8-core node, the autoscale scale-out level)',
    }),
    maxCopies: int({
      default: 8,
      min: 1,
      max: 64,
      doc: 'most nodes one layer is cached on (1: single-node cache affinity, the ablation)',
    }),
    coldCacheExtra: num({
      default: 0.5,
      min: 0,
      max: 10,
      doc: "extra CPU share of a registry's streaming right after it lands on a stamp (cache misses fetched from storage), decaying with coldCacheMin",
    }),
    coldCacheMin: num({
      default: 30,
      gt: 0,
      unit: 'min',
      doc: 'time constant of the destination cache warming after a move',
    }),
  },
  autoscale: {
    scaleOutPct: num({
      default: 60,
      min: 1,
      max: 100,
      unit: '%',
      doc: 'pool-average CPU above which the VMSS adds nodes',
    }),
    scaleInPct: num({
      default: 15,
      min: 0,
      max: 100,
      unit: '%',
      doc: 'pool-average CPU below which it removes one',
    }),
    windowMin: int({
      default: 5,
      min: 1,
      max: 120,
      unit: 'min',
      doc: 'averaging window of the autoscale rule',
    }),
    scaleOutDelayMin: int({
      default: 6,
      min: 0,
      max: 120,
      unit: 'min',
      doc: 'time for an added node to be provisioned and serve',
    }),
    scaleInDelayMin: int({
      default: 30,
      min: 1,
      max: 1440,
      unit: 'min',
      doc: 'time the pool must stay below scaleInPct before one node is removed',
    }),
    stepPct: num({
      default: 20,
      gt: 0,
      max: 100,
      unit: '%',
      doc: 'nodes added per scale-out, as a share of the current count (at least one)',
    }),
  },
  traffic: {
    dailyAmplitude: num({
      default: 0.35,
      min: 0,
      max: 0.95,
      doc: 'depth of the daily shape: demand is (1 + a cos(2 pi (t - peak) / 24 h)) / (1 + a) of its peak',
    }),
    minuteCv: num({
      default: 0.25,
      min: 0,
      max: 3,
      doc: "coefficient of variation of one registry's demand from minute to minute",
    }),
    stormsPerCoreDay: num({
      default: 12,
      min: 0,
      max: 1000,
      unit: '1/(core day)',
      doc: "deploy storms (many clients pulling one image at once) per day per core of a registry's peak demand: a registry's deploys grow with its use",
    }),
    stormCores: num({
      default: 0.5,
      min: 0,
      max: 100,
      unit: 'cores',
      doc: "scale of one storm's extra dataproxy demand (Pareto): a cluster's pull of one image, whoever owns the registry; its registry-pool calls are in the registry's own API-to-bytes ratio",
    }),
    stormScaleExp: num({
      default: 0,
      min: 0,
      max: 1,
      doc: 'how a storm scales with its registry (beta): a registry of L cores of peak demand has stormsPerCoreDay x L^(1 - beta) storms a day, each stormCores x (L_dataproxy / 1 core)^beta x Pareto, so its storms carry the same share of its demand at any beta; 0: the same number of storms per core and one size whoever owns the registry, 1: every registry the same number of storms, sized by its own demand (a bigger tenant deploys to bigger clusters, larger images)',
    }),
    stormImageShare: num({
      default: 0,
      min: 0,
      max: 1,
      unit: 'fraction',
      doc: "psi: the share of a storm's growth with its registry (L_dataproxy^beta, stormScaleExp) that is bytes per pulling node (larger images) rather than more nodes pulling. The registry pool (auth, manifests, tags) serves a pulling node's calls whatever the image's size, so a storm's registry-pool calls are its registry's API-to-bytes ratio x its size / L_dataproxy^(psi beta); 0: calls follow bytes, 1: a storm's registry-pool load is its size at beta 0 (stormCores x Pareto x the ratio), however big its registry. No effect at beta 0",
    }),
    stormCapX: num({
      default: 0,
      min: 0,
      max: 1000,
      unit: 'x peak dataproxy demand',
      doc: "cap on one storm's bytes (its dataproxy load), in multiples of its registry's own peak dataproxy demand; 0: no cap. A storm is a registry's clients pulling one image at once, and a registry's images are what its steady bytes are made of: a tenant of 0.05 cores of bytes cannot burst the 1.5 cores the big customer's fleet does (the stamps post: the customer was 'the largest source of variability' on its shared stamps; the copies post: 'a 1,000-node burst happens at deploy time'). The storm's registry-pool calls (one set per pulling node) keep the drawn size. The Pareto draw is kept, so the random streams do not change: a capped storm is smaller, not rarer",
    }),
    stormTail: num({
      default: 2.5,
      gt: 1,
      max: 20,
      doc: 'Pareto tail index of storm size (smaller: rarer, larger storms)',
    }),
    stormMin: int({ default: 1, min: 1, max: 60, unit: 'min', doc: 'how long a storm lasts' }),
  },
  customer: {
    name: str({
      default: 'cust',
      pattern: /^[a-z][a-z0-9]*$/,
      doc: 'tenant name; its registries are <name>-01 (largest) .. <name>-NN',
    }),
    registries: int({ default: 40, min: 0, max: 10000, doc: 'registries of the large tenant' }),
    topCount: int({
      default: 4,
      min: 0,
      max: 10000,
      doc: 'how many registries carry topSharePct of its traffic',
    }),
    topSharePct: num({
      default: 96.7,
      min: 0,
      max: 100,
      unit: '%',
      doc: "share of the tenant's traffic its top registries carry",
    }),
    topSkew: num({ default: 1, min: 0, max: 4, doc: 'Zipf exponent of traffic among the top registries' }),
    tailSkew: num({
      default: 1.5,
      min: 0,
      max: 4,
      doc: 'Zipf exponent of traffic among the other registries (most are idle)',
    }),
    topHomes: str({
      default: 'A,B,B,A',
      pattern: /^([A-Za-z][A-Za-z0-9_]*(,[A-Za-z][A-Za-z0-9_]*)*)?$/,
      expected: 'stamp names separated by commas, e.g. A,B,B,A',
      doc: 'home stamp of each top registry, largest first (stamps may repeat)',
    }),
    tailHomes: strList({
      default: ['A', 'B'],
      minLength: 1,
      doc: 'home stamps the other registries are spread over, in turn',
    }),
    registryCores: num({
      default: 4,
      min: 0,
      unit: 'cores',
      doc: "the tenant's peak registry-pool demand (API calls), all registries",
    }),
    dataproxyCores: num({
      default: 8,
      min: 0,
      unit: 'cores',
      doc: "the tenant's peak dataproxy demand (bytes streamed), all registries",
    }),
  },
  tenants: {
    registries: int({
      default: 1960,
      min: 0,
      max: 1_000_000,
      doc: 'registries of all other tenants (one tenant each), spread over the stamps',
    }),
    skew: num({
      default: 1.1,
      min: 0,
      max: 4,
      doc: "Zipf exponent of traffic across other tenants' registries on a stamp",
    }),
    registryCores: numList({
      default: [6, 6, 6, 6],
      min: 0,
      unit: 'cores',
      doc: "other tenants' peak registry-pool demand per stamp",
    }),
    dataproxyCores: numList({
      default: [10, 10, 10, 10],
      min: 0,
      unit: 'cores',
      doc: "other tenants' peak dataproxy demand per stamp",
    }),
  },
  rebalance: {
    phases: strList({
      default: [],
      minLength: 0,
      pattern: /^[A-Za-z0-9_.+-]+>[A-Za-z0-9_-]+(@\d+)?$/,
      doc: 'moves in order, each "reg+reg+first..last>DEST@hours": registries (or a numbered range) re-homed to stamp DEST (a new isolation stamp when DEST starts with "iso"), then observed for hours (default 24)',
    }),
    drainMinS: num({
      default: 30,
      min: 0,
      max: 3600,
      unit: 's',
      doc: 'shortest drain of in-flight requests on the source after a cutover',
    }),
    drainMaxS: num({ default: 60, min: 0, max: 3600, unit: 's', doc: 'longest drain' }),
    rightSize: bool({
      default: false,
      doc: "after the last move, lower each shared pool's VMSS minimum to match its remaining traffic (observed 24 h)",
    }),
    rightSizeFloor: int({ default: 3, min: 1, max: 1000, doc: 'lowest VMSS minimum right-sizing sets' }),
  },
  isolation: {
    registryInstances: int({
      default: 12,
      min: 1,
      max: 1000,
      doc: "VMSS minimum of a new isolation stamp's registry pool",
    }),
    dataproxyInstances: int({
      default: 24,
      min: 1,
      max: 1000,
      doc: "VMSS minimum of a new isolation stamp's dataproxy pool",
    }),
  },
  plan: {
    enabled: bool({
      default: false,
      doc: 'propose the phases (replaces rebalance.phases): what to move where, isolation when a move would make the destination hot',
    }),
    thresholdPct: num({
      default: 40,
      gt: 0,
      max: 100,
      unit: '%',
      doc: 'hot-node P95 a shared pool must stay under',
    }),
    tailSharePct: num({
      default: 0.1,
      min: 0,
      max: 100,
      unit: '%',
      doc: 'registries below this share of their tenant go in the first (tail) phase',
    }),
    topSharePct: num({
      default: 5,
      min: 0,
      max: 100,
      unit: '%',
      doc: 'registries at or above this share move one at a time, 48 h apart',
    }),
    mediumBatch: int({ default: 3, min: 1, max: 1000, doc: 'registries per medium sub-batch (24 h apart)' }),
    maxTenants: int({ default: 3, min: 1, max: 100, doc: 'most tenants the plan moves' }),
  },
  run: {
    days: num({
      default: 0.5,
      min: 0.5,
      max: 60,
      unit: 'days',
      doc: 'simulated time when there are no phases (from 06:00; 0.5 is the 12-hour peak window)',
    }),
    windowHours: int({
      default: 12,
      min: 1,
      max: 24,
      unit: 'h',
      doc: 'the peak window the signals are read over (centred on the daily peak)',
    }),
    percentile: num({
      default: 95,
      min: 0,
      max: 100,
      doc: 'percentile of the hottest node across 1-minute bins',
    }),
  },
};

export type StampsParams = Infer<typeof stampsSchema>;
export type PoolKind = 'registry' | 'dataproxy';
export const POOL_KINDS: readonly PoolKind[] = ['registry', 'dataproxy'];
