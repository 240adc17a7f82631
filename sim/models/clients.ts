/**
 * Nodes pulling one image cold, as containerd does it: layers are requested in manifest
 * order, at most maxConcurrentDownloads at a time, all sharing the node's NIC; a throttled
 * request is retried after a back-off (and may land on another copy), either alone or, as
 * containerd and kubelet do it, by failing and re-running the whole pull. Unpacking is
 * sequential: layer i is applied once it is downloaded AND layer i-1 is applied, at the
 * node's unpack rate. Pod startup = last layer applied + container start.
 *
 * That sequential unpack is the critical path of a big image: downloads run ahead of it,
 * so a node that is throttled for a while usually still finishes downloading before its
 * unpack needs the bytes (P50 barely moves), and only nodes stalled past their unpack
 * slack show it in startup time (the tail).
 */
import type { Env, Rng } from '../kernel';
import type { FlowNetwork } from '../net';
import { backoffDelay } from './backoff';
import type { StoragePool } from './storage-pool';

export interface ClientParams {
  maxConcurrentDownloads: number;
  nicBps: number;
  unpackBps: number;
  unpackSpread: number;
  startS: number;
  retryBaseS: number;
  retryCapS: number;
  /** Share of each retry delay drawn at random (0.5 equal jitter, 1 full jitter). */
  retryJitter: number;
  /** Bytes per range request: every request is a storage request that can be throttled. */
  chunkBytes: number;
  /** What a 503 fails: the one request ('read'), or the node's whole image pull ('pull'). */
  onThrottle: 'read' | 'pull';
}

/** Per-node outcomes; NaN where a node had not finished when the run stopped. */
export interface NodeResults {
  podStartupS: Float64Array;
  pullS: Float64Array;
  /** bytes / (time of last byte - time of first request), retry waits included. */
  egressBps: Float64Array;
  throttled: Int32Array;
}

export function startClients(
  env: Env,
  net: FlowNetwork,
  pool: StoragePool,
  p: ClientParams,
  nodes: number,
  layerSizes: readonly number[],
  traitRng: Rng,
  rng: Rng,
): NodeResults {
  const L = layerSizes.length;
  const res: NodeResults = {
    podStartupS: new Float64Array(nodes).fill(Number.NaN),
    pullS: new Float64Array(nodes).fill(Number.NaN),
    egressBps: new Float64Array(nodes).fill(Number.NaN),
    throttled: new Int32Array(nodes),
  };
  const nic = new Int32Array(nodes);
  const unpackRate = new Float64Array(nodes);
  const nextLayer = new Int32Array(nodes);
  const unpackNext = new Int32Array(nodes);
  const unpacking = new Uint8Array(nodes);
  const downloaded = new Uint8Array(nodes * L);
  const firstRequest = new Float64Array(nodes);
  const lastByte = new Float64Array(nodes);
  const bytes = new Float64Array(nodes);

  /** 1 while the node's pull has failed and kubelet is backing off ('pull' mode). */
  const backingOff = new Uint8Array(nodes);
  const tryUnpack = (n: number) => {
    const i = unpackNext[n] as number;
    if (unpacking[n] || backingOff[n] || i >= L || !downloaded[n * L + i]) return;
    unpacking[n] = 1;
    env.schedule((layerSizes[i] as number) / (unpackRate[n] as number), () => {
      unpacking[n] = 0;
      unpackNext[n] = i + 1;
      if (i + 1 === L) {
        res.pullS[n] = env.now;
        res.podStartupS[n] = env.now + p.startS;
        const span = (lastByte[n] as number) - (firstRequest[n] as number);
        res.egressBps[n] = span > 0 ? (bytes[n] as number) / span : Number.POSITIVE_INFINITY;
      } else {
        tryUnpack(n);
      }
    });
  };

  // A layer is read as range requests of chunkBytes from the copy the registry redirected
  // to, by one of the node's maxConcurrentDownloads download slots. `got` is what each
  // layer already has in the content store: a resumed download starts there.
  //
  // What a 503 fails depends on onThrottle:
  // - 'read': that request only. The slot backs off and asks the registry again (a new
  //   redirect, so possibly another copy); the node's other downloads and unpack go on.
  // - 'pull': the image pull, as containerd does it. Its fetcher does not retry a 5xx; the
  //   unpacker's fetch errgroup cancels the node's other downloads (what they delivered
  //   stays in the content store), and the unpack finishes the layer it is applying and
  //   then stops (it returns the fetch error at its next wait for a layer). Kubelet backs
  //   off and pulls again: the layers not yet complete are fetched anew in manifest order,
  //   each resuming at `got`; unpack resumes at the first layer not applied.
  // Either way the back-off grows with every 503 the node has met (a per-node counter that
  // never resets during the pull, like kubelet's image-pull back-off).
  const K = p.maxConcurrentDownloads;
  const slotRead = new Int32Array(nodes * K).fill(-1);
  const slotLayer = new Int32Array(nodes * K);
  const got = new Float64Array(nodes * L);
  const attempts = new Int32Array(nodes);
  const request = (n: number, s: number, layer: number) => {
    readChunk(n, s, layer, pool.pickCopy(layer, n));
  };
  const readChunk = (n: number, s: number, layer: number, copy: number) => {
    const size = layerSizes[layer] as number;
    const offset = got[n * L + layer] as number;
    const len = Math.min(p.chunkBytes, size - offset);
    const last = offset + p.chunkBytes >= size;
    const id = pool.read(copy, nic[n] as number, len, () => {
      slotRead[n * K + s] = -1;
      got[n * L + layer] = last ? size : offset + len;
      bytes[n] = (bytes[n] as number) + len;
      lastByte[n] = env.now;
      if (!last) {
        readChunk(n, s, layer, copy);
        return;
      }
      downloaded[n * L + layer] = 1;
      tryUnpack(n);
      fetchNext(n, s);
    });
    if (id >= 0) {
      slotRead[n * K + s] = id;
      slotLayer[n * K + s] = layer;
      return;
    }
    res.throttled[n] = (res.throttled[n] as number) + 1;
    const a = attempts[n] as number;
    attempts[n] = a + 1;
    const wait = backoffDelay(a, p.retryBaseS, p.retryCapS, p.retryJitter, rng);
    if (p.onThrottle === 'read') {
      env.schedule(wait, () => request(n, s, layer));
      return;
    }
    for (let k = n * K; k < n * K + K; k++) {
      const r = slotRead[k] as number;
      if (r < 0) continue;
      const part = pool.cancel(r);
      const i = n * L + (slotLayer[k] as number);
      got[i] = (got[i] as number) + part;
      bytes[n] = (bytes[n] as number) + part;
      if (part > 0) lastByte[n] = env.now;
      // A read cancelled at the instant of its last byte still completed the layer.
      if ((got[i] as number) >= (layerSizes[slotLayer[k] as number] as number)) downloaded[i] = 1;
      slotRead[k] = -1;
    }
    backingOff[n] = 1;
    env.schedule(wait, () => {
      backingOff[n] = 0;
      nextLayer[n] = 0;
      tryUnpack(n);
      startSlots(n);
    });
  };

  /** Slot s takes the next layer in manifest order that is not downloaded yet. */
  const fetchNext = (n: number, s: number) => {
    if (backingOff[n]) return;
    let layer = nextLayer[n] as number;
    while (layer < L && downloaded[n * L + layer]) layer++;
    if (layer >= L) return;
    nextLayer[n] = layer + 1;
    request(n, s, layer);
  };
  /** A pull (the first, or one kubelet runs again) puts every download slot to work. */
  const startSlots = (n: number) => {
    for (let k = 0; k < Math.min(K, L); k++) fetchNext(n, k);
  };

  for (let n = 0; n < nodes; n++) {
    nic[n] = net.addLink(p.nicBps);
    // Log-normal around the median: most nodes close to it, a few slow disks.
    unpackRate[n] = p.unpackBps * Math.exp(p.unpackSpread * traitRng.normal(0, 1));
    firstRequest[n] = env.now;
  }
  // Everyone asks at the same instant; who reaches the backend first is a coin toss, not
  // the node index (the first askers are never throttled).
  const order = traitRng.shuffle(Array.from({ length: nodes }, (_, i) => i));
  for (const n of order) startSlots(n);
  return res;
}
