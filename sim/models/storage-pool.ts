/**
 * The storage pool behind a registry: M backends (storage accounts), each with an egress
 * ceiling, and C copies of every layer on C distinct backends.
 *
 * Throttling on served egress (Azure Storage style): each backend carries an egress meter,
 * the moving average of the bytes it served over the last meterWindowS, sampled every
 * sampleS. While that average E exceeds the ceiling, a new request is answered 503
 * ServerBusy with probability shedFraction x (1 - ceiling / E)^shedExponent: 1 - ceiling / E
 * is the share that would bring egress back to the ceiling, shedFraction how much of it the
 * backend refuses (the rest is admitted and shares the physical capacity), and shedExponent
 * how fast refusals set in past the ceiling (1: in proportion to the excess; near 0: at once,
 * so a backend only just over the ceiling refuses about as often as one far over it). Below
 * the ceiling nothing is throttled. The backend's physical capacity is ceiling x
 * burstFactor, so served egress can exceed the ceiling, and the same windowed meter is what
 * `peakEgress` reports. "Throttles" and "a backend above the ceiling" are therefore one
 * condition seen from two sides. A burst shorter than the window (the whole fleet reading
 * the small first layers at t = 0) cannot lift the average over the ceiling; a backend
 * that serves more than ceiling x window bytes within one window (a copy of a big layer
 * read by many nodes, or two big layers colliding on one backend) does. The hottest
 * backend, not the average, decides.
 *
 * Fan-out cost (why too many copies regresses): a backend streams a bounded number of
 * distinct blobs at the full per-stream rate at once (blobSlots: the blobs its front end
 * keeps in flight from its cache and disks; every distinct blob is its own sequential read
 * from its own extents, with its own request and prefetch overhead). With n > blobSlots
 * distinct copies read at once, every stream on it runs at streamBps x blobSlots / n. n is
 * the number of distinct copies the whole fleet reads on that backend at the same moment:
 * about copies x (layers the fleet reads at once) / backends, spread unevenly by placement.
 * It is 1 (rarely 2 or 3) for a lone node whatever the copy count, grows with copies only
 * when there are readers for all of them, and only ever adds readers' contention as nodes
 * are added, so it cannot make one node slower than a crowd or a crowd faster than a few.
 * At few copies n stays below blobSlots everywhere; at very many copies the fleet's
 * concurrent layers x copies exceed the pool's slots on the unluckiest backends, and the
 * nodes reading there fall behind their unpack pipeline (a tail effect: "spread the same
 * load across too many backends and it fragments into smaller, less consistent bursts").
 * Replaces the earlier cache-admission rule (cold reads below the unpack rate until a crowd
 * promoted a copy), which made a lone reader the slowest node of all.
 */
import { type Env, Priority, type Rng } from '../kernel';
import type { FlowNetwork } from '../net';

export interface StorageParams {
  backends: number;
  copies: number;
  ceilingBps: number;
  burstFactor: number;
  meterWindowS: number;
  throttling: boolean;
  shedFraction: number;
  shedExponent: number;
  copyChoice: 'random' | 'round-robin' | 'sticky';
  fanOutCost: boolean;
  cacheBytes: number;
  crowdingExponent: number;
}

export interface StoragePool {
  /** Backend link of each backend (for usage). */
  readonly links: readonly number[];
  /** Picks a copy of `layer` for one request of `client` (the registry's redirect). */
  pickCopy(layer: number, client: number): number;
  /**
   * Asks the copy's backend to serve one request of `bytes`. Returns -1 when throttled
   * (503); otherwise the read runs over [clientLink, backend], onDone fires when its last
   * byte arrives, and the read's id is returned (for `cancel`).
   */
  read(copy: number, clientLink: number, bytes: number, onDone: () => void): number;
  /** Aborts a read in flight (the client gave up on it); returns the bytes it had delivered. */
  cancel(read: number): number;
  /** Backend of each copy: copies of layer l are l*C .. l*C+C-1. */
  backendOf(copy: number): number;
  readonly throttles: number;
  /** 503s per backend, and when each backend answered its first and last one (NaN: never). */
  readonly backendThrottles: Int32Array;
  readonly firstThrottleS: Float64Array;
  readonly lastThrottleS: Float64Array;
  /** 503s per layer. */
  readonly layerThrottles: Int32Array;
  readonly bytesServed: Float64Array;
  /** Highest windowed egress each backend reached (the throttling meter). */
  readonly peakEgress: Float64Array;
  /** Reads started on a backend whose working set exceeded its cache at that moment. */
  readonly crowdedReads: number;
  /** Largest working set (bytes of distinct copies served within a window) of any backend. */
  readonly peakWorkingBytes: number;
}

export function createStoragePool(
  env: Env,
  net: FlowNetwork,
  p: StorageParams,
  layerSizes: readonly number[],
  streamBps: number,
  placementRng: Rng,
  rng: Rng,
  sampleS = 1,
): StoragePool {
  const M = p.backends;
  const C = p.copies;
  if (C > M)
    throw new RangeError(`copies (${C}) cannot exceed backends (${M}): copies sit on distinct backends`);
  const links = Array.from({ length: M }, () => net.addLink(p.ceilingBps * p.burstFactor));
  const bytesServed = new Float64Array(M);
  const L = layerSizes.length;
  // Placement: per layer a seeded shuffle of the backends, first C taken. Each layer has
  // its own sub-stream, so the copies at C are a subset of those at C+1 (a sweep varies
  // only the copy count, not where the first copies sit).
  const copyBackend = new Int32Array(L * C);
  for (let l = 0; l < L; l++) {
    const order = placementRng.fork(l).shuffle(Array.from({ length: M }, (_, i) => i));
    for (let j = 0; j < C; j++) copyBackend[l * C + j] = order[j] as number;
  }
  const readers: Array<Set<number>> = Array.from({ length: L * C }, () => new Set());
  const rr = new Int32Array(L);
  // Sticky redirects hash (client, layer) with a salt drawn from the placement stream.
  const stickySalt = placementRng.fork(0x571c).int(0x7fffffff);
  const backendThrottles = new Int32Array(M);
  const firstThrottleS = new Float64Array(M).fill(Number.NaN);
  const lastThrottleS = new Float64Array(M).fill(Number.NaN);
  const layerThrottles = new Int32Array(L);
  let crowdedReads = 0;
  let peakWorking = 0;
  // Working set per backend: the bytes of the distinct copies it served within the last
  // meterWindowS (a read in flight, or one that ended less than a window ago), and which ones.
  const working = new Float64Array(M);
  const inSet = new Uint8Array(L * C);
  const lastEnd = new Float64Array(L * C);
  const wsCopies: Array<Set<number>> = Array.from({ length: M }, () => new Set());
  const copyBytes = (copy: number) => layerSizes[Math.floor(copy / C)] as number;
  const capAt = (ws: number) =>
    p.fanOutCost && ws > p.cacheBytes ? streamBps * (p.cacheBytes / ws) ** p.crowdingExponent : streamBps;
  /** A backend's working set changed by `delta` bytes: the cap of every read on it may move. */
  const moveWorking = (b: number, delta: number) => {
    const before = working[b] as number;
    // An emptied set restarts from an exact 0 (no float dust from adding and removing).
    const after = wsCopies[b]?.size === 0 ? 0 : before + delta;
    working[b] = after;
    if (after > peakWorking) peakWorking = after;
    const cap = capAt(after);
    if (cap === capAt(before)) return;
    for (const c of wsCopies[b] as Set<number>) for (const f of readers[c] as Set<number>) net.setCap(f, cap);
  };
  const enter = (b: number, copy: number) => {
    if (inSet[copy]) return;
    inSet[copy] = 1;
    wsCopies[b]?.add(copy);
    moveWorking(b, copyBytes(copy));
  };
  /** Drops a copy a window after its last read ended, unless it was read again meanwhile. */
  const expire = (b: number, copy: number) => {
    if (!inSet[copy] || (readers[copy] as Set<number>).size > 0) return;
    if (env.now - (lastEnd[copy] as number) < p.meterWindowS - 1e-9) return;
    inSet[copy] = 0;
    wsCopies[b]?.delete(copy);
    moveWorking(b, -copyBytes(copy));
  };

  // Bytes each copy has delivered: finished reads plus the delivered part of reads in flight.
  // A copy's reads are one flow group (its id), so the part in flight is the bytes they were
  // asked for minus what the network says the group has left: O(1) per copy and sample,
  // whatever the number of readers (100,000 nodes on a 256-backend pool put thousands on one).
  const doneBytes = new Float64Array(L * C);
  const askedBytes = new Float64Array(L * C);
  // Per read in flight, indexed by its flow id (ids are small and recycled): its size and
  // its copy (-1 once it ended).
  const flowBytes: number[] = [];
  const flowCopy: number[] = [];
  const delivered = (copy: number): number =>
    (doneBytes[copy] as number) + (askedBytes[copy] as number) - net.groupRemaining(copy);
  /** A read left flight (finished or cancelled) having delivered `got` bytes of its copy. */
  const settle = (flow: number, copy: number, got: number) => {
    const rs = readers[copy] as Set<number>;
    rs.delete(flow);
    // An idle copy restarts its sum from an exact 0 (no float dust from adding and removing).
    askedBytes[copy] = rs.size === 0 ? 0 : (askedBytes[copy] as number) - (flowBytes[flow] as number);
    flowCopy[flow] = -1;
    doneBytes[copy] = (doneBytes[copy] as number) + got;
    const b = copyBackend[copy] as number;
    bytesServed[b] = (bytesServed[b] as number) + got;
    if (rs.size === 0) {
      lastEnd[copy] = env.now;
      env.schedule(p.meterWindowS, () => expire(b, copy), Priority.LATE);
    }
  };
  const meter = windowedEgress(
    env,
    M,
    copyBackend,
    sampleS,
    p.meterWindowS,
    delivered,
    (copy) => (readers[copy] as Set<number>).size > 0,
  );

  return {
    links,
    backendOf: (copy) => copyBackend[copy] as number,
    pickCopy(layer, client) {
      if (p.copyChoice === 'sticky') return layer * C + (mix(stickySalt, client, layer) % C);
      if (p.copyChoice === 'round-robin') {
        const j = rr[layer] as number;
        rr[layer] = (j + 1) % C;
        return layer * C + j;
      }
      return layer * C + rng.int(C);
    },
    read(copy, clientLink, bytes, onDone) {
      const b = copyBackend[copy] as number;
      if (p.throttling) {
        const e = meter.now[b] as number;
        if (e > p.ceilingBps && rng.next() < p.shedFraction * (1 - p.ceilingBps / e) ** p.shedExponent) {
          backendThrottles[b] = (backendThrottles[b] as number) + 1;
          if (Number.isNaN(firstThrottleS[b])) firstThrottleS[b] = env.now;
          lastThrottleS[b] = env.now;
          const layer = Math.floor(copy / C);
          layerThrottles[layer] = (layerThrottles[layer] as number) + 1;
          return -1;
        }
      }
      meter.wake();
      const rs = readers[copy] as Set<number>;
      enter(b, copy);
      const cap = capAt(working[b] as number);
      if (cap < streamBps) crowdedReads++;
      let flow = -1;
      flow = net.startFlow(
        [clientLink, links[b] as number],
        bytes,
        () => {
          settle(flow, copy, bytes);
          onDone();
        },
        cap,
        copy,
      );
      rs.add(flow);
      askedBytes[copy] = (askedBytes[copy] as number) + bytes;
      flowBytes[flow] = bytes;
      flowCopy[flow] = copy;
      return flow;
    },
    cancel(flow) {
      const copy = flowCopy[flow] ?? -1;
      if (copy < 0) throw new RangeError(`read ${flow} is not in flight`);
      const got = (flowBytes[flow] as number) - net.cancelFlow(flow);
      settle(flow, copy, got);
      return got;
    },
    get throttles() {
      return backendThrottles.reduce((s, n) => s + n, 0);
    },
    backendThrottles,
    firstThrottleS,
    lastThrottleS,
    layerThrottles,
    bytesServed,
    peakEgress: meter.peak,
    get crowdedReads() {
      return crowdedReads;
    },
    get peakWorkingBytes() {
      return peakWorking;
    },
  };
}

/** A 32-bit integer hash of (salt, a, b) (murmur3 finaliser), non-negative. */
function mix(salt: number, a: number, b: number): number {
  let h = (salt ^ Math.imul(a + 1, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Egress averaged over the last windowS, for every backend: the bytes
 * delivered in the window (read from cumulative counters every sampleS, as storage
 * monitoring rolls its counters up) divided by the window. The average is always over the
 * whole window, so a burst shorter than the window counts only for its share. Sampling
 * stops once nothing is flowing and the window is empty, and resumes on the next read.
 */
function windowedEgress(
  env: Env,
  backends: number,
  copyBackend: Int32Array,
  sampleS: number,
  windowS: number,
  delivered: (copy: number) => number,
  active: (copy: number) => boolean,
): {
  now: Float64Array;
  peak: Float64Array;
  wake(): void;
} {
  const copies = copyBackend.length;
  const per = Math.max(1, Math.round(windowS / sampleS));
  const span = per * sampleS;
  const bRing = new Float64Array(backends * per);
  const bCum = new Float64Array(backends);
  const cCum = new Float64Array(copies);
  const wasActive = new Uint8Array(copies);
  let k = 0;
  let running = false;
  let quiet = 0;
  const out = {
    now: new Float64Array(backends),
    peak: new Float64Array(backends),
    wake() {
      if (running) return;
      running = true;
      quiet = 0;
      env.schedule(sampleS, tick, Priority.LATE);
    },
  };
  const tick = () => {
    const slot = k % per;
    bCum.fill(0);
    let busy = false;
    for (let c = 0; c < copies; c++) {
      // Counters move only while a copy has reads in flight (and once more when they end).
      const a = active(c);
      if (a) busy = true;
      if (a || wasActive[c]) cCum[c] = delivered(c);
      wasActive[c] = a ? 1 : 0;
      const cum = cCum[c] as number;
      const b = copyBackend[c] as number;
      bCum[b] = (bCum[b] as number) + cum;
    }
    let moving = false;
    for (let b = 0; b < backends; b++) {
      const i = b * per + slot;
      // Until a full window has passed, the oldest sample is the zero at t = 0.
      const old = k >= per ? (bRing[i] as number) : 0;
      const avg = ((bCum[b] as number) - old) / span;
      bRing[i] = bCum[b] as number;
      out.now[b] = avg;
      if (avg > 0) moving = true;
      if (avg > (out.peak[b] as number)) out.peak[b] = avg;
    }
    k++;
    quiet = busy ? 0 : quiet + 1;
    if (busy || (moving && quiet <= per)) env.schedule(sampleS, tick, Priority.LATE);
    else running = false;
  };
  return out;
}
