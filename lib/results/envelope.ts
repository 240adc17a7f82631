/**
 * The one result format shared by the simulator and k6 runs (DESIGN.md, "Result
 * envelope"). Durations are seconds and rates bytes/s unless a key says otherwise.
 * Metric names here are a contract: add new ones, never rename these.
 */
export interface Quantiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface EgressQuantiles {
  p50: number;
  p75: number;
  p90: number;
  p99: number;
  p999: number;
}

export interface BackendStat {
  id: string;
  bytes: number;
  peakEgressBps: number;
  ceilingBps: number;
  /** 503s the backend answered during the run. */
  throttles?: number;
  /** When it answered its first and last 503, seconds from the start (simulator runs). */
  firstThrottleS?: number;
  lastThrottleS?: number;
}

export interface Metrics {
  podStartupS?: Quantiles;
  pullS?: Quantiles;
  throttleEvents?: number;
  backends?: BackendStat[];
  hotBackendRatio?: number;
  nodeEgressBps?: EgressQuantiles;
  replicationLagS?: Quantiles;
  failoverS?: Quantiles;
  errors?: { total: number; byCode: Record<string, number> };
  [extra: string]: unknown;
}

export interface Point {
  label: string;
  params: Record<string, unknown>;
  metrics: Metrics;
}

export interface Envelope {
  tool: 'stampede';
  kind: 'sim' | 'k6';
  name: string;
  seed: number;
  params: Record<string, unknown>;
  metrics: Metrics;
  points: Point[];
  runtime: { wallMs: number; events: number; [extra: string]: unknown };
  /** Reference data to overlay in reports (e.g. the published table), with its source named. */
  reference?: { source: string; points: Point[] };
  /** Set on a run that was interrupted or failed: the report is rebuilt from what was measured. */
  incomplete?: { reason: string };
}

export function isEnvelope(v: unknown): v is Envelope {
  return envelopeProblem(v) === undefined;
}

/**
 * The first field of `v` that is not what a result envelope needs, as [field, expected,
 * received], or undefined when it is one. Reports read metrics, points and the optional
 * runtime, incomplete and reference without further checks, so a hand-edited or truncated
 * summary is caught here, naming the field, not as a crash mid-render.
 */
export function envelopeProblem(v: unknown): [string, string, unknown] | undefined {
  const obj = (x: unknown): x is Record<string, unknown> =>
    typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!obj(v)) return ['(root)', 'a result envelope object', v];
  if (v.tool !== 'stampede') return ['tool', '"stampede"', v.tool];
  if (v.kind !== 'sim' && v.kind !== 'k6') return ['kind', '"sim" or "k6"', v.kind];
  if (typeof v.name !== 'string') return ['name', 'a string', v.name];
  if (!obj(v.metrics)) return ['metrics', 'an object of metrics', v.metrics];
  if (v.params !== undefined && !obj(v.params)) return ['params', 'an object', v.params];
  if (!Array.isArray(v.points)) return ['points', 'a list of points', v.points];
  for (const [i, p] of v.points.entries()) {
    if (!obj(p)) return [`points[${i}]`, 'an object {label, params, metrics}', p];
    if (typeof p.label !== 'string') return [`points[${i}].label`, 'a string', p.label];
    if (!obj(p.metrics)) return [`points[${i}].metrics`, 'an object of metrics', p.metrics];
    if (p.params !== undefined && !obj(p.params)) return [`points[${i}].params`, 'an object', p.params];
  }
  if (v.runtime !== undefined && !obj(v.runtime))
    return ['runtime', 'an object {wallMs, events, ...}', v.runtime];
  if (v.incomplete !== undefined) {
    if (!obj(v.incomplete)) return ['incomplete', 'an object {reason}', v.incomplete];
    if (typeof v.incomplete.reason !== 'string')
      return ['incomplete.reason', 'a string', v.incomplete.reason];
  }
  const ref = v.reference;
  if (ref === undefined) return undefined;
  if (!obj(ref)) return ['reference', 'an object {source, points}', ref];
  if (typeof ref.source !== 'string') return ['reference.source', 'a string', ref.source];
  if (!Array.isArray(ref.points)) return ['reference.points', 'a list of points', ref.points];
  for (const [i, p] of ref.points.entries()) {
    const at = `reference.points[${i}]`;
    if (!obj(p)) return [at, 'an object {label, metrics}', p];
    if (typeof p.label !== 'string') return [`${at}.label`, 'a string', p.label];
    if (!obj(p.metrics)) return [`${at}.metrics`, 'an object of metrics', p.metrics];
  }
  return undefined;
}
