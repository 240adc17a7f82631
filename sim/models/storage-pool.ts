/**
 * The storage pool behind a registry: M backends (storage accounts), each with an egress
 * ceiling, and C copies of every layer on C distinct backends.
 *
 * Throttling (Azure Storage style admission control): a backend's demand is the sum of
 * the stream rates its admitted reads ask for (streamBps each; what the client asks, not
 * what a cold copy manages to deliver). A new read arriving when demand + its own ask exceeds the ceiling is answered
 * 503 ServerBusy with probability 1 - ceiling / (demand + ask); admitted reads are then
 * served by max-min sharing of the backend's physical capacity, ceiling x burstFactor, so
 * served egress can exceed the ceiling and the peak shows it. The hottest backend decides
 * throttling: demand that is fine on average is not fine on the backend holding copies of
 * the largest layers.
 *
 * Fan-out cost (why too many copies regresses): every copy starts cold (its bytes are not
 * in the backend's read cache / its partition is not yet split and hot). While cold, each
 * stream reading it runs at most coldReadBps (disk-bound). A copy turns warm once it has
 * served warmBytes in total, and its active streams are lifted to streamBps. The warm-up is
 * paid once per copy and shared by that copy's readers, so with N readers spread over C
 * copies each reader pays ~warmBytes * C / N of cold bytes: negligible at few copies,
 * dominant when copies are many and readers per copy few. Reads fragment into slow,
 * uneven bursts and the slowest nodes fall behind their unpack pipeline.
 */
import type { Env, Rng } from '../kernel';
import type { FlowNetwork } from '../net';

export interface StorageParams {
  backends: number;
  copies: number;
  ceilingBps: number;
  burstFactor: number;
  throttling: boolean;
  copyChoice: 'random' | 'round-robin';
  fanOutCost: boolean;
  coldReadBps: number;
  warmBytes: number;
}

export interface StoragePool {
  /** Backend link of each backend (for peaks and usage). */
  readonly links: readonly number[];
  /** Picks a copy of `layer` for one request. */
  pickCopy(layer: number): number;
  /**
   * Asks the copy's backend to serve a read. Returns false when throttled (503); otherwise
   * the read runs over [clientLink, backend] and onDone fires when its last byte arrives.
   */
  read(copy: number, clientLink: number, bytes: number, onDone: () => void): boolean;
  /** Backend of each copy: copies of layer l are l*C .. l*C+C-1. */
  backendOf(copy: number): number;
  readonly throttles: number;
  readonly bytesServed: Float64Array;
  /** Reads admitted while their copy was still cold. */
  readonly coldReads: number;
}

export function createStoragePool(
  _env: Env,
  net: FlowNetwork,
  p: StorageParams,
  layerSizes: readonly number[],
  streamBps: number,
  placementRng: Rng,
  rng: Rng,
): StoragePool {
  const M = p.backends;
  const C = p.copies;
  if (C > M)
    throw new RangeError(`copies (${C}) cannot exceed backends (${M}): copies sit on distinct backends`);
  const links = Array.from({ length: M }, () => net.addLink(p.ceilingBps * p.burstFactor));
  const demand = new Float64Array(M);
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
    for (let c = 0; c < L * C; c++) meters[c] = net.addMeter(p.warmBytes, () => warmUp(c));
  }

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
      const want = streamBps;
      if (p.throttling) {
        const wanted = (demand[b] as number) + want;
        if (wanted > p.ceilingBps && rng.next() >= p.ceilingBps / wanted) {
          throttles++;
          return false;
        }
      }
      demand[b] = (demand[b] as number) + want;
      if (!warm[copy]) coldReads++;
      const set = readers[copy] as Set<number>;
      let flow = -1;
      flow = net.startFlow(
        [clientLink, links[b] as number],
        bytes,
        () => {
          set.delete(flow);
          demand[b] = Math.max(0, (demand[b] as number) - want);
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
    get coldReads() {
      return coldReads;
    },
  };
}
