/**
 * One cold-pull storm: every node pulls the same image at t=0 from a storage pool with a
 * given copy count. Returns the point metrics (DESIGN.md names) and per-node results.
 */
import type { BackendStat, Metrics } from '../../lib/results/envelope';
import { cdf, egressQuantiles, quantiles } from '../../lib/results/stats';
import { createRng, Env, Priority } from '../kernel';
import { createStoragePool, type NodeResults, startClients } from '../models';
import { FlowNetwork } from '../net';
import type { ColdPullParams } from './params';

const MiB = 2 ** 20;

export interface ColdPullRun {
  metrics: Metrics;
  nodes: NodeResults;
  events: number;
  /** Network solver work, for benchmarks. */
  net: { recomputes: number; flowsVisited: number; extensions: number };
}

/** Sub-stream labels: fixed so a change in one model's draws does not shift another's. */
const STREAM = { placement: 1, traits: 2, events: 3 } as const;

export function runColdPull(params: ColdPullParams, seed: number): ColdPullRun {
  const env = new Env();
  const net = new FlowNetwork(env);
  const root = createRng(seed);
  const placementRng = root.fork(STREAM.placement);
  const traitRng = root.fork(STREAM.traits);
  const rng = root.fork(STREAM.events);
  const sizes = params.workload.layerSizesMiB.map((m) => m * MiB);
  const pool = createStoragePool(env, net, params.storage, sizes, params.client.streamBps, placementRng, rng);
  const nodes = startClients(env, net, pool, params.client, params.workload.nodes, sizes, traitRng, rng);
  const peaks = sampleWindowPeaks(env, net, pool.links, params.run.sampleS, params.run.peakWindowS);
  env.run(params.run.horizonS);

  const ready = finite(nodes.podStartupS);
  const notReady = params.workload.nodes - ready.length;
  const backends: BackendStat[] = pool.links.map((link, b) => ({
    id: `backend-${String(b).padStart(3, '0')}`,
    bytes: pool.bytesServed[b] as number,
    peakEgressBps: peaks[b] as number,
    instantPeakEgressBps: net.linkPeak(link),
    ceilingBps: params.storage.ceilingBps,
  }));
  const hottest = Math.max(...backends.map((b) => b.peakEgressBps));
  const metrics: Metrics = {
    podStartupS: quantiles(ready),
    pullS: quantiles(finite(nodes.pullS)),
    throttleEvents: pool.throttles,
    backends,
    hotBackendRatio: hottest / params.storage.ceilingBps,
    nodeEgressBps: egressQuantiles(finite(nodes.egressBps)),
    errors: { total: notReady, byCode: notReady > 0 ? { NOT_READY_AT_HORIZON: notReady } : {} },
    backendsAboveCeiling: backends.filter((b) => b.peakEgressBps > b.ceilingBps * (1 + 1e-9)).length,
    throttledNodes: countPositive(nodes.throttled),
    coldReads: pool.coldReads,
    podStartupCdf: cdf(ready),
  };
  return { metrics, nodes, events: env.processed, net: { ...net.stats } };
}

/**
 * Peak egress the way storage monitoring reports it: the highest average over a window
 * (Azure Monitor's Egress metric has 1-minute grain), from usage sampled every sampleS.
 * Instantaneous peaks are kept beside it: a burst of lucky admissions lasting a second is
 * not what "peak per-backend egress" means in the published table.
 */
function sampleWindowPeaks(
  env: Env,
  net: FlowNetwork,
  links: readonly number[],
  sampleS: number,
  windowS: number,
): Float64Array {
  const n = links.length;
  const per = Math.max(1, Math.round(windowS / sampleS));
  const ring = new Float64Array(n * per);
  const sum = new Float64Array(n);
  const peak = new Float64Array(n);
  let k = 0;
  const tick = () => {
    const slot = k % per;
    for (let b = 0; b < n; b++) {
      const u = net.linkUsage(links[b] as number);
      const i = b * per + slot;
      sum[b] = (sum[b] as number) + u - (ring[i] as number);
      ring[i] = u;
      // Until a full window has passed, average over what was seen (a short run still has a peak).
      const avg = (sum[b] as number) / Math.min(k + 1, per);
      if (avg > (peak[b] as number)) peak[b] = avg;
    }
    k++;
    // Stop sampling when nothing else is left to happen.
    if (env.pending > 0) env.schedule(sampleS, tick, Priority.LATE);
  };
  env.schedule(sampleS, tick, Priority.LATE);
  return peak;
}

function finite(a: Float64Array): number[] {
  const out: number[] = [];
  for (const v of a) if (Number.isFinite(v)) out.push(v);
  return out;
}

function countPositive(a: Int32Array): number {
  let n = 0;
  for (const v of a) if (v > 0) n++;
  return n;
}
