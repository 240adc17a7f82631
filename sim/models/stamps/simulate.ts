/**
 * The region minute by minute. Why time-stepped rather than event-driven: every signal the
 * post defines is a per-node average over a 1-minute bin, every registry sends traffic in
 * every minute (2,000 registries x 1,440 bins a day), and nothing happens between bins
 * that the signals could see. A per-minute step computes each bin once, in typed arrays,
 * with no event queue to order; the few discrete happenings (cutovers, drains, storms,
 * VMSS scale steps, reconnects) all fall on minute boundaries at this resolution (a 30-60 s
 * drain is carried as the share of its cutover minute it lasts).
 *
 * Per node, CPU = idle + 100 x (cores of demand placed on it) / cores, capped at 100.
 * Placement is the mechanism that makes one node hot while the pool average stays low:
 * - registry pool: a registry's calls ride ceil(L / coresPerKey) client connections with
 *   Zipf-skewed rates; per-connection load balancing pins each connection to a random node
 *   until it reconnects (mean reconnectMin), and a node added by scale-out only gets
 *   connections made after it came up.
 * - dataproxy pool: a registry's bytes are spread over its hot layers with Zipf-skewed
 *   popularity; cache affinity keeps each layer on the first `copies` nodes of its digest's
 *   rendezvous order (so a scale step moves only the copies of the nodes that changed), with
 *   copies sized by the layer's peak demand (min(maxCopies, ceil(L / copyCores)): the
 *   copies-per-layer post's "each copy can serve requests independently"), and its reads
 *   split evenly over them. A deploy storm (many clients pulling one image at once) lands
 *   on its largest layer's copies: they were sized for steady demand, not for the burst.
 * `placement=even` gives every node 1/n of everything (the ablation).
 */
import { createRng, type Rng } from '../../kernel/rng';
import type { PoolKind, StampsParams } from './params';
import { isIsolation, type Timeline } from './phases';
import type { RegistrySpec } from './region';
import { zipf } from './region';

export interface PoolSeries {
  stamp: string;
  pool: PoolKind;
  shared: boolean;
  /** Per minute: the hottest node's CPU %, the pool-average CPU %, nodes serving, demand in cores. NaN before the stamp existed. */
  hot: Float32Array;
  avg: Float32Array;
  nodes: Int16Array;
  busy: Float32Array;
  /** VMSS minimum at the end of the run (right-sizing lowers it). */
  minInstances: number;
}

export interface SimOutput {
  series: PoolSeries[];
  /** Registry-minutes and pool-minutes computed: the cost measure. */
  events: number;
  /** Storms that happened, for reports: registry, minute, extra demand in cores on the dataproxy pool. */
  storms: number;
}

interface Pool {
  kind: PoolKind;
  cores: number;
  idle: number;
  min: number;
  max: number;
  n: number;
  even: boolean;
  loads: Float64Array;
  evenLoad: number;
  pendingAt: number;
  pendingCount: number;
  belowSince: number;
  ring: Float64Array;
  ringFill: number;
  ringPos: number;
  series: PoolSeries;
}

interface Stamp {
  name: string;
  shared: boolean;
  pools: [Pool, Pool];
  homed: Set<number>;
}

interface Reg {
  spec: RegistrySpec;
  home: number;
  w: [Float64Array, Float64Array];
  nodes: [Int32Array, Int32Array];
  /** Per hot layer: its digest hash, how many cached copies it has, where its copies start in nodes[1] / w[1]. */
  hash: Uint32Array;
  copies: Int32Array;
  copyStart: Int32Array;
  reconnect: Float64Array;
  /** Earliest of `reconnect`, so a registry with no reconnect due costs one comparison. */
  nextReconnect: number;
  noise: Rng;
  pin: Rng;
  stormAt: Int32Array;
  stormExtra: Float64Array;
  /** The same storms before stormCapX: the registry pool's calls per pulling node, which the cap on bytes does not bound. */
  stormCalls: Float64Array;
  stormPtr: number;
  /** L_dataproxy^(stormImageShare x beta): how much of a storm's size is bytes per pulling node, which the registry pool does not see. */
  stormImage: number;
  landedAt: number;
  drainAt: number;
  drainFrac: number;
  drainStamp: number;
  drainNodes: [Int32Array, Int32Array];
}

function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Rendezvous (highest random weight) hashing: the c nodes a layer digest's copies live on,
 * the c highest weights, written into out[at..at+c). Copies beyond the pool's size wrap
 * onto the nodes there are.
 */
function rendezvous(hash: number, n: number, c: number, out: Int32Array, at: number, scratch: Float64Array) {
  const k = Math.min(c, n);
  // Insertion into a sorted top-k list (k is a handful).
  for (let i = 0; i < k; i++) scratch[i] = -1;
  for (let j = 0; j < n; j++) {
    const w = mix32(hash ^ Math.imul(j + 1, 0x9e3779b9));
    if (w <= (scratch[k - 1] as number)) continue;
    let i = k - 1;
    while (i > 0 && (scratch[i - 1] as number) < w) {
      scratch[i] = scratch[i - 1] as number;
      out[at + i] = out[at + i - 1] as number;
      i--;
    }
    scratch[i] = w;
    out[at + i] = j;
  }
  for (let i = k; i < c; i++) out[at + i] = out[at + (i % k)] as number;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(q: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  if (q < pl) {
    const x = Math.sqrt(-2 * Math.log(q));
    return (
      (((((c0 * x + c1) * x + c2) * x + c3) * x + c4) * x + c5) /
      ((((d0 * x + d1) * x + d2) * x + d3) * x + 1)
    );
  }
  if (q > 1 - pl) {
    const x = Math.sqrt(-2 * Math.log(1 - q));
    return (
      -(((((c0 * x + c1) * x + c2) * x + c3) * x + c4) * x + c5) /
      ((((d0 * x + d1) * x + d2) * x + d3) * x + 1)
    );
  }
  const x = q - 0.5;
  const r = x * x;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * x) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/**
 * What the hottest node of one pool is made of, minute by minute (the decomposition in
 * hot-node.ts). Each registry belongs to a group (e.g. 0 other tenants, 1 the customer);
 * per minute the probe records which node was hottest and every node's load in cores per
 * group, steady demand and storm apart:
 * parts[(t * nodes + node) * 2 * groups + 2 * g + (storm ? 1 : 0)], nodes = the pool's maximum.
 */
export interface HotNodeProbe {
  stamp: string;
  pool: PoolKind;
  /** Group of each registry, in the order of the specs given to simulate. */
  group: Uint8Array;
  groups: number;
  /** Filled by simulate: the hottest node per minute (-1 before the pool existed), the nodes' parts, the pool's maximum. */
  node?: Int16Array;
  parts?: Float32Array;
  nodes?: number;
}

export interface Cutover {
  minute: number;
  kind: 'move' | 'right-size';
  registries: number[];
  dest: string;
}

export function simulate(
  p: StampsParams,
  specs: readonly RegistrySpec[],
  timeline: Timeline,
  cutovers: readonly Cutover[],
  seed: number,
  onDay?: (day: number, days: number) => void,
  probe?: HotNodeProbe,
  readStamps?: readonly string[],
): SimOutput {
  const horizon = timeline.horizon;
  const windowMin = p.run.windowHours * 60;
  const root = createRng(seed);
  const drainRng = root.fork(3);
  const poolParams = [p.registryPool, p.dataproxyPool] as const;
  const a = p.traffic.dailyAmplitude;
  // Demand multiplier per minute: peak at the middle of each day's window (t = 0 is its start).
  const shape = new Float64Array(horizon);
  for (let t = 0; t < horizon; t++)
    shape[t] = (1 + a * Math.cos((2 * Math.PI * (t - windowMin / 2)) / 1440)) / (1 + a);
  // Minute-to-minute noise is log-normal with mean 1; drawn from a table of 4,096 quantiles
  // (one uniform draw per registry-minute instead of a Box-Muller pair and an exp).
  const sigma = Math.sqrt(Math.log(1 + p.traffic.minuteCv ** 2));
  const NOISE = 4096;
  const noiseTable = new Float64Array(NOISE);
  for (let i = 0; i < NOISE; i++)
    noiseTable[i] = Math.exp(sigma * normalQuantile((i + 0.5) / NOISE) - (sigma * sigma) / 2);
  {
    // Renormalise so the table's mean is exactly 1 (the tails are truncated at 1/8,192).
    let mean = 0;
    for (let i = 0; i < NOISE; i++) mean += noiseTable[i] as number;
    mean /= NOISE;
    for (let i = 0; i < NOISE; i++) noiseTable[i] = (noiseTable[i] as number) / mean;
  }

  const series: PoolSeries[] = [];
  const newPool = (kind: PoolKind, stamp: string, shared: boolean, min: number, max: number): Pool => {
    const k = kind === 'registry' ? 0 : 1;
    const pp = poolParams[k];
    const s: PoolSeries = {
      stamp,
      pool: kind,
      shared,
      hot: new Float32Array(horizon).fill(Number.NaN),
      avg: new Float32Array(horizon).fill(Number.NaN),
      nodes: new Int16Array(horizon),
      busy: new Float32Array(horizon).fill(Number.NaN),
      minInstances: min,
    };
    series.push(s);
    return {
      kind,
      cores: pp.coresPerNode,
      idle: pp.idlePct,
      min,
      max,
      n: min,
      even: pp.placement === 'even',
      loads: new Float64Array(max),
      evenLoad: 0,
      pendingAt: -1,
      pendingCount: 0,
      belowSince: -1,
      ring: new Float64Array(p.autoscale.windowMin),
      ringFill: 0,
      ringPos: 0,
      series: s,
    };
  };
  const stamps: Stamp[] = p.region.stamps.map((name, i) => ({
    name,
    shared: true,
    pools: [
      newPool(
        'registry',
        name,
        true,
        p.registryPool.minInstances[i] as number,
        p.registryPool.maxInstances[i] as number,
      ),
      newPool(
        'dataproxy',
        name,
        true,
        p.dataproxyPool.minInstances[i] as number,
        p.dataproxyPool.maxInstances[i] as number,
      ),
    ],
    homed: new Set<number>(),
  }));

  // Stamps whose pools nobody reads (readStamps given and the stamp not in it): their
  // registries are not computed. Every registry draws from its own forked streams and a
  // pool's load is only its registries', so the read stamps' series are byte-identical to
  // a full run's; the unread stamps' series are left empty (NaN). New (isolation) stamps are
  // always computed. A registry moving from an unread stamp would start from streams that
  // did not advance, so that is refused.
  const unread = stamps.map((s) => readStamps !== undefined && !readStamps.includes(s.name));

  const regs: Reg[] = specs.map((spec, i) => {
    const r = root.fork(1000 + i);
    const noise = r.fork(1);
    const pin = r.fork(2);
    const stormRng = r.fork(3);
    const keyCount = (k: 0 | 1) => {
      const pp = poolParams[k];
      return Math.min(pp.maxKeys, Math.max(1, Math.ceil(spec.peak[k] / pp.coresPerKey)));
    };
    const layers = zipf(keyCount(1), p.dataproxyPool.keySkew);
    const hash = new Uint32Array(layers.length);
    const copies = new Int32Array(layers.length);
    const copyStart = new Int32Array(layers.length);
    // Each copy of a layer carries an equal share of its reads: w[1] has one entry per copy.
    const perCopy: number[] = [];
    layers.forEach((share, j) => {
      hash[j] = mix32(mix32(seed ^ 0x51ed27) ^ Math.imul(i + 1, 0x2545f491) ^ (j * 0x27d4eb2d));
      const c = Math.min(
        p.dataproxyPool.maxCopies,
        Math.max(1, Math.ceil((share * spec.peak[1]) / p.dataproxyPool.copyCores)),
      );
      copies[j] = c;
      copyStart[j] = perCopy.length;
      for (let k = 0; k < c; k++) perCopy.push(share / c);
    });
    const w: [Float64Array, Float64Array] = [
      Float64Array.from(zipf(keyCount(0), p.registryPool.keySkew)),
      Float64Array.from(perCopy),
    ];
    // Storms: a Poisson process thinned by the daily shape (deploys follow the day too). Its
    // rate grows with the registry's demand (more clusters deploy from it); one storm's size is
    // a cluster pulling one image, in cores, whoever owns the registry.
    const at: number[] = [];
    const extra: number[] = [];
    const calls: number[] = [];
    // stormScaleExp (beta) moves a registry's storm load between count and size: rate
    // L^(1 - beta), size L_dataproxy^beta (L in cores), the same load at any beta.
    const beta = p.traffic.stormScaleExp;
    const rate = (p.traffic.stormsPerCoreDay * (spec.peak[0] + spec.peak[1]) ** (1 - beta)) / 1440;
    const scale = p.traffic.stormCores * spec.peak[1] ** beta;
    // A storm is nodes pulling x bytes per node. stormImageShare (psi) is the part of its
    // growth with the registry (L^beta) that is bytes per node (larger images): the registry
    // pool serves a pulling node's token and manifest calls whatever the image's size, so
    // its share of a storm is divided by L^(psi beta). psi 0 (the default): calls follow bytes.
    const stormImage = spec.peak[1] ** (p.traffic.stormImageShare * beta);
    // stormCapX caps a storm's bytes at a multiple of its registry's own peak bytes: a small
    // tenant's images are small, so its clients pulling one at once cannot stream what the big
    // customer's fleet does. Its calls (tokens, manifests, tags: one set per pulling node) are
    // not bytes and keep the drawn size. 0: no cap.
    const cap = p.traffic.stormCapX * spec.peak[1];
    if (rate > 0 && scale > 0) {
      let t = stormRng.exponential(1 / rate);
      while (t < horizon) {
        const m = Math.floor(t);
        const keep = stormRng.next() < (shape[m] as number);
        const drawn = scale * (1 - stormRng.next()) ** (-1 / p.traffic.stormTail);
        const size = cap > 0 ? Math.min(drawn, cap) : drawn;
        if (keep) {
          at.push(m);
          extra.push(size);
          calls.push(drawn);
        }
        t += stormRng.exponential(1 / rate);
      }
    }
    return {
      spec,
      home: spec.home,
      w,
      nodes: [new Int32Array(w[0].length), new Int32Array(w[1].length)],
      hash,
      copies,
      copyStart,
      reconnect: new Float64Array(w[0].length),
      nextReconnect: 0,
      noise,
      pin,
      stormAt: Int32Array.from(at),
      stormExtra: Float64Array.from(extra),
      stormCalls: Float64Array.from(calls),
      stormPtr: 0,
      stormImage,
      landedAt: -1,
      drainAt: -1,
      drainFrac: 0,
      drainStamp: -1,
      drainNodes: [new Int32Array(0), new Int32Array(0)],
    };
  });

  const reconnectMin = p.registryPool.reconnectMin;
  const pinRegistry = (r: Reg, pool: Pool, t: number) => {
    const nodes = r.nodes[0];
    for (let j = 0; j < nodes.length; j++) {
      nodes[j] = r.pin.int(pool.n);
      r.reconnect[j] = t + r.pin.exponential(reconnectMin);
    }
    r.nextReconnect = 0;
  };
  const scratch = new Float64Array(p.dataproxyPool.maxCopies);
  const pinDataproxy = (r: Reg, pool: Pool) => {
    for (let j = 0; j < r.hash.length; j++)
      rendezvous(
        r.hash[j] as number,
        pool.n,
        r.copies[j] as number,
        r.nodes[1],
        r.copyStart[j] as number,
        scratch,
      );
  };
  const home = (ri: number, s: number, t: number) => {
    const r = regs[ri] as Reg;
    const stamp = stamps[s] as Stamp;
    r.home = s;
    stamp.homed.add(ri);
    pinRegistry(r, stamp.pools[0], t);
    pinDataproxy(r, stamp.pools[1]);
  };
  for (let i = 0; i < regs.length; i++) home(i, (regs[i] as Reg).home, 0);

  // The probed pool keeps its load per group as well (steady and storm apart); only when probed.
  const probed = probe
    ? stamps.find((s) => s.name === probe.stamp)?.pools[probe.pool === 'registry' ? 0 : 1]
    : undefined;
  const G2 = probe ? 2 * probe.groups : 0;
  const partLoads = probed ? new Float64Array(G2 * probed.max) : new Float64Array(0);
  const partEven = new Float64Array(G2);
  if (probe) {
    probe.node = new Int16Array(horizon).fill(-1);
    probe.nodes = probed?.max ?? 0;
    probe.parts = new Float32Array(horizon * G2 * (probed?.max ?? 0));
  }
  let part = 0;

  /** The pool changed size: cache affinity re-hashes; connections on removed nodes reconnect. */
  const resized = (stamp: Stamp, k: 0 | 1, t: number) => {
    const pool = stamp.pools[k];
    for (const ri of stamp.homed) {
      const r = regs[ri] as Reg;
      if (k === 1) pinDataproxy(r, pool);
      else {
        const nodes = r.nodes[0];
        for (let j = 0; j < nodes.length; j++)
          if ((nodes[j] as number) >= pool.n) {
            nodes[j] = r.pin.int(pool.n);
            r.reconnect[j] = t + r.pin.exponential(reconnectMin);
            r.nextReconnect = 0;
          }
      }
    }
  };

  const stampIndex = (name: string): number => {
    const i = stamps.findIndex((s) => s.name === name);
    if (i >= 0) return i;
    // A new isolation stamp, provisioned for the tenant at its first cutover.
    const iso = p.isolation;
    const maxR = Math.max(iso.registryInstances * 4, iso.registryInstances);
    const maxD = Math.max(iso.dataproxyInstances * 4, iso.dataproxyInstances);
    stamps.push({
      name,
      shared: !isIsolation(name),
      pools: [
        newPool('registry', name, false, iso.registryInstances, maxR),
        newPool('dataproxy', name, false, iso.dataproxyInstances, maxD),
      ],
      homed: new Set<number>(),
    });
    return stamps.length - 1;
  };

  const windowMean = (s: PoolSeries, from: number): number => {
    let sum = 0;
    let n = 0;
    for (let t = from; t < from + windowMin && t < horizon; t++) {
      const v = s.busy[t] as number;
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    return n ? sum / n : 0;
  };

  const apply = (c: Cutover, t: number) => {
    if (c.kind === 'right-size') {
      // Lower each shared pool's VMSS minimum in proportion to the demand it kept.
      const lastWindow = Math.floor((t - windowMin) / 1440) * 1440;
      for (const stamp of stamps) {
        if (!stamp.shared) continue;
        for (const k of [0, 1] as const) {
          const pool = stamp.pools[k];
          const before = windowMean(pool.series, timeline.before);
          const now = windowMean(pool.series, lastWindow);
          const ratio = before > 0 ? Math.min(1, now / before) : 1;
          const min = Math.max(p.rebalance.rightSizeFloor, Math.ceil(pool.min * ratio));
          pool.min = Math.min(pool.min, min);
          pool.series.minInstances = pool.min;
          if (pool.n > pool.min) {
            pool.n = pool.min;
            resized(stamp, k, t);
          }
        }
      }
      return;
    }
    const dest = stampIndex(c.dest);
    for (const ri of c.registries) {
      const r = regs[ri] as Reg;
      if (r.home === dest) continue;
      if (unread[r.home])
        throw new Error(`simulate: ${r.spec.name} moves from unread stamp ${stamps[r.home]?.name}`);
      const from = stamps[r.home] as Stamp;
      from.homed.delete(ri);
      // In-flight requests finish on the source for 30-60 s; new traffic lands on the destination.
      r.drainAt = t;
      r.drainStamp = r.home;
      r.drainFrac = Math.min(1, drainRng.uniform(p.rebalance.drainMinS, p.rebalance.drainMaxS) / 60);
      r.drainNodes = [r.nodes[0].slice(), r.nodes[1].slice()];
      r.landedAt = t;
      home(ri, dest, t);
    }
  };

  const byMinute = new Map<number, Cutover[]>();
  for (const c of cutovers) byMinute.set(c.minute, [...(byMinute.get(c.minute) ?? []), c]);

  const coldExtra = p.dataproxyPool.coldCacheExtra;
  const coldTau = p.dataproxyPool.coldCacheMin;
  const stormMin = p.traffic.stormMin;
  const as = p.autoscale;
  let events = 0;
  let storms = 0;
  // A storm's registry-pool calls ride the registry's connections with its steady calls;
  // the probe books `regStormFrac` of such a load as storm.
  let regStormFrac = 0;
  const probePlace = (pool: Pool, nodes: Int32Array, w: Float64Array, load: number, col: number) => {
    const f = pool.kind === 'registry' ? regStormFrac : 0;
    if (pool.even) {
      partEven[col] = (partEven[col] as number) + load * (1 - f);
      partEven[col + 1] = (partEven[col + 1] as number) + load * f;
      return;
    }
    for (let j = 0; j < nodes.length; j++) {
      const at = (nodes[j] as number) * G2 + col;
      const x = load * (nodes.length === 1 ? 1 : (w[j] as number));
      partLoads[at] = (partLoads[at] as number) + x * (1 - f);
      partLoads[at + 1] = (partLoads[at + 1] as number) + x * f;
    }
  };
  const probeStorm = (pool: Pool, nodes: Int32Array, copies: number, load: number, col: number) => {
    if (pool.even) {
      partEven[col] = (partEven[col] as number) + load;
      return;
    }
    for (let k = 0; k < copies && k < nodes.length; k++) {
      const at = (nodes[k] as number) * G2 + col;
      partLoads[at] = (partLoads[at] as number) + load / copies;
    }
  };
  const place = (pool: Pool, nodes: Int32Array, w: Float64Array, load: number) => {
    if (pool === probed) probePlace(pool, nodes, w, load, part);
    if (pool.even) {
      pool.evenLoad += load;
      return;
    }
    const loads = pool.loads;
    if (nodes.length === 1) {
      const node = nodes[0] as number;
      loads[node] = (loads[node] as number) + load;
      return;
    }
    for (let j = 0; j < nodes.length; j++) {
      const node = nodes[j] as number;
      loads[node] = (loads[node] as number) + load * (w[j] as number);
    }
  };
  /** A storm pulls one image: its bytes go to the copies of its largest layer (layer 0 sits first). */
  const placeStorm = (pool: Pool, nodes: Int32Array, copies: number, load: number) => {
    if (pool === probed) probeStorm(pool, nodes, copies, load, part + 1);
    if (pool.even) {
      pool.evenLoad += load;
      return;
    }
    const each = load / copies;
    for (let k = 0; k < copies && k < nodes.length; k++) {
      const node = nodes[k] as number;
      pool.loads[node] = (pool.loads[node] as number) + each;
    }
  };

  for (let t = 0; t < horizon; t++) {
    if (t % 1440 === 0) onDay?.(t / 1440, Math.ceil(horizon / 1440));
    for (const c of byMinute.get(t) ?? []) apply(c, t);
    for (const stamp of stamps)
      for (const pool of stamp.pools) {
        pool.loads.fill(0, 0, pool.n);
        pool.evenLoad = 0;
      }
    if (probed) {
      partLoads.fill(0);
      partEven.fill(0);
    }
    const sh = shape[t] as number;
    for (let ri = 0; ri < regs.length; ri++) {
      const r = regs[ri] as Reg;
      const peak = r.spec.peak;
      if (peak[0] === 0 && peak[1] === 0) continue;
      if (unread[r.home] === true) continue;
      events++;
      if (probe) part = 2 * (probe.group[ri] as number);
      const m = sh * (noiseTable[(r.noise.next() * NOISE) | 0] as number);
      while (r.stormPtr < r.stormAt.length && (r.stormAt[r.stormPtr] as number) + stormMin <= t) r.stormPtr++;
      const storm =
        r.stormPtr < r.stormAt.length && (r.stormAt[r.stormPtr] as number) <= t
          ? (r.stormExtra[r.stormPtr] as number)
          : 0;
      if (storm > 0 && (r.stormAt[r.stormPtr] as number) === t) storms++;
      const cold = r.landedAt >= 0 ? 1 + coldExtra * Math.exp(-(t - r.landedAt) / coldTau) : 1;
      // A storm's calls are in the registry's own mix of API calls to bytes, per pulling
      // node: the bytes-per-node part of its size (stormImage, 1 at psi 0) brings no calls.
      // Its calls are counted on the drawn size: stormCapX bounds bytes, not pulling nodes.
      const stormCalls = storm > 0 ? (r.stormCalls[r.stormPtr] as number) : 0;
      const regStorm = peak[1] > 0 ? (stormCalls * peak[0]) / peak[1] / r.stormImage : 0;
      const regLoad = peak[0] * m + regStorm;
      if (probe) regStormFrac = regLoad > 0 ? regStorm / regLoad : 0;
      const dpLoad = peak[1] * m * cold;
      const dpStorm = storm * cold;
      const stamp = stamps[r.home] as Stamp;
      let share = 1;
      if (r.drainAt === t) {
        const src = stamps[r.drainStamp] as Stamp;
        share = 1 - r.drainFrac;
        place(src.pools[0], r.drainNodes[0], r.w[0], regLoad * r.drainFrac);
        place(src.pools[1], r.drainNodes[1], r.w[1], dpLoad * r.drainFrac);
        if (dpStorm > 0) placeStorm(src.pools[1], r.drainNodes[1], r.copies[0] ?? 1, dpStorm * r.drainFrac);
      }
      place(stamp.pools[0], r.nodes[0], r.w[0], regLoad * share);
      place(stamp.pools[1], r.nodes[1], r.w[1], dpLoad * share);
      if (dpStorm > 0) placeStorm(stamp.pools[1], r.nodes[1], r.copies[0] ?? 1, dpStorm * share);
      // Per-connection load balancing: a reconnecting client lands on a random node.
      if (r.nextReconnect <= t) {
        const rc = r.reconnect;
        const nodes = r.nodes[0];
        const n = stamp.pools[0].n;
        let next = Number.POSITIVE_INFINITY;
        for (let j = 0; j < rc.length; j++) {
          if ((rc[j] as number) <= t) {
            nodes[j] = r.pin.int(n);
            rc[j] = (rc[j] as number) + r.pin.exponential(reconnectMin);
          }
          if ((rc[j] as number) < next) next = rc[j] as number;
        }
        r.nextReconnect = next;
      }
    }
    for (let si = 0; si < stamps.length; si++) {
      if (unread[si] === true) continue;
      const stamp = stamps[si] as Stamp;
      for (let k = 0 as 0 | 1; k < 2; k = (k + 1) as 0 | 1) {
        const pool = stamp.pools[k];
        events++;
        const n = pool.n;
        const even = pool.evenLoad / n;
        let hot = 0;
        let hotNode = 0;
        let sum = 0;
        let busy = pool.evenLoad;
        for (let j = 0; j < n; j++) {
          const load = (pool.loads[j] as number) + even;
          if (!pool.even) busy += pool.loads[j] as number;
          const cpu = Math.min(100, pool.idle + (100 * load) / pool.cores);
          sum += cpu;
          if (cpu > hot) {
            hot = cpu;
            hotNode = j;
          }
        }
        if (pool === probed && probe?.node && probe.parts) {
          probe.node[t] = hotNode;
          const base = t * pool.max * G2;
          for (let j = 0; j < n; j++)
            for (let c = 0; c < G2; c++)
              probe.parts[base + j * G2 + c] =
                (partLoads[j * G2 + c] as number) + (partEven[c] as number) / n;
        }
        const avg = sum / n;
        const s = pool.series;
        s.hot[t] = hot;
        s.avg[t] = avg;
        s.nodes[t] = n;
        s.busy[t] = busy;
        autoscale(stamp, k, pool, avg, t);
      }
    }
  }

  function autoscale(stamp: Stamp, k: 0 | 1, pool: Pool, avg: number, t: number) {
    pool.ring[pool.ringPos] = avg;
    pool.ringPos = (pool.ringPos + 1) % pool.ring.length;
    pool.ringFill = Math.min(pool.ring.length, pool.ringFill + 1);
    let sum = 0;
    for (let i = 0; i < pool.ringFill; i++) sum += pool.ring[i] as number;
    const mean = sum / pool.ringFill;
    if (pool.pendingAt >= 0 && pool.pendingAt <= t) {
      pool.n = Math.min(pool.max, pool.n + pool.pendingCount);
      pool.pendingAt = -1;
      resized(stamp, k, t);
    }
    if (mean > as.scaleOutPct && pool.pendingAt < 0 && pool.n < pool.max) {
      pool.pendingAt = t + as.scaleOutDelayMin;
      pool.pendingCount = Math.min(pool.max - pool.n, Math.max(1, Math.ceil((pool.n * as.stepPct) / 100)));
      pool.belowSince = -1;
    } else if (mean < as.scaleInPct && pool.n > pool.min && pool.pendingAt < 0) {
      if (pool.belowSince < 0) pool.belowSince = t;
      else if (t - pool.belowSince >= as.scaleInDelayMin) {
        pool.n--;
        pool.belowSince = t;
        resized(stamp, k, t);
      }
    } else pool.belowSince = -1;
  }

  return { series, events, storms };
}
