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
  const e = v as Partial<Envelope> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.tool === 'stampede' &&
    (e.kind === 'sim' || e.kind === 'k6') &&
    typeof e.name === 'string' &&
    Array.isArray(e.points)
  );
}
