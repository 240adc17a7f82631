/**
 * The storage pool behind a registry: M backends (storage accounts), each with an egress
 * ceiling, and C copies of every layer on C distinct backends.
 *
 * Throttling on served egress (Azure Storage style): each backend carries an egress meter,
 * the moving average of the bytes it served over the last meterWindowS, sampled every
 * sampleS. While that average E exceeds the ceiling, a new request is answered 503
 * ServerBusy with probability 1 - ceiling / E; below the ceiling nothing is throttled. The
 * backend's physical capacity is ceiling x burstFactor, so served egress can exceed the
 * ceiling, and the same windowed meter is what `peakEgress` reports. "Throttles" and
 * "a backend above the ceiling" are therefore one condition seen from two sides. A burst
 * shorter than the window (the whole fleet reading the small first layers at t = 0) cannot
 * lift the average over the ceiling; a backend that serves more than ceiling x window bytes
 * within one window (a copy of a big layer read by many nodes, or two big layers colliding
 * on one backend) does. The hottest backend, not the average, decides.
 *
 * Fan-out cost (why too many copies regresses): a storage front end admits a blob's
 * extents to its read cache only after they were read repeatedly (frequency-based cache
 * admission), so every copy starts cold: streams reading it run at most coldReadBps
 * (disk-bound) until the copy has served warmPasses x its layer's size, then they are
 * lifted to streamBps. The warm-up is paid once per copy and shared by its readers: with
 * k readers each reads about warmPasses / k of its layer cold. At few copies k is in the
 * hundreds and the cost vanishes; at very many copies k is small, and the copies random
 * choice leaves with only a few readers stay cold for most of their read.
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
  copyChoice: 'random' | 'round-robin';
  fanOutCost: boolean;
  coldReadBps: number;
  warmPasses: number;
}

export interface StoragePool {
  /** Backend link of each backend (for usage). */
  readonly links: readonly number[];
  /** Picks a copy of `layer` for one request (the registry's redirect). */
  pickCopy(layer: number): number;
  /**
   * Asks the copy's backend to serve one request of `bytes`. Returns false when throttled
   * (503); otherwise the read runs over [clientLink, backend] and onDone fires when its
   * last byte arrives.
   */
  read(copy: number, clientLink: number, bytes: number, onDone: () => void): boolean;
  /** Backend of each copy: copies of layer l are l*C .. l*C+C-1. */
  backendOf(copy: number): number;
  readonly throttles: number;
  readonly bytesServed: Float64Array;
  /** Highest windowed egress each backend reached (the throttling meter). */
  readonly peakEgress: Float64Array;
  /** Requests admitted while their copy was still cold. */
  readonly coldReads: number;
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
  const warm = new Uint8Array(L * C).fill(p.fanOutCost ? 0 : 1);
  const readers: Array<Set<number>> = Array.from({ length: L * C }, () => new Set());
  const meters = new Int32Array(L * C).fill(-1);
  const rr = new Int32Array(L);
  let throttles = 0;
  let coldReads = 0;
  const coldCap = Math.min(streamBps, p.coldReadBps);

  const warmUp = (copy: number) => {
    warm[copy] = 1;
    for (const f of readers[copy] as Set<number>) net.setCap(f, streamBps);
  };
  if (p.fanOutCost) {
    for (let c = 0; c < L * C; c++) {
      const size = layerSizes[Math.floor(c / C)] as number;
      meters[c] = net.addMeter(p.warmPasses * size, () => warmUp(c));
    }
  }

  const egress = windowedEgress(env, net, links, sampleS, p.meterWindowS);

  return {
    links,
    backendOf: (copy) => copyBackend[copy] as number,
    pickCopy(layer) {
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
        const e = egress.now[b] as number;
        if (e > p.ceilingBps && rng.next() >= p.ceilingBps / e) {
          throttles++;
          return false;
        }
      }
      egress.wake();
      if (!warm[copy]) coldReads++;
      const set = readers[copy] as Set<number>;
      let flow = -1;
      flow = net.startFlow(
        [clientLink, links[b] as number],
        bytes,
        () => {
          set.delete(flow);
          bytesServed[b] = (bytesServed[b] as number) + bytes;
          onDone();
        },
        warm[copy] ? streamBps : coldCap,
        meters[copy] as number,
      );
      set.add(flow);
      return true;
    },
    get throttles() {
      return throttles;
    },
    bytesServed,
    peakEgress: egress.peak,
    get coldReads() {
      return coldReads;
    },
  };
}

/**
 * Each backend's egress averaged over the last windowS, from usage sampled every sampleS
 * (storage monitoring's 1-second samples rolled into a window). Until a full window has
 * passed the average is over the whole window still (a burst at t = 0 does not count
 * double). Sampling stops while nothing is flowing and resumes on the next read, so an
 * idle tail costs nothing.
 */
function windowedEgress(
  env: Env,
  net: FlowNetwork,
  links: readonly number[],
  sampleS: number,
  windowS: number,
): { now: Float64Array; peak: Float64Array; wake(): void } {
  const n = links.length;
  const per = Math.max(1, Math.round(windowS / sampleS));
  const ring = new Float64Array(n * per);
  const sum = new Float64Array(n);
  const now = new Float64Array(n);
  const peak = new Float64Array(n);
  let k = 0;
  let running = false;
  let idleTicks = 0;
  const tick = () => {
    const slot = k % per;
    let busy = false;
    let carried = false;
    for (let b = 0; b < n; b++) {
      const u = net.linkUsage(links[b] as number);
      if (u > 0) busy = true;
      const i = b * per + slot;
      const s = (sum[b] as number) + u - (ring[i] as number);
      sum[b] = s > 0 ? s : 0;
      ring[i] = u;
      const avg = (sum[b] as number) / per;
      now[b] = avg;
      if (avg > 0) carried = true;
      if (avg > (peak[b] as number)) peak[b] = avg;
    }
    k++;
    idleTicks = busy ? 0 : idleTicks + 1;
    // Keep sampling while bytes flow or the window still remembers some; then sleep.
    if ((busy || carried) && idleTicks <= per) env.schedule(sampleS, tick, Priority.LATE);
    else running = false;
  };
  return {
    now,
    peak,
    wake() {
      if (running) return;
      running = true;
      env.schedule(sampleS, tick, Priority.LATE);
    },
  };
}
