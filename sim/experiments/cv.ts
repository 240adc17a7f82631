/**
 * Leave-one-configuration-out cross-validation of the calibration: one fit per row of the
 * target table, each from the same start with that row held out, then the held-out row's
 * P50/P90/P99 under its fit and whether each of the post's qualitative findings still holds.
 * A model that only fits would miss its held-out rows; one that predicts would not.
 */
import { InputError } from '../../lib/errors';
import type { Envelope, Point } from '../../lib/results/envelope';
import type { CopySweepParams } from '../models/copy-sweep/params';
import { type CalibrationResult, calibrate, FINDINGS, type Finding, type Residual } from './calibrate';
import { type TargetTable, tableAsReference } from './target-table';

/** The band a held-out figure must fall in (issue 13's cross-validation target). */
export const CV_BAND = 0.1;

export interface CvFold {
  label: string;
  heldOut: Residual[];
  findings: Partial<Record<Finding, boolean>>;
  /** In-sample fit of the other rows. */
  fitScore: number;
  fitRms: number;
  fitMax: number;
  ladder: number[];
  fitted: Record<string, number>;
  evaluations: number;
  wallMs: number;
}

export interface CvResult {
  folds: CvFold[];
  seeds: number[];
  maxEvaluations: number;
}

export function crossValidate(
  base: CopySweepParams,
  table: TargetTable,
  opts: {
    seed: number;
    seeds: number[];
    maxEvaluations: number;
    /** Per fold: called before the fit starts and on every evaluation. */
    onProgress?: (fold: number, folds: number, label: string, evals: number, best: number) => void;
    /** Injected clock for the per-fold wall time. */
    now?: () => number;
  },
): CvResult {
  if (table.points.length < 2)
    throw new InputError(
      '--cv',
      'a target table of at least 2 rows (one to hold out, one to fit)',
      table.points.length,
    );
  const now = opts.now ?? Date.now;
  const folds: CvFold[] = [];
  const n = table.points.length;
  for (const [i, row] of table.points.entries()) {
    opts.onProgress?.(i, n, row.label, 0, Number.NaN);
    const started = now();
    const r: CalibrationResult = calibrate(base, table, {
      seed: opts.seed,
      seeds: opts.seeds,
      holdout: [row.label],
      maxEvaluations: opts.maxEvaluations,
      onProgress: (evals, best) => opts.onProgress?.(i, n, row.label, evals, best),
    });
    folds.push({
      label: row.label,
      heldOut: r.heldOut,
      findings: r.findings,
      fitScore: r.evaluation.score,
      fitRms: r.evaluation.rms,
      fitMax: r.evaluation.max,
      ladder: r.ladder,
      fitted: r.fitted,
      evaluations: r.evaluations,
      wallMs: now() - started,
    });
  }
  return { folds, seeds: opts.seeds, maxEvaluations: opts.maxEvaluations };
}

const pct = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}%`;

/** The console table: held-out error per row and figure, then findings per fold. */
export function cvTable(r: CvResult): string[] {
  const lines = ['held out    P50 err  P90 err  P99 err  in band   fit rms  findings broken'];
  for (const f of r.folds) {
    const e = (fig: string) => f.heldOut.find((x) => x.figure === fig)?.relativeError ?? Number.NaN;
    const inBand = f.heldOut.filter((x) => Math.abs(x.relativeError) <= CV_BAND).length;
    const broken = FINDINGS.filter((k) => f.findings[k] === false);
    lines.push(
      `${f.label.padEnd(10)}  ${pct(e('p50')).padStart(7)}  ${pct(e('p90')).padStart(7)}  ${pct(e('p99')).padStart(7)}  ${`${inBand}/${f.heldOut.length}`.padStart(7)}  ${pct(f.fitRms).padStart(8)}  ${broken.length === 0 ? 'none' : broken.join('; ')}`,
    );
  }
  const all = r.folds.flatMap((f) => f.heldOut);
  const within = all.filter((x) => Math.abs(x.relativeError) <= CV_BAND).length;
  const held = r.folds.filter((f) => FINDINGS.every((k) => f.findings[k] !== false)).length;
  lines.push(
    `held-out figures within +-${100 * CV_BAND}%: ${within}/${all.length}; folds keeping every finding: ${held}/${r.folds.length}`,
  );
  return lines;
}

/** The result envelope: one point per held-out row (its simulated percentiles and errors). */
export function cvEnvelope(
  r: CvResult,
  table: TargetTable,
  o: { seed: number; wallMs: number; start: string; params: Record<string, unknown> },
): Envelope {
  const points: Point[] = r.folds.map((f) => {
    const q = (fig: string) => f.heldOut.find((x) => x.figure === fig)?.simulatedS ?? Number.NaN;
    const err = (fig: string) => f.heldOut.find((x) => x.figure === fig)?.relativeError ?? Number.NaN;
    return {
      label: f.label,
      params: { heldOut: f.label, ladder: f.ladder.join('/'), ...prefixed(f.fitted) },
      metrics: {
        podStartupS: { p50: q('p50'), p90: q('p90'), p99: q('p99'), max: q('p99') },
        heldOutError: { p50: err('p50'), p90: err('p90'), p99: err('p99') },
        findings: f.findings,
        fitScore: f.fitScore,
        fitRmsRelativeError: f.fitRms,
        fitMaxRelativeError: f.fitMax,
        evaluations: f.evaluations,
        foldWallS: f.wallMs / 1000,
      },
    };
  });
  const all = r.folds.flatMap((f) => f.heldOut.map((x) => Math.abs(x.relativeError)));
  return {
    tool: 'stampede',
    kind: 'sim',
    name: 'calibrate-cv',
    seed: o.seed,
    params: {
      ...o.params,
      seeds: r.seeds,
      maxEvaluations: r.maxEvaluations,
      start: o.start,
      target: table.source,
    },
    metrics: {
      heldOutWithinBand: all.filter((v) => v <= CV_BAND).length,
      heldOutFigures: all.length,
      heldOutMaxRelativeError: Math.max(...all),
      heldOutRmsRelativeError: Math.sqrt(all.reduce((s, v) => s + v * v, 0) / all.length),
      foldsKeepingFindings: r.folds.filter((f) => FINDINGS.every((k) => f.findings[k] !== false)).length,
    },
    points,
    runtime: { wallMs: o.wallMs, events: 0 },
    reference: tableAsReference(table),
  };
}

/** Fitted values as point params (a point's params are flat paths, as in a sweep). */
function prefixed(fitted: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(fitted).map(([k, v]) => [`fitted.${k}`, v]));
}
