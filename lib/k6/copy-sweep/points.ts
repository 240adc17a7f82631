/**
 * One measured point of a copy sweep, from the summary.json its cold-pull run wrote: the
 * same metric names as `sim copy-sweep`'s points (pullS, podStartupS, throttleEvents,
 * backends, hotBackendRatio, nodeEgressBps), so a measured and a simulated sweep overlay
 * point by point. In the lab a pull is the whole pod startup (no unpack, no container
 * start), so podStartupS is pullS.
 */
import type { Envelope, Metrics, Point } from '../../results/envelope';
import { sweetSpot } from '../../results/sweet-spot';

export interface PointSpec {
  label: string;
  vus: number;
  /** Lab: the copy count of this point. */
  copies?: number;
  /** Registry URL: the image this point pulls. */
  image?: string;
}

interface Backend {
  id: string;
  bytes: number;
  peakEgressBps: number;
  ceilingBps: number;
  throttles?: number;
}

/**
 * The point's metrics. `backendIds` keeps the backends of the region the VUs pull from
 * (the others serve nothing to k6 but are in the lab's status).
 */
export function measuredPoint(spec: PointSpec, run: Envelope, backendIds?: readonly string[]): Point {
  const m = run.metrics as Metrics & {
    backends?: Backend[];
    pulls?: { ok: number; failed: number };
    bytes?: number;
    errors?: { total: number; byCode: Record<string, number> };
  };
  const backends = (m.backends ?? []).filter((b) => !backendIds || backendIds.includes(b.id));
  const withCeiling = backends.filter((b) => b.ceilingBps > 0);
  const metrics: Metrics = {
    ...(m.pullS && { pullS: m.pullS, podStartupS: m.pullS }),
    ...(m.nodeEgressBps && { nodeEgressBps: m.nodeEgressBps }),
    throttleEvents: m.throttleEvents ?? 0,
    ...(m.errors && { errors: m.errors }),
    pulls: m.pulls ?? { ok: 0, failed: 0 },
    bytes: m.bytes ?? 0,
    ...(backends.length > 0 && { backends }),
    ...(withCeiling.length > 0 && {
      hotBackendRatio: Math.max(...withCeiling.map((b) => b.peakEgressBps / b.ceilingBps)),
      backendsAboveCeiling: withCeiling.filter((b) => b.peakEgressBps > b.ceilingBps).length,
    }),
    wallS: run.runtime.wallMs / 1000,
  };
  const params: Record<string, unknown> = { 'workload.nodes': spec.vus };
  if (spec.copies !== undefined) params['storage.copies'] = spec.copies;
  if (spec.image !== undefined) params.image = spec.image;
  return { label: spec.label, params, metrics };
}

/** The sweep's own metrics: its sweet spot (the fewest copies throttle-free at the best P99). */
export function sweepMetrics(points: readonly Point[]): Metrics {
  const spot = sweetSpot(points);
  return spot ? { sweetSpot: spot } : {};
}

/** One progress line per finished point. */
export function pointLine(i: number, n: number, p: Point): string {
  const m = p.metrics as Metrics & { pulls?: { ok: number; failed: number } };
  const q = m.pullS;
  const s = (x: number) => `${x.toFixed(2)}s`;
  return `point ${i}/${n} ${p.label}: ${m.pulls?.ok ?? 0} ok ${m.pulls?.failed ?? 0} failed; pull ${q ? `P50 ${s(q.p50)} P90 ${s(q.p90)} P99 ${s(q.p99)}` : 'n/a'}; 503s ${m.throttleEvents ?? 0}${m.hotBackendRatio !== undefined ? `; hottest backend ${m.hotBackendRatio.toFixed(2)}x ceiling` : ''}`;
}
