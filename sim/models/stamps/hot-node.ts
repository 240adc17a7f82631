/**
 * What one pool's hottest node is made of, before and after the customer's move (the
 * one-shot run the fit reads): per minute the hottest node's load split into the other
 * tenants' and the customer's, steady demand and deploy storms apart. Read at the bins
 * around the pool's hot-node P95 (the signal is one bin's value, so the bins that set it
 * are the ones ranked near the 95th percentile), with which node was hottest.
 */
import { customerPhase } from './fit';
import { simulatePhases } from './model';
import type { PoolKind, StampsParams } from './params';
import { buildRegistries } from './region';
import type { HotNodeProbe } from './simulate';

/** Cores on a node, by whose demand and whether it is a storm. */
export interface Parts {
  othersSteady: number;
  othersStorm: number;
  customerSteady: number;
  customerStorm: number;
}

export interface WindowParts {
  hotNodeP95: number;
  /** Mean over the bins ranked between the `band` percentiles of the hot node's CPU (around P95). */
  atP95: Parts & { bins: number; cpu: number; withStorm: number };
  /** Mean over every bin of the window: the hottest node's parts. */
  mean: Parts;
  /** The customer's load on the pool per minute (cores, all nodes), and on its most loaded node (time-mean). */
  customerCores: number;
  customerTopNodeCores: number;
  /** The node most often hottest in the window, and the share of bins it was; the same at the P95 band. */
  modeNode: number;
  modeShare: number;
  modeNodeAtP95: number;
  modeShareAtP95: number;
  nodes: number;
}

const ZERO = (): Parts => ({ othersSteady: 0, othersStorm: 0, customerSteady: 0, customerStorm: 0 });

function mode(xs: number[]): [number, number] {
  const count = new Map<number, number>();
  for (const x of xs) count.set(x, (count.get(x) ?? 0) + 1);
  let best = -1;
  let n = 0;
  for (const [x, c] of count)
    if (c > n) {
      best = x;
      n = c;
    }
  return [best, xs.length ? n / xs.length : 0];
}

export function hotNodeParts(
  p: StampsParams,
  seed: number,
  stamp = 'A',
  pool: PoolKind = 'dataproxy',
  band: [number, number] = [92.5, 97.5],
): { before: WindowParts; after: WindowParts } {
  const registries = buildRegistries(p);
  const probe: HotNodeProbe = {
    stamp,
    pool,
    groups: 2,
    group: Uint8Array.from(registries.map((r) => (r.tenant === p.customer.name ? 1 : 0))),
  };
  const q = { ...p, rebalance: { ...p.rebalance, rightSize: false } };
  const run = simulatePhases(q, [customerPhase(p)], seed, { registries, probe });
  const series = run.series.find((s) => s.stamp === stamp && s.pool === pool);
  const sig = run.signals.find((s) => s.stamp === stamp && s.pool === pool);
  if (!series || !sig || !probe.node || !probe.parts || !probe.nodes) throw new Error('no probed pool');
  const { node, parts, nodes: maxNodes } = probe;
  const windowMin = p.run.windowHours * 60;
  const read = (from: number, hotNodeP95: number): WindowParts => {
    const bins: number[] = [];
    for (let t = from; t < from + windowMin; t++) if ((node[t] as number) >= 0) bins.push(t);
    const at = (t: number, j: number): Parts => {
      const b = (t * maxNodes + j) * 4;
      return {
        othersSteady: parts[b] as number,
        othersStorm: parts[b + 1] as number,
        customerSteady: parts[b + 2] as number,
        customerStorm: parts[b + 3] as number,
      };
    };
    const add = (acc: Parts, x: Parts, w: number) => {
      acc.othersSteady += x.othersSteady * w;
      acc.othersStorm += x.othersStorm * w;
      acc.customerSteady += x.customerSteady * w;
      acc.customerStorm += x.customerStorm * w;
    };
    const mean = ZERO();
    let customerCores = 0;
    const perNode = new Float64Array(maxNodes);
    for (const t of bins) {
      add(mean, at(t, node[t] as number), 1 / bins.length);
      const n = series.nodes[t] as number;
      for (let j = 0; j < n; j++) {
        const x = at(t, j);
        customerCores += (x.customerSteady + x.customerStorm) / bins.length;
        perNode[j] = (perNode[j] as number) + x.customerSteady / bins.length;
      }
    }
    const ranked = [...bins].sort((a, b) => (series.hot[a] as number) - (series.hot[b] as number));
    const lo = Math.floor((ranked.length * band[0]) / 100);
    const hi = Math.ceil((ranked.length * band[1]) / 100);
    const top = ranked.slice(lo, hi);
    const atP95 = { ...ZERO(), bins: top.length, cpu: 0, withStorm: 0 };
    for (const t of top) {
      const x = at(t, node[t] as number);
      add(atP95, x, 1 / top.length);
      atP95.cpu += (series.hot[t] as number) / top.length;
      if (x.othersStorm + x.customerStorm > 0.01) atP95.withStorm += 1 / top.length;
    }
    const [modeNode, modeShare] = mode(bins.map((t) => node[t] as number));
    const [modeNodeAtP95, modeShareAtP95] = mode(top.map((t) => node[t] as number));
    return {
      hotNodeP95,
      atP95,
      mean,
      customerCores,
      customerTopNodeCores: Math.max(...perNode),
      modeNode,
      modeShare,
      modeNodeAtP95,
      modeShareAtP95,
      nodes: series.nodes[from] as number,
    };
  };
  return {
    before: read(run.timeline.before, sig.before.hotNodeP95),
    after: read(run.timeline.after, sig.after.hotNodeP95),
  };
}
