/**
 * A cold-pull storm through a stampede lab, in the lab's own physics (lib/lab/storage/
 * backend.ts and lib/k6/vu/{pull,blob,retry}.ts), for one copy count:
 *
 * - every VU starts its pull at t = 0 and reaches its first blob request after lab.startS
 *   plus U(0, lab.startSpreadS) (challenge, token, manifest, k6 starting its VUs: fitted);
 * - blobs (the config, then the layers in manifest order) go in batches of
 *   client.maxConcurrentDownloads (k6's http.batch): a batch waits lab.requestS (the
 *   registry's 307), then every blob of it asks the copy the registry chose at random
 *   among its storage.copies backends;
 * - a backend refuses a new stream (503 ServerBusy) while it has one and
 *   ceiling / (active + 1) < lab.minStreamBps; admitted streams share its ceiling max-min
 *   fairly (the lab's FIFO byte bucket), each at most min(lab.streamBps, lab.clientStreamBps):
 *   the recorded pacing, and what one connection gets through on this machine, and all of
 *   them share lab.clientBps, what the machine delivers in all (one of the two is fitted,
 *   the other left at its default, far above: see LAB_RATE_PARAMS);
 * - a batch returns when its admitted streams are done; its refused requests are sent again,
 *   to the same backend (the signed URL is retried, not the redirect), after Retry-After x
 *   U(0.5, 1.5), at most lab.maxRetries times; then the pull fails.
 *
 * Placement: each blob's copies on distinct backends drawn at random (a fresh image per
 * point, so a fresh placement: the lab's rendezvous hash of a random digest), unless
 * `ranking` gives the layers' own: per layer (manifest order, config excluded) the backends
 * in the lab's rendezvous order, whose first C hold its copies. A measured point's ranking is
 * known before it runs (the seeded digests), so its twin takes it as configuration: with 8
 * layers over 16 backends, which layers share a backend decides the low-copy points more than
 * any fitted rate. The config blob (its digest is not recorded) stays drawn. The pull time
 * is the VU's (k6 pull_duration); in the lab it is also the pod startup.
 */
import type { Metrics } from '../../../lib/results/envelope';
import { cdf, egressQuantiles, quantiles } from '../../../lib/results/stats';
import { createRng, Env } from '../../kernel';
import { FlowNetwork } from '../../net';
import type { ColdPullRun } from '../cold-pull/storm';
import type { CopySweepParams } from '../copy-sweep/params';

const MiB = 2 ** 20;
const STREAM = { placement: 1, starts: 2, events: 3 } as const;

export type LabPullParams = Pick<CopySweepParams, 'workload' | 'storage' | 'client' | 'lab'>;

/** Per layer, the backends in placement order (indices < storage.backends); see above. */
export type LayerRanking = ReadonlyArray<readonly number[]>;

export function runLabPull(p: LabPullParams, seed: number, ranking?: LayerRanking): ColdPullRun {
  const env = new Env();
  const net = new FlowNetwork(env);
  const root = createRng(seed);
  const placeRng = root.fork(STREAM.placement);
  const rng = root.fork(STREAM.events);
  const lab = p.lab;
  const sizes = [lab.configBytes, ...p.workload.layerSizesMiB.map((m) => Math.max(1, Math.round(m * MiB)))];
  const B = p.storage.backends;
  const C = Math.min(p.storage.copies, B);
  const ceiling = p.storage.ceilingBps;
  // Drawn for every blob even when ranked, so the random streams stay where they were.
  const where = sizes.map((_, k) => {
    const drawn = placeRng.shuffle(Array.from({ length: B }, (_, b) => b)).slice(0, C);
    const ranked = k > 0 ? ranking?.[k - 1] : undefined;
    return ranked ? ranked.slice(0, C) : drawn;
  });
  const links = Array.from({ length: B }, () => net.addLink(ceiling));
  const client = net.addLink(lab.clientBps);
  const streamCap = Math.min(
    lab.streamBps > 0 ? lab.streamBps : Number.POSITIVE_INFINITY,
    lab.clientStreamBps,
  );
  const active = new Int32Array(B);
  const served = new Float64Array(B);
  const refused = new Int32Array(B);
  const n = p.workload.nodes;
  const pullS = new Float64Array(n).fill(Number.NaN);
  const egressBps = new Float64Array(n).fill(Number.NaN);
  const throttled = new Int32Array(n);
  const par = Math.max(1, p.client.maxConcurrentDownloads);
  let throttles = 0;
  let failed = 0;
  const total = sizes.reduce((a, b) => a + b, 0);

  const refuses = (b: number) => active[b]! > 0 && ceiling / (active[b]! + 1) < lab.minStreamBps;

  const batch = (node: number, first: number) => {
    if (first >= sizes.length) {
      pullS[node] = env.now;
      egressBps[node] = total / env.now;
      return;
    }
    const reqs: Array<{ blob: number; backend: number }> = [];
    for (let k = first; k < Math.min(sizes.length, first + par); k++) {
      const copies = where[k] as number[];
      reqs.push({ blob: k, backend: copies[rng.int(copies.length)] as number });
    }
    env.schedule(lab.requestS, () => attempt(node, first + par, reqs, 0));
  };

  const attempt = (
    node: number,
    next: number,
    reqs: Array<{ blob: number; backend: number }>,
    tries: number,
  ) => {
    const pending: typeof reqs = [];
    let running = 0;
    const settle = () => {
      if (running > 0) return;
      if (pending.length === 0) return batch(node, next);
      if (tries >= lab.maxRetries) {
        failed++;
        return;
      }
      env.schedule(lab.retryAfterS * (0.5 + rng.next()), () => attempt(node, next, pending, tries + 1));
    };
    for (const r of reqs) {
      const b = r.backend;
      if (refuses(b)) {
        throttles++;
        refused[b]!++;
        throttled[node]!++;
        pending.push(r);
        continue;
      }
      active[b]!++;
      running++;
      const bytes = sizes[r.blob] as number;
      net.startFlow(
        [links[b] as number, client],
        bytes,
        () => {
          active[b]!--;
          served[b]! += bytes;
          running--;
          settle();
        },
        streamCap,
      );
    }
    // Everything refused: the batch answers at once and waits its back-off.
    if (running === 0) settle();
  };

  const startRng = root.fork(STREAM.starts);
  for (let i = 0; i < n; i++)
    env.schedule(lab.startS + lab.startSpreadS * startRng.next(), () => batch(i, 0));
  env.run();

  const done = Array.from(pullS).filter(Number.isFinite);
  const backends = Array.from({ length: B }, (_, b) => ({
    id: `b${b}`,
    bytes: served[b] as number,
    peakEgressBps: net.linkPeak(links[b] as number),
    ceilingBps: ceiling,
    throttles: refused[b] as number,
  }));
  const metrics: Metrics = {
    ...(done.length > 0 && { podStartupS: quantiles(done), pullS: quantiles(done) }),
    throttleEvents: throttles,
    backends,
    hotBackendRatio: Math.max(...backends.map((b) => b.peakEgressBps)) / ceiling,
    backendsAboveCeiling: backends.filter((b) => b.peakEgressBps > b.ceilingBps * (1 + 1e-9)).length,
    nodeEgressBps: egressQuantiles(Array.from(egressBps).filter(Number.isFinite)),
    errors: { total: failed, byCode: failed > 0 ? { TOOMANYREQUESTS: failed } : {} },
    throttledNodes: Array.from(throttled).filter((t) => t > 0).length,
    podStartupCdf: cdf(done),
  };
  return {
    metrics,
    nodes: { podStartupS: pullS, pullS, egressBps, throttled },
    events: env.processed,
    net: { ...net.stats },
  };
}
