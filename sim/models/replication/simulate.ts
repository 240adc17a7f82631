/**
 * One `sim replication` run: the replication timeline (timeline.ts), every strategy and
 * offset evaluated on it by the same pullers (pulls.ts), and the DNS-scatter model
 * (scatter.ts). Pure: parameters and seed in, records and summaries out.
 */
import type { Quantiles } from '../../../lib/results/envelope';
import { cdf, quantiles } from '../../../lib/results/stats';
import { createRng } from '../../kernel/rng';
import type { ReplicationParams, Strategy } from './params';
import { type PullOutcome, pullOnce } from './pulls';
import { type ScatterResult, simulateScatter } from './scatter';
import { ackTime, buildTimeline, type Timeline } from './timeline';

export interface OffsetSummary {
  offsetS: number;
  failedShare: number;
  staleShare: number;
  ghostShare: number;
  toSuccessS: Quantiles | null;
}

export interface StrategySummary {
  strategy: Strategy;
  pullers: number;
  failedPulls: number;
  failedShare: number;
  staleShare: number;
  ghostShare: number;
  toSuccessS: Quantiles | null;
  pullLatencyS: Quantiles | null;
  attemptsMean: number;
  errors: { total: number; byCode: Record<string, number> };
  byOffset: OffsetSummary[];
}

export interface PullerRecord {
  kind: 'puller';
  strategy: Strategy;
  puller: number;
  push: number;
  region: string;
  offsetS: number;
  result: string;
  toSuccessS: number | null;
  latencyS: number | null;
  errors: number;
}

export interface LagRecord {
  kind: 'lag';
  push: number;
  second: boolean;
  region: string;
  lagS: number;
}

export interface ReplicationOutput {
  timeline: Timeline;
  pullerRegions: string[];
  lags: LagRecord[];
  strategies: StrategySummary[];
  pullers: PullerRecord[];
  pushLatencyS: number[];
  /** overwrite: per pair, d2's ack -> the last replica resolving d2. */
  disagreementS: number[];
  /** overwrite: per pair and target, d2's ack -> d2 landing there. delete: delete -> delete landing. */
  windows: Array<{ region: string; push: number; windowS: number }>;
  scatter: ScatterResult[];
  events: number;
}

const q = (v: number[]): Quantiles | null => (v.length ? quantiles(v) : null);

export function pullerRegionsOf(p: ReplicationParams): string[] {
  return p.pullers.regions.length ? p.pullers.regions : p.regions.names.filter((r) => r !== p.regions.home);
}

export function simulateReplication(
  p: ReplicationParams,
  seed: number,
  progress: (done: number, total: number) => void = () => {},
): ReplicationOutput {
  const rng = createRng(seed);
  const timeline = buildTimeline(p, rng.fork(1));
  const regions = pullerRegionsOf(p);
  const spreadRng = rng.fork(2);
  const spread = Array.from({ length: p.pullers.count }, () =>
    p.pullers.spreadS > 0 ? spreadRng.uniform(0, p.pullers.spreadS) : 0,
  );
  const offsets = p.pullers.offsets.length ? p.pullers.offsets : [p.pullers.offsetS];
  const strategies = p.strategies as Strategy[];
  const nPush = p.pushes.count;
  const pullers: PullerRecord[] = [];
  const summaries: StrategySummary[] = [];

  strategies.forEach((strategy, si) => {
    const evalAt = (offsetS: number, oi: number, keep: boolean) => {
      // Retry jitter: its own stream per (strategy, offset), so one does not shift another.
      const ctx = { p, timeline, rng: rng.fork(1000 + si * 1000 + oi) };
      const outs: PullOutcome[] = [];
      for (let i = 0; i < p.pullers.count; i++) {
        const push = i % nPush;
        const region = regions[i % regions.length] as string;
        const o = pullOnce(ctx, strategy, push, region, offsetS + (spread[i] as number));
        outs.push(o);
        if (keep)
          pullers.push({
            kind: 'puller',
            strategy,
            puller: i,
            push,
            region,
            offsetS,
            result: o.result,
            toSuccessS: o.toSuccessS,
            latencyS: o.latencyS,
            errors: o.errors,
          });
      }
      return outs;
    };
    const share = (outs: PullOutcome[], f: (o: PullOutcome) => boolean) =>
      outs.length ? outs.filter(f).length / outs.length : 0;
    const ok = (o: PullOutcome) => o.toSuccessS !== null;
    const byOffset = offsets.map((offsetS, oi) => {
      const outs = evalAt(offsetS, oi + 1, false);
      return {
        offsetS,
        failedShare: share(outs, (o) => !ok(o)),
        staleShare: share(outs, (o) => o.result === 'stale'),
        ghostShare: share(outs, (o) => o.result === 'ghost'),
        toSuccessS: q(outs.filter(ok).map((o) => o.toSuccessS as number)),
      };
    });
    const outs = evalAt(p.pullers.offsetS, 0, true);
    const failed = outs.filter((o) => !ok(o)).length;
    const errorsTotal = outs.reduce((a, o) => a + o.errors, 0);
    summaries.push({
      strategy,
      pullers: outs.length,
      failedPulls: failed,
      failedShare: outs.length ? failed / outs.length : 0,
      staleShare: share(outs, (o) => o.result === 'stale'),
      ghostShare: share(outs, (o) => o.result === 'ghost'),
      toSuccessS: q(outs.filter(ok).map((o) => o.toSuccessS as number)),
      pullLatencyS: q(outs.filter(ok).map((o) => o.latencyS as number)),
      attemptsMean: outs.reduce((a, o) => a + o.attempts, 0) / Math.max(1, outs.length),
      // Replication never publishes a manifest before its blobs (see pulls.ts): no BLOB_UNKNOWN.
      errors: { total: errorsTotal, byCode: { MANIFEST_UNKNOWN: errorsTotal, BLOB_UNKNOWN: 0 } },
      byOffset,
    });
    progress(si + 1, strategies.length);
  });

  const lags: LagRecord[] = [];
  for (const w of timeline.writes)
    if (w.op === 'push')
      for (const r of timeline.targets)
        lags.push({
          kind: 'lag',
          push: w.push,
          second: w.second,
          region: r,
          lagS: (w.land[r] as number) - w.homeAt,
        });

  const disagreementS: number[] = [];
  const windows: ReplicationOutput['windows'] = [];
  if (p.mode !== 'race')
    for (const w of timeline.watched) {
      const from = p.mode === 'overwrite' ? ackTime(w, p.consistency.ackReplicas) : w.homeAt;
      let last = from;
      for (const r of timeline.targets) {
        const land = w.land[r] as number;
        const pushLand = (timeline.first[w.push] as { land: Record<string, number> }).land[r] as number;
        // delete: the content is pullable there from max(delete, its landing) to the delete landing.
        const windowS =
          p.mode === 'overwrite' ? Math.max(0, land - from) : Math.max(0, land - Math.max(from, pushLand));
        windows.push({ region: r, push: w.push, windowS });
        last = Math.max(last, land);
      }
      disagreementS.push(last - from);
    }

  const pushLatencyS = timeline.writes
    .filter((w) => w.op === 'push')
    .map((w) => ackTime(w, p.consistency.ackReplicas) - w.start);

  const scatter = p.scatter.pushes > 0 ? simulateScatter(p, rng.fork(3)) : [];
  return {
    timeline,
    pullerRegions: regions,
    lags,
    strategies: summaries,
    pullers,
    pushLatencyS,
    disagreementS,
    windows,
    scatter,
    events: timeline.events,
  };
}

/** Per-region lag CDF rows, the shape the lag chart reads (a lab run must write the same). */
export function lagCdfRows(
  lags: readonly LagRecord[],
): Array<{ region: string; value: number; fraction: number }> {
  const by = new Map<string, number[]>();
  for (const l of lags) {
    const v = by.get(l.region) ?? [];
    v.push(l.lagS);
    by.set(l.region, v);
  }
  return [...by].flatMap(([region, v]) => cdf(v).map((c) => ({ region, ...c })));
}
