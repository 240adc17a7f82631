/**
 * What a cold-pull storm writes besides its metrics: one raw record per node, and the
 * console table (one row per point) that cold-pull and copy-sweep both print.
 */
import type { Envelope } from '../../../lib/results/envelope';
import { describeSweetSpot, type SweetSpot } from '../../../lib/results/sweet-spot';
import { describeThrottling } from '../../../lib/results/throttling';
import { formatSeconds } from '../../../reports/format';
import type { ColdPullRun } from './storm';

const MiB = 2 ** 20;

/** One record per node for raw.ndjson, tagged with its point's label. */
export function nodeRecords(label: string, run: ColdPullRun): unknown[] {
  const n = run.nodes;
  const out: unknown[] = new Array(n.podStartupS.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = {
      point: label,
      node: i,
      podStartupS: num(n.podStartupS[i]),
      pullS: num(n.pullS[i]),
      egressBps: num(n.egressBps[i]),
      throttleEvents: n.throttled[i] ?? 0,
      ...(Number.isFinite(n.podStartupS[i] as number) ? {} : { error: 'NOT_READY_AT_HORIZON' }),
    };
  }
  return out;
}

/** JSON has no NaN: unfinished values become null. */
function num(v: number | undefined): number | null {
  return v !== undefined && Number.isFinite(v) ? v : null;
}

/** Startup percentiles, throttling and egress per point, the published figures under each. */
export function stormTable(env: Envelope): string[] {
  // Round first: 839.6 s is 14m00s, not 13m60s.
  const fmt = (s: number) => {
    const t = Math.round(s);
    return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  };
  const ref = new Map((env.reference?.points ?? []).map((p) => [p.label, p.metrics.podStartupS]));
  const lines = [
    'point       P50      P90      P99      throttled  peak/ceiling  above-ceiling  node egress P50',
  ];
  for (const p of env.points) {
    const q = p.metrics.podStartupS;
    const at = (k: 'p50' | 'p90' | 'p99') => (q ? fmt(q[k]) : 'n/a').padEnd(7);
    const r = ref.get(p.label);
    lines.push(
      `${p.label.padEnd(10)}  ${at('p50')}  ${at('p90')}  ${at('p99')}  ${String(p.metrics.throttleEvents ?? 0).padStart(9)}  ${(p.metrics.hotBackendRatio ?? 0).toFixed(2).padStart(12)}  ${String(p.metrics.backendsAboveCeiling ?? 0).padStart(13)}  ${((p.metrics.nodeEgressBps?.p50 ?? 0) / MiB).toFixed(0).padStart(10)} MiB/s`,
    );
    if (r) lines.push(`  published ${fmt(r.p50).padEnd(7)}  ${fmt(r.p90).padEnd(7)}  ${fmt(r.p99)}`);
  }
  const throttled = env.points.map((p) => describeThrottling(p, formatSeconds)).filter((l) => l !== null);
  if (throttled.length > 0)
    lines.push('503s (layers counted from 0, in manifest order):', ...throttled.map((l) => `  ${l}`));
  const spot = env.metrics.sweetSpot as SweetSpot | undefined;
  if (spot) lines.push(`sweet spot: ${describeSweetSpot(spot, formatSeconds)}`);
  const notReady = env.points.map((p) => notReadyLine(p, env)).filter((l) => l !== null);
  if (notReady.length > 0)
    lines.push(
      `not ready by run.horizonS (${formatSeconds(Number((env.params.run as { horizonS?: number })?.horizonS))}):`,
      ...notReady.map((l) => `  ${l}`),
    );
  return lines;
}

/** How many nodes of a point never became ready: its quantiles cover only the others. */
function notReadyLine(p: Envelope['points'][number], env: Envelope): string | null {
  const missing = p.metrics.errors?.byCode?.NOT_READY_AT_HORIZON ?? p.metrics.errors?.total ?? 0;
  if (missing <= 0) return null;
  const nodes = Number((env.params.workload as { nodes?: number })?.nodes);
  if (!Number.isFinite(nodes)) return `${p.label}: ${missing} nodes`;
  const ready = nodes - missing;
  return `${p.label}: ${missing} of ${nodes} nodes${ready > 0 ? ` (its percentiles cover the ${ready} that were ready)` : ' (no percentiles)'}`;
}
