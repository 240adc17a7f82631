/**
 * Fits the model's free physical parameters to a table of pod-startup percentiles.
 *
 * Optimizer: Nelder-Mead over the logarithm of each free parameter (they span orders of
 * magnitude and must stay positive), clamped to physical bounds. Every evaluation runs the
 * full copy sweep with the same seed (common random numbers), so the objective is
 * deterministic and two candidates differ only by their parameters.
 *
 * Objective = RMS relative error over all P50/P90/P99 figures + the largest relative error
 * (so no single figure is sacrificed) + penalties for the published qualitative findings:
 * throttling > 0 at the first two points and 0 from the third on; >= 2 backends above the
 * ceiling at the first point, exactly 1 at the second, none after; peak per-backend egress
 * lower at the last point than at the first; P50 per-node egress at the third point >= 3x
 * the first. Penalties apply only when the table has the five configurations of the post.
 */
import { InputError } from '../../lib/errors';
import type { Metrics } from '../../lib/results/envelope';
import { runCopySweep, type SweepPoint } from './copy-sweep';
import { nelderMead } from './nelder-mead';
import type { CopySweepParams } from './params';
import type { TargetTable } from './target-table';

export interface FreeParam {
  path: string;
  lo: number;
  hi: number;
  get(p: CopySweepParams): number;
  set(p: CopySweepParams, v: number): void;
}

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** The free parameters and their physical bounds; everything else is a fixed assumption. */
export const FREE_PARAMS: FreeParam[] = [
  leaf('client.unpackBps', 4 * MiB, 400 * MiB),
  leaf('client.unpackSpread', 0.002, 0.6),
  leaf('client.streamBps', 10 * MiB, 1000 * MiB),
  leaf('client.retryBaseS', 0.2, 120),
  leaf('storage.ceilingBps', 0.5 * GiB, 500 * GiB),
  leaf('storage.burstFactor', 1.001, 4),
  leaf('storage.coldReadBps', 0.5 * MiB, 500 * MiB),
  leaf('storage.warmBytes', 16 * MiB, 500 * GiB),
];

function leaf(path: string, lo: number, hi: number): FreeParam {
  const [group, key] = path.split('.') as [keyof CopySweepParams, string];
  return {
    path,
    lo,
    hi,
    get: (p) => (p[group] as Record<string, number>)[key] as number,
    set: (p, v) => {
      (p[group] as Record<string, number>)[key] = v;
    },
  };
}

export interface Residual {
  label: string;
  figure: 'p50' | 'p90' | 'p99';
  targetS: number;
  simulatedS: number;
  relativeError: number;
}

export interface Evaluation {
  score: number;
  rms: number;
  max: number;
  penalties: Record<string, number>;
  residuals: Residual[];
}

export function evaluate(points: SweepPoint[], table: TargetTable): Evaluation {
  const residuals: Residual[] = [];
  for (const t of table.points) {
    const sim = points.find((p) => p.label === t.label);
    if (!sim)
      throw new InputError(`${table.file}: points`, `labels matching sweep.labels`, t.label, 'BAD_TARGET');
    const q = sim.run.metrics.podStartupS ?? { p50: 0, p90: 0, p99: 0, max: 0 };
    for (const figure of ['p50', 'p90', 'p99'] as const) {
      const target = t.podStartupS[figure];
      residuals.push({
        label: t.label,
        figure,
        targetS: target,
        simulatedS: q[figure],
        relativeError: (q[figure] - target) / target,
      });
    }
  }
  const rel = residuals.map((r) => Math.abs(r.relativeError));
  const rms = Math.sqrt(rel.reduce((s, v) => s + v * v, 0) / rel.length);
  const max = Math.max(...rel);
  const penalties = points.length === 5 ? qualitativePenalties(points.map((p) => p.run.metrics)) : {};
  const score = rms + max + Object.values(penalties).reduce((s, v) => s + v, 0);
  return { score, rms, max, penalties, residuals };
}

/** The post's qualitative findings as soft constraints; 0 when satisfied. */
export function qualitativePenalties(m: Metrics[]): Record<string, number> {
  const pen: Record<string, number> = {};
  const w = 0.05;
  const thr = m.map((x) => x.throttleEvents ?? 0);
  const above = m.map((x) => Number(x.backendsAboveCeiling ?? 0));
  const peak = m.map((x) => Math.max(0, ...(x.backends ?? []).map((b) => b.peakEgressBps)));
  const eg = m.map((x) => x.nodeEgressBps?.p50 ?? 0);
  const add = (k: string, v: number) => {
    if (v > 0) pen[k] = v;
  };
  add('throttling at Baseline/Low', w * (Number(thr[0] === 0) + Number(thr[1] === 0)));
  add(
    'throttling from Mid on',
    w * thr.slice(2).reduce((s, v) => s + Math.min(1, v / 20), 0) + (thr.slice(2).some((v) => v > 0) ? w : 0),
  );
  add('backends above ceiling at Baseline >= 2', (w * Math.max(0, 2 - (above[0] ?? 0))) / 2);
  add('exactly one backend above ceiling at Low', w * Math.min(1, Math.abs((above[1] ?? 0) - 1) / 2));
  add('no backend above ceiling from Mid on', w * Math.min(1, above.slice(2).reduce((s, v) => s + v, 0) / 2));
  add('peak egress falls Baseline -> Very high', (peak[4] ?? 0) >= (peak[0] ?? 0) ? w : 0);
  add('Mid P50 egress >= 3x Baseline', w * Math.max(0, 3 - (eg[2] ?? 0) / Math.max(1, eg[0] ?? 1)));
  return pen;
}

export interface CalibrationResult {
  params: CopySweepParams;
  fitted: Record<string, number>;
  evaluation: Evaluation;
  evaluations: number;
  iterations: number;
}

export function calibrate(
  base: CopySweepParams,
  table: TargetTable,
  opts: {
    seed: number;
    maxEvaluations: number;
    step?: number;
    onProgress?: (evals: number, best: number) => void;
  },
): CalibrationResult {
  if (table.points.length !== base.sweep.copies.length)
    throw new InputError(
      `${table.file}: points`,
      `${base.sweep.copies.length} configurations (one per sweep.copies entry)`,
      table.points.length,
      'BAD_TARGET',
    );
  const withLabels: CopySweepParams = {
    ...base,
    sweep: { ...base.sweep, labels: table.points.map((p) => p.label) },
  };
  const toX = (p: CopySweepParams) => FREE_PARAMS.map((fp) => Math.log(clamp(fp.get(p), fp.lo, fp.hi)));
  const fromX = (x: number[]): CopySweepParams => {
    const p = structuredClone(withLabels);
    FREE_PARAMS.forEach((fp, i) => {
      fp.set(p, clamp(Math.exp(x[i] as number), fp.lo, fp.hi));
    });
    return p;
  };
  let best = Number.POSITIVE_INFINITY;
  let count = 0;
  const objective = (x: number[]) => {
    const e = evaluate(runCopySweep(fromX(x), opts.seed), table);
    count++;
    if (e.score < best) best = e.score;
    opts.onProgress?.(count, best);
    return e.score;
  };
  const r = nelderMead(objective, toX(withLabels), {
    step: opts.step ?? 0.25,
    maxEvaluations: opts.maxEvaluations,
  });
  const params = fromX(r.x);
  const evaluation = evaluate(runCopySweep(params, opts.seed), table);
  const fitted = Object.fromEntries(FREE_PARAMS.map((fp) => [fp.path, fp.get(params)]));
  return { params, fitted, evaluation, evaluations: r.evaluations, iterations: r.iterations };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
