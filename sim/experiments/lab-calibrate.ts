/**
 * Calibration on a measured lab sweep (`stampede run copy-sweep --target lab`): the
 * simulator in the lab's own physics (sim/models/lab-pull), with everything the run recorded
 * (backends, ceiling, per-stream rate, throttling floor, retry policy, image, parallelism)
 * taken as given, and only LAB_FREE_PARAMS fitted: the pull's fixed start (s), the
 * VUs' start spread (s) and what one connection delivers on this machine (B/s).
 *
 * Objective: the RMS relative error of every fitted point's pull P50/P90/P99 (the simulated
 * figure the mean over `seeds`), + 0.5 per point whose throttling disagrees (503s measured, none simulated or
 * the other way round). Nelder-Mead over the logarithm of each parameter, clamped to its
 * bounds. Held-out points (`holdout`, by label) are simulated and reported, never fitted.
 *
 * Placement: each measured point seeded a fresh image, and where its layers' copies lived
 * follows from their digests (the lab's rendezvous hash, lib/lab/storage/placement.ts), so
 * each point is simulated with its own layers' placement (read from the point's run
 * directory), the seeds varying only starts and copy choices. A sweep whose point
 * directories are gone falls back to a random placement per seed.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { defaults } from '../../lib/config/schema';
import { InputError } from '../../lib/errors';
import { rendezvous } from '../../lib/lab/storage/placement';
import { backendId } from '../../lib/lab/topology';
import type { Envelope, Metrics, Point } from '../../lib/results/envelope';
import { readSummary } from '../../lib/results/run-dir';
import { type CopySweepParams, copySweepSchema } from '../models/copy-sweep/params';
import {
  LAB_FREE_PARAMS,
  LAB_RATE_PARAMS,
  type LabRateMechanism,
  labFreeParams,
} from '../models/lab-pull/params';
import { type LayerRanking, runLabPull } from '../models/lab-pull/storm';
import { nelderMead } from './nelder-mead';
import { withParam } from './sweep';

const MiB = 2 ** 20;
const FIGURES = ['p50', 'p90', 'p99'] as const;

/** What `stampede run copy-sweep --target lab` recorded about the lab (lib/k6/copy-sweep/run-sweep.ts). */
interface RecordedLab {
  backends: number;
  /** The region the VUs pulled from: its backends are `<region>-b<i>`, i < backends. */
  clientRegion?: string;
  ceilingBps: number;
  minStreamBps: number;
  streamBps: number;
  retry: { retryAfterS: number; maxRetries: number };
  parallelLayers: number;
  layers: number[];
}

export interface LabSweep {
  dir: string;
  envelope: Envelope;
  lab: RecordedLab;
  points: Array<{
    label: string;
    copies: number;
    nodes: number;
    pullS: { p50: number; p90: number; p99: number };
    throttles: number;
    /** The point's layers' placement, from its seeded digests (absent: drawn per seed). */
    ranking?: LayerRanking;
  }>;
}

/** Whether `--target` names a run directory (a lab sweep) rather than a table file. */
export function isRunDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const NOT_A_SWEEP = 'a run directory of `stampede run copy-sweep --target lab` (its summary.json)';

export function readLabSweep(dir: string): LabSweep {
  let envelope: Envelope;
  try {
    envelope = readSummary(dir);
  } catch (e) {
    throw new InputError('--target', NOT_A_SWEEP, `${dir} (${(e as Error).message})`);
  }
  const lab = envelope.params.lab as RecordedLab | undefined;
  if (envelope.kind !== 'k6' || envelope.name !== 'copy-sweep' || !lab)
    throw new InputError('--target', NOT_A_SWEEP, `${dir} (a ${envelope.kind} run of ${envelope.name})`);
  const points = envelope.points.map((p: Point, i) => {
    const copies = Number(p.params['storage.copies']);
    const nodes = Number(p.params['workload.nodes']);
    const q = p.metrics.pullS;
    if (copies > lab.backends)
      throw new InputError(
        `--target: points[${i}].storage.copies`,
        `at most the lab's backends (${lab.backends})`,
        copies,
      );
    if (!Number.isInteger(copies) || !Number.isInteger(nodes) || !q)
      throw new InputError(`--target: points[${i}]`, 'storage.copies, workload.nodes and pullS', p.label);
    const ranking = pointRanking(dir, i, lab);
    return {
      label: p.label,
      copies,
      nodes,
      pullS: q,
      throttles: p.metrics.throttleEvents ?? 0,
      ...(ranking && { ranking }),
    };
  });
  if (points.length === 0) throw new InputError('--target: points', 'a sweep with measured points', 0);
  return { dir: resolvePath(dir), envelope, lab, points };
}

/**
 * Point i's layers in the lab's rendezvous order over the client region's active backends,
 * from the digests its run seeded (<dir>/points/NN-<label>/summary.json, params.target.seeded).
 * Undefined when the directory, the digests or the region are missing, or the layer count
 * differs from the recorded image's.
 */
function pointRanking(dir: string, i: number, lab: RecordedLab): LayerRanking | undefined {
  if (!lab.clientRegion) return undefined;
  const prefix = `${String(i + 1).padStart(2, '0')}-`;
  let name: string | undefined;
  try {
    name = readdirSync(join(dir, 'points')).find((n) => n.startsWith(prefix));
  } catch {
    return undefined;
  }
  if (!name) return undefined;
  let layers: Array<{ digest?: unknown }> | undefined;
  try {
    const target = readSummary(join(dir, 'points', name)).params.target as
      | { seeded?: { layers?: Array<{ digest?: unknown }> } }
      | undefined;
    layers = target?.seeded?.layers;
  } catch {
    return undefined;
  }
  if (!layers || layers.length !== lab.layers.length) return undefined;
  const ids = Array.from({ length: lab.backends }, (_, b) => ({
    id: backendId(lab.clientRegion as string, b),
    b,
  }));
  if (!layers.every((l) => typeof l.digest === 'string')) return undefined;
  return layers.map((l) => rendezvous(l.digest as string, ids, ids.length).map((x) => x.b));
}

/** copy-sweep's parameters in the lab's physics, from what the run recorded; `sets` on top are the caller's. */
export function labParams(sweep: LabSweep): CopySweepParams {
  const d = defaults(copySweepSchema) as CopySweepParams;
  const l = sweep.lab;
  return {
    ...d,
    workload: {
      ...d.workload,
      nodes: sweep.points[0]?.nodes ?? d.workload.nodes,
      layerSizesMiB: l.layers.map((b) => b / MiB),
    },
    storage: { ...d.storage, backends: l.backends, ceilingBps: l.ceilingBps },
    client: { ...d.client, maxConcurrentDownloads: l.parallelLayers },
    sweep: { ...d.sweep, copies: [...new Set(sweep.points.map((p) => p.copies))] },
    lab: {
      ...d.lab,
      enabled: true,
      minStreamBps: l.minStreamBps,
      streamBps: l.streamBps,
      retryAfterS: l.retry.retryAfterS,
      maxRetries: l.retry.maxRetries,
    },
  };
}

export interface LabResidual {
  label: string;
  figure: (typeof FIGURES)[number];
  measuredS: number;
  simulatedS: number;
  relativeError: number;
}

export interface LabFit {
  fitted: Record<string, number>;
  score: number;
  rms: number;
  residuals: LabResidual[];
  heldOut: LabResidual[];
  throttles: Array<{ label: string; measured: number; simulated: number }>;
  evaluations: number;
  /** The rate fitted (LAB_RATE_PARAMS): the mechanism with the lower score on the fitted points. */
  mechanism: LabRateMechanism;
  free: ReadonlyArray<{ path: string; unit: string; min: number; max: number }>;
  /** Both mechanisms' fits, chosen one included: score, in-sample RMS, fitted values. */
  mechanisms: Array<{
    mechanism: LabRateMechanism;
    score: number;
    rms: number;
    fitted: Record<string, number>;
  }>;
}

/** Simulated metrics of one measured point (copies, VUs), averaged over seeds. */
export function simulatePoint(
  base: CopySweepParams,
  copies: number,
  nodes: number,
  seeds: readonly number[],
  ranking?: LayerRanking,
): Metrics[] {
  const p = withParam(withParam(base, 'storage.copies', copies), 'workload.nodes', nodes);
  return seeds.map((s) => runLabPull(p, s, ranking).metrics);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function compare(
  sweep: LabSweep,
  base: CopySweepParams,
  seeds: readonly number[],
  holdout: readonly string[],
  withHeldOut = true,
) {
  const residuals: LabResidual[] = [];
  const heldOut: LabResidual[] = [];
  const throttles: LabFit['throttles'] = [];
  let mismatch = 0;
  for (const pt of sweep.points) {
    // While fitting, held-out points cost time and change nothing.
    if (!withHeldOut && holdout.includes(pt.label)) continue;
    const runs = simulatePoint(base, pt.copies, pt.nodes, seeds, pt.ranking);
    const held = holdout.includes(pt.label);
    for (const f of FIGURES) {
      const simulatedS = mean(runs.map((m) => m.pullS?.[f] ?? Number.POSITIVE_INFINITY));
      const r = {
        label: pt.label,
        figure: f,
        measuredS: pt.pullS[f],
        simulatedS,
        relativeError: simulatedS / pt.pullS[f] - 1,
      };
      (held ? heldOut : residuals).push(r);
    }
    const simulated = mean(runs.map((m) => m.throttleEvents ?? 0));
    throttles.push({ label: pt.label, measured: pt.throttles, simulated });
    if (!held && pt.throttles > 0 !== simulated > 0) mismatch++;
  }
  const rms = Math.sqrt(mean(residuals.map((r) => Math.min(r.relativeError, 10) ** 2)));
  return { residuals, heldOut, throttles, rms, score: rms + 0.5 * mismatch };
}

/**
 * A fitted preset's prediction of a measured sweep it never saw: every point simulated (with
 * its own placement) and compared, nothing fitted (`sim calibrate --target <run> --preset <fit>`).
 */
export function predictLab(
  sweep: LabSweep,
  params: CopySweepParams,
  seeds: readonly number[],
): Pick<LabFit, 'heldOut' | 'throttles'> {
  const { heldOut, throttles } = compare(
    sweep,
    params,
    seeds,
    sweep.points.map((p) => p.label),
  );
  return { heldOut, throttles };
}

/** The fitted lab values a preset carries (both mechanisms' free parameters it has), as paths. */
export function fittedLabValues(preset: { params: Record<string, unknown> }): Record<string, number> {
  const lab = (preset.params.lab ?? {}) as Record<string, unknown>;
  const paths = new Set(
    (Object.keys(LAB_RATE_PARAMS) as LabRateMechanism[]).flatMap((m) => labFreeParams(m).map((f) => f.path)),
  );
  return Object.fromEntries(
    [...paths].flatMap((path) => {
      const v = lab[path.slice('lab.'.length)];
      return typeof v === 'number' ? [[path, v]] : [];
    }),
  );
}

export function calibrateLab(
  sweep: LabSweep,
  start: CopySweepParams,
  o: {
    seeds: readonly number[];
    maxEvaluations: number;
    holdout: readonly string[];
    onProgress?(n: number, best: number): void;
  },
): LabFit {
  const fitted = sweep.points.filter((p) => !o.holdout.includes(p.label));
  if (fitted.length < LAB_FREE_PARAMS.length)
    throw new InputError(
      '--target: points',
      `at least ${LAB_FREE_PARAMS.length} fitted points (one per free parameter: ${LAB_FREE_PARAMS.map((p) => p.path).join(', ')})`,
      `${fitted.length} (${fitted.map((p) => p.label).join(', ') || 'none'})`,
    );
  // Each rate mechanism gets its own fit of three parameters (maxEvaluations each); the
  // one with the lower score on the fitted points is kept. Held-out points play no part.
  let evals = 0;
  let best = Number.POSITIVE_INFINITY;
  const fits = (Object.keys(LAB_RATE_PARAMS) as LabRateMechanism[]).map((m) =>
    fitMechanism(sweep, start, m, o, (s) => {
      evals++;
      best = Math.min(best, s);
      o.onProgress?.(evals, best);
    }),
  );
  const chosen = fits.reduce((a, b) => (b.score < a.score ? b : a));
  return {
    ...chosen,
    evaluations: evals,
    mechanisms: fits.map((f) => ({ mechanism: f.mechanism, score: f.score, rms: f.rms, fitted: f.fitted })),
  };
}

function fitMechanism(
  sweep: LabSweep,
  start: CopySweepParams,
  mechanism: LabRateMechanism,
  o: { seeds: readonly number[]; maxEvaluations: number; holdout: readonly string[] },
  onEvaluation: (score: number) => void,
): Omit<LabFit, 'mechanisms'> {
  const free = labFreeParams(mechanism);
  const at = (x: number[]) =>
    free.reduce(
      (p, fp, i) => withParam(p, fp.path, Math.min(fp.max, Math.max(fp.min, Math.exp(x[i] as number)))),
      start,
    );
  const x0 = free.map((fp) => {
    const [g, k] = fp.path.split('.') as [keyof CopySweepParams, string];
    return Math.log((start[g] as unknown as Record<string, number>)[k] as number);
  });
  let evals = 0;
  const objective = (x: number[]) => {
    const s = compare(sweep, at(x), o.seeds, o.holdout, false).score;
    evals++;
    onEvaluation(s);
    return s;
  };
  // Screening first: above what the pool can deliver (a shared total over the summed
  // ceilings, a per-stream rate over the recorded lab.streamBps) the rate changes nothing,
  // and a simplex started on that plateau stops there. A log grid below it, at three start
  // times (the lab's start on a loaded box ran from ~1 s to ~20 s), picks the basin;
  // Nelder-Mead refines from the best.
  const rate = free[2];
  const [lo, hi] =
    mechanism === 'stream'
      ? [
          Math.log(rate.min * 10),
          Math.log(start.lab.streamBps > 0 ? Math.min(rate.max, start.lab.streamBps) : 1e7),
        ]
      : [Math.log(rate.min), Math.log(Math.min(rate.max, 1e10))];
  const screen: number[][] = [];
  for (let i = 0; i < 8; i++)
    for (const st of [0.5, 4, 16]) screen.push([Math.log(st), Math.log(1), lo + ((i + 0.5) * (hi - lo)) / 8]);
  let start0 = x0;
  let bestScreen = Number.POSITIVE_INFINITY;
  for (const x of screen.slice(0, Math.max(0, o.maxEvaluations - 2 * (x0.length + 1)))) {
    const f = objective(x);
    if (f < bestScreen) [bestScreen, start0] = [f, x];
  }
  const left = o.maxEvaluations - evals;
  const half = Math.floor(left / 2);
  let r = nelderMead(objective, start0, { step: 0.5, maxEvaluations: Math.max(x0.length + 1, half) });
  // Restarted from its optimum with a smaller simplex: a flat, seeded objective stalls one.
  r = nelderMead(objective, r.x, {
    step: 0.15,
    maxEvaluations: Math.max(x0.length + 1, o.maxEvaluations - evals),
  });
  const params = at(r.x);
  const out = compare(sweep, params, o.seeds, o.holdout);
  return {
    fitted: Object.fromEntries(
      free.map((fp) => {
        const [g, k] = fp.path.split('.') as [keyof CopySweepParams, string];
        return [
          fp.path,
          Number(((params[g] as unknown as Record<string, number>)[k] as number).toPrecision(4)),
        ];
      }),
    ),
    score: out.score,
    rms: out.rms,
    residuals: out.residuals,
    heldOut: out.heldOut,
    throttles: out.throttles,
    evaluations: evals,
    mechanism,
    free,
  };
}
