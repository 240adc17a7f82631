/**
 * The raw samples behind a quantile, read back from a run's raw.ndjson: per-node records of a
 * simulation (grouped by their `point` label) or the Trend points of k6's JSON output (one
 * point per run). Quantiles in summary.json are summaries; a bootstrap needs the samples.
 */
import { isPoint } from '../../k6/collect';

type RawRecord = Record<string, unknown>;

/** Envelope key -> the per-node field of a simulator record. */
const SIM_FIELDS: Record<string, string> = {
  podStartupS: 'podStartupS',
  pullS: 'pullS',
  replicationLagS: 'replicationLagS',
  failoverS: 'failoverS',
  nodeEgressBps: 'egressBps',
};

/** Envelope key -> k6 Trend metric and the factor to the envelope's unit (ms -> s). */
const K6_TRENDS: Record<string, { metric: string; scale: number }> = {
  pullS: { metric: 'pull_duration', scale: 1 / 1000 },
  layerS: { metric: 'layer_duration', scale: 1 / 1000 },
  nodeEgressBps: { metric: 'pull_bytes_per_s', scale: 1 },
};

export function isK6Raw(raw: readonly RawRecord[]): boolean {
  return raw.some(isPoint);
}

/**
 * The samples of `key` for the point labelled `point`. k6 runs have one point (the
 * scenario), so every Trend sample belongs to it; simulator records without a `point`
 * label (a single storm) belong to the only point.
 */
export function samplesOf(
  raw: readonly RawRecord[],
  key: string,
  point: string,
  onlyPoint: boolean,
): number[] {
  const out: number[] = [];
  if (isK6Raw(raw)) {
    const trend = K6_TRENDS[key];
    if (!trend) return out;
    for (const r of raw) if (isPoint(r) && r.metric === trend.metric) out.push(r.data.value * trend.scale);
    return out;
  }
  const field = SIM_FIELDS[key];
  if (!field) return out;
  for (const r of raw) {
    if (r.point !== point && !(onlyPoint && r.point === undefined)) continue;
    const v = r[field];
    if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  }
  return out;
}
