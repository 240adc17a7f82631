/**
 * `stampede sim calibrate --target <run dir>`: the fit on a measured lab sweep
 * (sim/experiments/lab-calibrate.ts). Prints the residual of every figure (held-out points
 * apart) and writes the preset beside the run (<run>/sim-preset.json), or under
 * sim/experiments/presets/copy-sweep/NAME.json with --write-preset NAME. The preset is what
 * `stampede sim copy-sweep --preset <it> --set sweep.copies=... --set workload.nodes=...`
 * predicts other copy counts and fleet sizes with.
 *
 * With `--preset <fit>` nothing is fitted: the preset's fitted lab values predict every point
 * of the target sweep (another sweep of the same lab: other VUs, other images), each with
 * its own recorded physics and placement, and the errors are printed.
 */
import { join } from 'node:path';
import {
  calibrateLab,
  fittedLabValues,
  labParams,
  predictLab,
  readLabSweep,
} from '../../../sim/experiments/lab-calibrate';
import { checkedInJson, loadPreset, presetDir, writePreset } from '../../../sim/experiments/presets';
import { withParam } from '../../../sim/experiments/sweep';
import { copySweepSchema } from '../../../sim/models/copy-sweep/params';
import { LAB_FREE_PARAMS } from '../../../sim/models/lab-pull/params';
import { resolve as resolveParams } from '../../config/schema';
import { InputError } from '../../errors';
import { writeFileAtomic } from '../../results/run-dir';
import { type Ctx, flagInt, flagList, flagString } from '../command';
import { progress } from '../progress';

const row = (r: {
  label: string;
  figure: string;
  measuredS: number;
  simulatedS: number;
  relativeError: number;
}) =>
  `${r.label.padEnd(12)}  ${r.figure.padEnd(4)}  ${r.measuredS.toFixed(2).padStart(8)}  ${r.simulatedS.toFixed(2).padStart(9)}  ${(100 * r.relativeError).toFixed(1).padStart(6)}%`;
const HEADER = 'point         fig   measured  simulated   error';
const throttleLine = (t: { label: string; measured: number; simulated: number }) =>
  `503s ${t.label}: measured ${t.measured}, simulated ${t.simulated.toFixed(1)}`;

const seedList = (ctx: Ctx, seed: number) => {
  const seedCount = flagInt(ctx, 'seeds', 4);
  if (seedCount < 1) throw new InputError('--seeds', 'an integer >= 1', seedCount);
  return Array.from({ length: seedCount }, (_, i) => seed + i);
};

export async function runLabCalibrate(ctx: Ctx, target: string, seed: number): Promise<number> {
  if (ctx.flags.cv === true) throw new InputError('--cv', 'not with a lab sweep target', true);
  const sweep = readLabSweep(target);
  const presetName = flagString(ctx, 'preset');
  if (presetName !== undefined) return predictWithPreset(ctx, sweep, presetName, seedList(ctx, seed));
  const iterations = flagInt(ctx, 'iterations', 150);
  if (iterations < 2 * (LAB_FREE_PARAMS.length + 1))
    throw new InputError(
      '--iterations',
      `at least ${2 * (LAB_FREE_PARAMS.length + 1)} (two simplices)`,
      iterations,
    );
  const seeds = seedList(ctx, seed);
  const seedCount = seeds.length;
  const labels = sweep.points.map((p) => p.label);
  const holdout = (flagString(ctx, 'holdout') ?? '')
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const l of holdout)
    if (!labels.includes(l))
      throw new InputError('--holdout', `labels of the sweep's points (${labels.join(', ')})`, l);
  const recorded = labParams(sweep);
  // --set lands on top of what the run recorded (e.g. a start value of a free parameter).
  const start = resolveParams(
    copySweepSchema,
    [{ source: 'the lab sweep', tree: recorded }],
    flagList(ctx, 'set'),
  );
  const bar = progress(ctx.io, 'calibrate (lab)');
  const started = Date.now();
  const fit = calibrateLab(sweep, start as typeof recorded, {
    seeds,
    holdout,
    maxEvaluations: iterations,
    onProgress: (n, best) => bar.update(n, iterations, `best score ${best.toFixed(4)}`),
  });
  bar.done(`${fit.evaluations} evaluations, score ${fit.score.toFixed(4)}`);
  const lines = [HEADER, ...fit.residuals.map(row)];
  lines.push(`rms ${(100 * fit.rms).toFixed(2)}% (seeds ${seeds.join(', ')}; simulated = mean over seeds)`);
  if (fit.heldOut.length > 0)
    lines.push(`held out (predicted, not fitted): ${holdout.join(', ')}`, ...fit.heldOut.map(row));
  lines.push(...fit.throttles.map(throttleLine));
  for (const m of fit.mechanisms)
    lines.push(
      `rate ${m.mechanism}: score ${m.score.toFixed(4)}, rms ${(100 * m.rms).toFixed(2)}%, ${Object.entries(
        m.fitted,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}${m.mechanism === fit.mechanism ? ' (kept)' : ''}`,
    );
  lines.push('fitted:', ...Object.entries(fit.fitted).map(([k, v]) => `  ${k} = ${v}`));
  ctx.io.out(lines.join('\n'));
  const name = flagString(ctx, 'write-preset');
  const setFlags = flagList(ctx, 'set')
    .map((s) => ` --set ${s}`)
    .join('');
  const preset = {
    name: name ?? 'lab-sweep',
    description: `The lab's physics recorded by ${sweep.dir}, three free parameters fitted to its pull quantiles`,
    command: `stampede sim calibrate --target ${target}${setFlags} --seed ${seed} --seeds ${seedCount}${holdout.length ? ` --holdout ${holdout.join(',')}` : ''} --iterations ${iterations}${name ? ` --write-preset ${name}` : ''}`,
    source: sweep.dir,
    params: {
      workload: start.workload,
      storage: { backends: start.storage.backends, ceilingBps: start.storage.ceilingBps },
      client: { maxConcurrentDownloads: start.client.maxConcurrentDownloads },
      sweep: start.sweep,
      lab: {
        ...start.lab,
        ...Object.fromEntries(Object.entries(fit.fitted).map(([k, v]) => [k.slice(4), v])),
      },
    },
    fit: {
      score: fit.score,
      rmsRelativeError: fit.rms,
      residuals: fit.residuals,
      ...(holdout.length > 0 && { holdout, heldOut: fit.heldOut }),
      throttles: fit.throttles,
      seeds,
      mechanism: fit.mechanism,
      mechanisms: fit.mechanisms,
      free: fit.free.map((p) => ({ path: p.path, unit: p.unit, bounds: [p.min, p.max] })),
      evaluations: fit.evaluations,
      wallS: Math.round((Date.now() - started) / 1000),
    },
  };
  const file =
    name !== undefined
      ? writePreset(name, preset, presetDir('copy-sweep'))
      : (() => {
          const f = join(sweep.dir, 'sim-preset.json');
          writeFileAtomic(f, `${checkedInJson(preset)}\n`);
          return f;
        })();
  ctx.io.out(`preset: ${file}`);
  ctx.io.out(
    `predict: stampede sim copy-sweep --preset ${file} --set sweep.copies=${start.sweep.copies.join(',')} --set workload.nodes=${start.workload.nodes}`,
  );
  return 0;
}

/** `--preset <fit>` with a lab sweep target: the fit's prediction of every point, nothing fitted. */
function predictWithPreset(
  ctx: Ctx,
  sweep: ReturnType<typeof readLabSweep>,
  name: string,
  seeds: number[],
): number {
  if (flagString(ctx, 'holdout') !== undefined)
    throw new InputError(
      '--holdout',
      'unset with --preset (every point is predicted)',
      flagString(ctx, 'holdout'),
    );
  if (flagString(ctx, 'write-preset') !== undefined)
    throw new InputError(
      '--write-preset',
      'unset with --preset (nothing is fitted)',
      flagString(ctx, 'write-preset'),
    );
  const fitted = fittedLabValues(loadPreset(name, 'copy-sweep'));
  if (Object.keys(fitted).length === 0)
    throw new InputError(
      '--preset',
      'a preset with fitted lab values (written by sim calibrate --target <lab sweep>)',
      name,
    );
  const recorded = Object.entries(fitted).reduce((p, [k, v]) => withParam(p, k, v), labParams(sweep));
  const params = resolveParams(
    copySweepSchema,
    [{ source: 'the lab sweep and the preset', tree: recorded }],
    flagList(ctx, 'set'),
  );
  const out = predictLab(sweep, params as typeof recorded, seeds);
  const placed = sweep.points.filter((p) => p.ranking).length;
  ctx.io.out(
    [
      `predicted with ${name} (${Object.entries(fitted)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}; not fitted to this sweep; seeds ${seeds.join(', ')}; ${placed} of ${sweep.points.length} points with their recorded placement)`,
      HEADER,
      ...out.heldOut.map(row),
      ...out.throttles.map(throttleLine),
    ].join('\n'),
  );
  return 0;
}
