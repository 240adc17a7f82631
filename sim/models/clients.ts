/**
 * Nodes pulling one image cold, as containerd does it: layers are requested in manifest
 * order, at most maxConcurrentDownloads at a time, all sharing the node's NIC; a throttled
 * request is retried after a back-off (and may land on another copy). Unpacking is
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
  /** Bytes per range request: every request is a storage request that can be throttled. */
  chunkBytes: number;
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

  const tryUnpack = (n: number) => {
    const i = unpackNext[n] as number;
    if (unpacking[n] || i >= L || !downloaded[n * L + i]) return;
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
  // to. A 503 fails that request only: the layer's stream backs off and then asks the
  // registry again (a new redirect, so possibly another copy), resuming at the byte it
  // reached; the node's other downloads and its unpack go on. The back-off grows with every
  // 503 the node has met (a per-node counter that never resets during the pull, like
  // kubelet's image-pull back-off): a node throttled again waits twice as long.
  const attempts = new Int32Array(nodes);
  const request = (n: number, layer: number, offset: number) => {
    readChunk(n, layer, pool.pickCopy(layer, n), offset);
  };
  const readChunk = (n: number, layer: number, copy: number, offset: number) => {
    const size = layerSizes[layer] as number;
    const len = Math.min(p.chunkBytes, size - offset);
    const ok = pool.read(copy, nic[n] as number, len, () => {
      bytes[n] = (bytes[n] as number) + len;
      lastByte[n] = env.now;
      if (offset + len < size) {
        readChunk(n, layer, copy, offset + len);
        return;
      }
      downloaded[n * L + layer] = 1;
      tryUnpack(n);
      fetchNext(n);
    });
    if (!ok) {
      res.throttled[n] = (res.throttled[n] as number) + 1;
      const a = attempts[n] as number;
      attempts[n] = a + 1;
      env.schedule(backoffDelay(a, p.retryBaseS, p.retryCapS, rng), () => request(n, layer, offset));
    }
  };

  const fetchNext = (n: number) => {
    const layer = nextLayer[n] as number;
    if (layer >= L) return;
    nextLayer[n] = layer + 1;
    request(n, layer, 0);
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
  for (const n of order) {
    for (let k = 0; k < Math.min(p.maxConcurrentDownloads, L); k++) fetchNext(n);
  }
  return res;
}
