/**
 * Fits the model's free physical parameters to a table of pod-startup percentiles.
 *
 * Optimizer: candidate copy ladders screened at a small Latin hypercube of starts, then
 * Nelder-Mead over the logarithm of each free parameter (they span orders of magnitude and
 * must stay positive), clamped to physical bounds, restarted from its optimum. Every
 * evaluation runs the full copy sweep with the same seed (common random numbers), so the
 * objective is deterministic and two candidates differ only by their parameters.
 *
 * Objective = 0.25 x RMS relative error over all P50/P90/P99 figures + 2 x the mean excess
 * of each figure's error beyond a +-4% band (inside the +-5% target), each excess capped at
 * 10 points: every figure is pulled into the band, while a figure the model cannot reach
 * (more than 14% off) stops dragging the others out of it, as a max or full RMS term would;
 * + penalties for the published qualitative findings:
 * throttling > 0 at the first two points and 0 from the third on; >= 2 backends above the
 * ceiling at the first point, exactly 1 at the second, none after; peak per-backend egress
 * lower at the last point than at the first; P50 per-node egress at the third point >= 3x
 * the first. Penalties apply only when the sweep has the five configurations of the post.
 *
 * Seeds: with several seeds (`seeds`), every evaluation runs the sweep once per seed and the
 * score is the mean of the per-seed scores, so a fit is not tuned to one placement; with one
 * seed it is exactly the single-seed objective above.
 *
 * Held-out rows (`holdout`): the sweep still runs every configuration (a held-out row is
 * predicted by it), but the held-out rows' P50/P90/P99 enter neither the RMS nor the excess
 * term. The qualitative penalties read only simulated metrics (throttle counts, backends
 * above the ceiling, peak and per-node egress), never a row's published seconds, and the
 * findings are the post's separate observations, so they stay enforced on all five
 * configurations in a held-out fit (issue 13: "the qualitative findings stay enforced").
 */
import { InputError } from '../../lib/errors';
import type { Metrics } from '../../lib/results/envelope';
import { createRng } from '../kernel';
import type { CopySweepParams } from '../models/copy-sweep/params';
import { runCopySweep, type SweepPoint } from '../models/copy-sweep/sweep';
import { nelderMead } from './nelder-mead';
import type { TargetTable } from './target-table';

export interface FreeParam {
  path: string;
  lo: number;
  hi: number;
  get(p: CopySweepParams): number;
  set(p: CopySweepParams, v: number): void;
}

/** The band the excess term pulls each figure into (inside the +-5% target, for margin). */
const BAND = 0.04;
/** RMS only breaks ties inside the band: at full weight, two figures the model cannot reach would shift all others toward them. */
const RMS_WEIGHT = 0.25;
/** A figure more than BAND + EXCESS_CAP off counts as missed: its pull saturates, so the optimizer stops trading the other figures for it. */
const EXCESS_CAP = 0.1;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** The free parameters and their physical bounds; everything else is a fixed assumption. */
export const FREE_PARAMS: FreeParam[] = [
  leaf('client.unpackBps', 4 * MiB, 400 * MiB),
  leaf('client.unpackSpread', 0.002, 0.6),
  leaf('client.streamBps', 10 * MiB, 1000 * MiB),
  leaf('client.retryBaseS', 1, 900),
  leaf('client.retryCapS', 60, 1200),
  leaf('storage.shedFraction', 0.01, 1),
  leaf('storage.meterWindowS', 2, 300),
  leaf('storage.cacheBytes', 1 * GiB, 256 * GiB),
  leaf('storage.crowdingExponent', 0.25, 6),
];

/**
 * Parameters that were fitted and are now set from a source (issue 13: at most 8 fitted, the
 * rest fixed from a public figure). The calibrator never moves them: it keeps what its start
 * has, the preset's values (test/sim/presets.test.ts) or a --set for another cluster's
 * storage. Fixing all four at once
 * from the 13-parameter fit, not refitted, left the published table as it was: 12 of 15
 * medians over seeds 1-8 within 5 % (the same three misses), per seed 11, 12, 12, 12, 11, 11,
 * 12, 13 against 12, 12, 12, 12, 11, 11, 11, 13 (sim/models/README.md, "Issue 13 targets").
 */
export const SOURCED_PARAMS: ReadonlyArray<{ path: string; value: number; source: string }> = [
  {
    path: 'storage.ceilingBps',
    value: 25e9,
    source:
      'Azure Storage scalability targets for standard storage accounts: default maximum egress 200 Gbit/s (25e9 B/s); the fit had put it at 24.6e9 unprompted',
  },
  {
    path: 'storage.shedExponent',
    value: 0,
    source:
      'a step: the same page says an account past its target answers 503 Server Busy; the fit sat at its 0.05 bound',
  },
  {
    path: 'client.retryJitter',
    value: 0.5,
    source:
      'equal jitter, the common client back-off (the fit gave 0.54; within 1 point of the table either way)',
  },
  {
    path: 'storage.burstFactor',
    value: 2,
    source:
      'no public figure; the table is flat in it (x1.2 / /1.2 moves no figure more than 0.6 points), a round value in the flat range',
  },
];

/**
 * Copy counts per configuration are not published ("Baseline", "Low", ...), so the ladder is
 * an assumption chosen from this small set: each is Baseline 2, then modest, meaningful and
 * further steps, and a Very high well above Higher. The calibrator fits every candidate and
 * keeps the best (the choice is written into the preset).
 */
export const LADDERS: number[][] = [
  [2, 4, 8, 16, 96],
  [2, 3, 6, 12, 64],
  [2, 5, 10, 20, 96],
  [2, 6, 12, 24, 96],
  [3, 6, 12, 24, 96],
  [4, 6, 12, 24, 96],
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

/**
 * The objective over several seeds' sweeps (same parameters): score, RMS and each penalty are
 * the means of the per-seed values, max the largest per-seed max, and each residual compares
 * the mean simulated figure across seeds with the target. One sweep: exactly `evaluate`.
 */
export function evaluateSeeds(runs: SweepPoint[][], table: TargetTable): Evaluation {
  const evals = runs.map((points) => evaluate(points, table));
  if (evals.length === 1) return evals[0] as Evaluation;
  const n = evals.length;
  const mean = (f: (e: Evaluation) => number) => evals.reduce((s, e) => s + f(e), 0) / n;
  const penalties: Record<string, number> = {};
  for (const e of evals)
    for (const [k, v] of Object.entries(e.penalties)) penalties[k] = (penalties[k] ?? 0) + v / n;
  const residuals = (evals[0] as Evaluation).residuals.map((r, i) => {
    const simulatedS = mean((e) => (e.residuals[i] as Residual).simulatedS);
    return { ...r, simulatedS, relativeError: (simulatedS - r.targetS) / r.targetS };
  });
  return {
    score: mean((e) => e.score),
    rms: mean((e) => e.rms),
    max: Math.max(...evals.map((e) => e.max)),
    penalties,
    residuals,
  };
}

/** The post's qualitative findings, as pass/fail per finding, for a five-point sweep. */
export const FINDINGS = [
  'throttling only at Baseline and Low',
  'exactly one backend over the ceiling at Low',
  'peak egress falls Baseline -> Very high',
  "Mid's P50 node egress >= 3x Baseline's",
] as const;
export type Finding = (typeof FINDINGS)[number];

/** Which findings hold in one sweep's metrics (empty unless it has the post's five points). */
export function findings(m: Metrics[]): Partial<Record<Finding, boolean>> {
  if (m.length !== 5) return {};
  const thr = m.map((x) => x.throttleEvents ?? 0);
  const above = m.map((x) => Number(x.backendsAboveCeiling ?? 0));
  const peak = m.map((x) => Math.max(0, ...(x.backends ?? []).map((b) => b.peakEgressBps)));
  const eg = m.map((x) => x.nodeEgressBps?.p50 ?? 0);
  return {
    'throttling only at Baseline and Low':
      (thr[0] ?? 0) > 0 && (thr[1] ?? 0) > 0 && thr.slice(2).every((v) => v === 0),
    'exactly one backend over the ceiling at Low': above[1] === 1,
    'peak egress falls Baseline -> Very high': (peak[4] ?? 0) < (peak[0] ?? 0),
    "Mid's P50 node egress >= 3x Baseline's": (eg[2] ?? 0) >= 3 * (eg[0] ?? 0),
  };
}

/** A finding holds for a multi-seed fit only when it holds at every seed. */
export function findingsAcross(runs: SweepPoint[][]): Partial<Record<Finding, boolean>> {
  const out: Partial<Record<Finding, boolean>> = {};
  for (const points of runs)
    for (const [k, v] of Object.entries(findings(points.map((p) => p.run.metrics))) as [Finding, boolean][])
      out[k] = (out[k] ?? true) && v;
  return out;
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
  const excess = (2 * rel.reduce((s, v) => s + Math.min(EXCESS_CAP, Math.max(0, v - BAND)), 0)) / rel.length;
  const score = RMS_WEIGHT * rms + excess + Object.values(penalties).reduce((s, v) => s + v, 0);
  return { score, rms, max, penalties, residuals };
}

/** The post's qualitative findings as soft constraints; 0 when satisfied. */
export function qualitativePenalties(m: Metrics[]): Record<string, number> {
  const pen: Record<string, number> = {};
  const w = 0.2;
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
  /** Score of each candidate ladder after its screening and fit. */
  ladders: Array<{ copies: number[]; score: number }>;
  /** The ladder the fit settled on. */
  ladder: number[];
  optimizer: Record<string, unknown>;
  /** Seeds every evaluation ran (the objective is their mean). */
  seeds: number[];
  /** Labels held out of the fit, and their residuals under the fitted parameters (mean over seeds). */
  holdout: string[];
  heldOut: Residual[];
  /** The post's qualitative findings under the fitted parameters (true = holds at every seed). */
  findings: Partial<Record<Finding, boolean>>;
}

/**
 * Screening + local search. Every candidate ladder is scored at the base point and at a small
 * Latin hypercube of starts around it (+-halfWidth in log space, seeded, so the design is
 * reproducible); Nelder-Mead then runs from the best (ladder, start), restarted from its
 * optimum while the budget lasts. Every objective evaluation is one full sweep with the same
 * seed (common random numbers).
 */
export function calibrate(
  base: CopySweepParams,
  table: TargetTable,
  opts: {
    seed: number;
    /** Seeds per evaluation (default [seed]); the objective is the mean over them. */
    seeds?: number[];
    /** Labels of rows whose figures stay out of the objective (reported as heldOut). */
    holdout?: string[];
    maxEvaluations: number;
    step?: number;
    starts?: number;
    halfWidth?: number;
    ladders?: number[][];
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
  const holdout = opts.holdout ?? [];
  const labels = table.points.map((p) => p.label);
  for (const l of holdout)
    if (!labels.includes(l))
      throw new InputError('--holdout', `labels of the target table (${labels.join(', ')})`, l);
  if (holdout.length >= labels.length)
    throw new InputError('--holdout', 'at least one row of the target table left to fit', holdout.join(','));
  const seeds = opts.seeds ?? [opts.seed];
  if (seeds.length === 0) throw new InputError('--seeds', 'an integer >= 1', 0);
  const fitTable: TargetTable = { ...table, points: table.points.filter((p) => !holdout.includes(p.label)) };
  const heldTable: TargetTable = { ...table, points: table.points.filter((p) => holdout.includes(p.label)) };
  const sweeps = (p: CopySweepParams) => seeds.map((s) => runCopySweep(p, s));
  const withLabels: CopySweepParams = {
    ...base,
    sweep: { ...base.sweep, labels: table.points.map((p) => p.label) },
  };
  const ladders = (opts.ladders ?? (table.points.length === 5 ? LADDERS : [base.sweep.copies])).filter(
    (l) => l.length === table.points.length && Math.max(...l) <= base.storage.backends,
  );
  if (ladders.length === 0) ladders.push(base.sweep.copies);
  // Screening evaluates every ladder at the start point whatever the budget, so a budget
  // below that would be overrun (and the progress line would pass 100%).
  if (opts.maxEvaluations < ladders.length)
    throw new InputError(
      '--iterations',
      `an integer >= ${ladders.length} (one screening sweep per candidate copy ladder)`,
      opts.maxEvaluations,
    );
  const step = opts.step ?? 0.1;
  const starts = opts.starts ?? 4;
  const halfWidth = opts.halfWidth ?? 0.15;
  const toX = (p: CopySweepParams) => FREE_PARAMS.map((fp) => Math.log(clamp(fp.get(p), fp.lo, fp.hi)));
  const fromX = (x: number[], copies: number[]): CopySweepParams => {
    const p = structuredClone(withLabels);
    p.sweep.copies = copies.slice();
    FREE_PARAMS.forEach((fp, i) => {
      fp.set(p, clamp(Math.exp(x[i] as number), fp.lo, fp.hi));
    });
    return p;
  };
  let best = Number.POSITIVE_INFINITY;
  let count = 0;
  const x0 = toX(withLabels);
  const lhs = latinHypercube(starts, x0.length, opts.seed).map((u) =>
    u.map((v, i) => (x0[i] as number) + (2 * v - 1) * halfWidth),
  );
  let iterations = 0;
  const objective = (copies: number[]) => (x: number[]) => {
    const e = evaluateSeeds(sweeps(fromX(x, copies)), fitTable);
    count++;
    if (e.score < best) best = e.score;
    opts.onProgress?.(count, best);
    return e.score;
  };
  // Screening: every ladder at the start point and at the Latin-hypercube starts.
  const results: Array<{ copies: number[]; x: number[]; f: number }> = [];
  for (const [i, copies] of ladders.entries()) {
    const f = objective(copies);
    let bx = x0;
    let bf = f(x0);
    // Keep one evaluation for the start point of every ladder still to screen.
    const reserve = ladders.length - 1 - i;
    for (const x of lhs) {
      if (count >= opts.maxEvaluations - reserve) break;
      const v = f(x);
      if (v < bf) {
        bf = v;
        bx = x;
      }
    }
    results.push({ copies, x: bx, f: bf });
  }
  results.sort((a, b) => a.f - b.f);
  const screening = results.map((r) => ({ copies: r.copies, score: r.f }));
  // Local search on the best ladder: Nelder-Mead, restarted from its optimum (half the step
  // when a restart found nothing better) while the budget lasts.
  const top = results[0] as { copies: number[]; x: number[]; f: number };
  const f = objective(top.copies);
  let s = step;
  while (opts.maxEvaluations - count > x0.length + 1 && s >= 0.01) {
    const r = nelderMead(f, top.x, { step: s, maxEvaluations: opts.maxEvaluations - count });
    iterations += r.iterations;
    if (r.f < top.f - 1e-9) {
      top.f = r.f;
      top.x = r.x;
    } else {
      s /= 2;
    }
  }
  const params = fromX(top.x, top.copies);
  const finalRuns = sweeps(params);
  const evaluation = evaluateSeeds(finalRuns, fitTable);
  const heldOut = heldTable.points.length > 0 ? evaluateSeeds(finalRuns, heldTable).residuals : [];
  const fitted: Record<string, number> = Object.fromEntries(
    FREE_PARAMS.map((fp) => [fp.path, fp.get(params)]),
  );
  return {
    params,
    fitted,
    evaluation,
    evaluations: count,
    iterations,
    ladders: screening,
    ladder: top.copies,
    seeds,
    holdout,
    heldOut,
    findings: findingsAcross(finalRuns),
    optimizer: {
      method:
        'screening of every candidate ladder at the start point and a Latin hypercube of starts around it (log space), then Nelder-Mead in log-parameter space (bounds clamped) from the best, restarted from its optimum (half the step after a restart that found nothing better)',
      objective:
        '0.25 x RMS relative error + 2 x mean excess beyond +-4% (each capped at 10 points) over P50/P90/P99 of the rows not held out, plus qualitative penalties (0.2 per unit of shortfall) on all five configurations; mean over the seeds',
      seeds,
      holdout,
      ladderScreening: screening,
      // Not under params: a preset also serves cold-pull, which has no sweep. sweep.copies's
      // default (sim/models/copy-sweep/params.ts) is the ladder acr-copies-2026 chose.
      ladder: top.copies,
      // The start point (the preset, copy-sweep's default one unless --preset, and --set values).
      start: Object.fromEntries(FREE_PARAMS.map((fp) => [fp.path, fp.get(withLabels)])),
      starts,
      halfWidthLog: halfWidth,
      initialStep: step,
    },
  };
}

/** n points in [0,1)^d, one per stratum in every dimension (seeded shuffles). */
function latinHypercube(n: number, d: number, seed: number): number[][] {
  const rng = createRng(seed).fork(0x1a7);
  const cols = Array.from({ length: d }, (_, j) =>
    rng.fork(j).shuffle(Array.from({ length: n }, (_, i) => (i + rng.next()) / n)),
  );
  return Array.from({ length: n }, (_, i) => cols.map((c) => c[i] as number));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
