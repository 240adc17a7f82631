/**
 * A simulated copy sweep against the measured one it predicts (`stampede report <measured>
 * <simulated>`): per measured point, the simulator's error on pull P50/P90/P99 and on the
 * hottest backend's peak over its ceiling, with the 503 counts side by side in the tooltip.
 * Points are matched by copy count and fleet size (storage.copies, workload.nodes), not by
 * label, so a prediction for other copy counts or VUs lines up with the run that measured it.
 */
import type { Envelope, Point } from '../../lib/results/envelope';
import type { ReportRun, VegaLiteSpec } from '../types';
import { type OverlayBand, type OverlayRow, overlaySpec } from './sim-vs-measured';

export interface SweepErrorRow {
  point: string;
  figure: string;
  measured: number;
  simulated: number;
  /** simulated / measured - 1 */
  error: number;
  measured503: number;
  simulated503: number;
  /** The band the figure is held to: +-10% for P50/P90, +-15% for P99 and the ratio. */
  band: number;
}

const nodesOf = (e: Envelope, p: Point): number | undefined => {
  const own = p.params['workload.nodes'];
  if (typeof own === 'number') return own;
  const w = (e.params.workload as { nodes?: number } | undefined)?.nodes;
  return typeof w === 'number' ? w : undefined;
};

export function sweepErrorRows(measured: Envelope, simulated: Envelope): SweepErrorRow[] {
  const rows: SweepErrorRow[] = [];
  for (const m of measured.points) {
    const copies = m.params['storage.copies'];
    if (typeof copies !== 'number') continue;
    const s = simulated.points.find(
      (p) => p.params['storage.copies'] === copies && nodesOf(simulated, p) === nodesOf(measured, m),
    );
    if (!s) continue;
    const figures: Array<[string, number | undefined, number | undefined, number]> = [
      ['P50', m.metrics.pullS?.p50, s.metrics.pullS?.p50, 0.1],
      ['P90', m.metrics.pullS?.p90, s.metrics.pullS?.p90, 0.1],
      ['P99', m.metrics.pullS?.p99, s.metrics.pullS?.p99, 0.15],
      ['hottest / ceiling', m.metrics.hotBackendRatio, s.metrics.hotBackendRatio, 0.15],
    ];
    for (const [figure, a, b, band] of figures)
      if (a !== undefined && b !== undefined && a > 0)
        rows.push({
          point: `C=${copies} V=${nodesOf(measured, m) ?? '?'}`,
          figure,
          measured: a,
          simulated: b,
          error: b / a - 1,
          measured503: m.metrics.throttleEvents ?? 0,
          simulated503: s.metrics.throttleEvents ?? 0,
          band,
        });
  }
  return rows;
}

/**
 * Two runs, one measured (k6) and one simulated: the sim-vs-measured overlay
 * (./sim-vs-measured) with one panel per figure, copies on x, the fleet size as the group and
 * each figure's band around the measured value; a simulated point outside its shaded band
 * misses. The tooltip has the error and both 503 counts. Else none.
 */
export function sweepErrorSpec(runs: readonly ReportRun[]): VegaLiteSpec | null {
  const measured = runs.find((r) => r.envelope.kind === 'k6');
  const simulated = runs.find((r) => r.envelope.kind === 'sim');
  if (!measured || !simulated) return null;
  const errs = sweepErrorRows(measured.envelope, simulated.envelope);
  if (errs.length === 0) return null;
  const copiesOf = (point: string) => Number(/C=(\d+)/.exec(point)?.[1]);
  const fleetOf = (point: string) => point.replace(/^C=\d+ /, '');
  const rows: OverlayRow[] = errs.flatMap((r) => {
    const common = {
      group: fleetOf(r.point),
      panel: r.figure,
      x: copiesOf(r.point),
      extra: { measured503: r.measured503, simulated503: r.simulated503 },
    };
    return [
      { ...common, source: `${measured.label} (measured)`, side: 'measured' as const, y: r.measured },
      { ...common, source: `${simulated.label} (simulated)`, side: 'simulated' as const, y: r.simulated },
    ];
  });
  const bands: OverlayBand[] = errs.map((r) => ({
    group: fleetOf(r.point),
    panel: r.figure,
    axis: 'y',
    x: copiesOf(r.point),
    low: r.measured * (1 - r.band),
    high: r.measured * (1 + r.band),
    label: `±${Math.round(r.band * 100)}% of measured`,
  }));
  const figures = [...new Set(errs.map((r) => r.figure))];
  return overlaySpec({
    rows,
    bands,
    sources: [`${measured.label} (measured)`, `${simulated.label} (simulated)`],
    groupTitle: 'fleet',
    sourceTitle: 'run',
    width: 160,
    height: 180,
    x: { title: 'storage copies' },
    panels: figures.map((f) => ({
      id: f,
      title: f === 'hottest / ceiling' ? 'hottest backend / its ceiling' : `pull ${f}`,
      y: { title: f === 'hottest / ceiling' ? 'peak / ceiling' : 'seconds', format: '.3~f' },
    })),
  });
}
