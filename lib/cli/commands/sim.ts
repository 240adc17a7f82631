/**
 * `stampede sim <model>` runs a registered simulator model (sim/experiments/registry.ts) and
 * writes its envelope, raw records and report; `stampede sim calibrate` fits copy-sweep's
 * free parameters to a table of measured percentiles and writes a preset. The subcommands,
 * their help, validation, table and charts all come from the model registry, read when the
 * command runs. Parameters are validated once, here.
 */
import { readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { cvCharts } from '../../../reports/charts/cv-heldout-error';
import { writeReport } from '../../../reports/index';
import {
  type CalibrationResult,
  calibrate,
  FINDINGS,
  FREE_PARAMS,
  LADDERS,
  SOURCED_PARAMS,
} from '../../../sim/experiments/calibrate';
import { crossValidate, cvEnvelope, cvTable } from '../../../sim/experiments/cv';
import { isRunDir } from '../../../sim/experiments/lab-calibrate';
import type { GivenParams, ModelDef } from '../../../sim/experiments/model';
import { listPresets, loadPreset, NO_PRESET, presetDir, writePreset } from '../../../sim/experiments/presets';
import { listModels, modelCharts } from '../../../sim/experiments/registry';
import { simulate, simulateJobs } from '../../../sim/experiments/simulate';
import { parseJobs } from '../../../sim/experiments/sweep-jobs';
import { PUBLISHED_TABLE, readTargetTable, type TargetTable } from '../../../sim/experiments/target-table';
import { copySweepModel } from '../../../sim/models/copy-sweep/plugin';
import { helpRows, resolve, type Schema } from '../../config/schema';
import { InputError } from '../../errors';
import type { Envelope } from '../../results/envelope';
import { ndjsonWriter } from '../../results/ndjson';
import {
  checkOutFile,
  outDirClaim,
  RAW,
  RunOutputs,
  writeJsonAtomic,
  writeSummary,
} from '../../results/run-dir';
import { type Command, type Ctx, defineCommand, flagInt, flagList, flagString } from '../command';
import { progress } from '../progress';
import { runLabCalibrate } from './sim-lab-calibrate';

const paramFlags = {
  preset: {
    type: 'string',
    hint: 'NAME',
    description: `start from a named preset (see the list below; "${NO_PRESET}" = schema defaults only)`,
  },
  set: {
    type: 'string',
    multiple: true,
    hint: 'path=value',
    description: 'override one parameter (e.g. workload.nodes=5000)',
  },
  params: { type: 'string', hint: 'FILE', description: 'a JSON parameter tree applied over the preset' },
  seed: { type: 'string', hint: 'N', description: 'random seed, an integer 0..4294967295 (default 1)' },
} as const;

export function parseSeed(ctx: Ctx): number {
  const raw = flagString(ctx, 'seed');
  if (raw === undefined) return 1;
  if (!/^\d+$/.test(raw) || Number(raw) > 0xffffffff)
    throw new InputError('--seed', 'an integer 0..4294967295', raw);
  return Number(raw);
}

type Layer = GivenParams['layers'][number];

/** Whose preset folder a model reads. */
const presetOwner = (def: ModelDef) => def.presetModel ?? def.name;

/** The preset a run uses: --preset, else the model's default; none for `--preset none`. */
function presetFor(ctx: Ctx, def: ModelDef): string | undefined {
  const name = flagString(ctx, 'preset') ?? def.defaultPreset;
  return name === NO_PRESET ? undefined : name;
}

/** The layers over the schema defaults, in order: the preset, then a --params file. */
function layersFor(ctx: Ctx, def: ModelDef): Layer[] {
  const layers: Layer[] = [];
  const name = presetFor(ctx, def);
  if (name !== undefined)
    layers.push({ source: `preset ${name}`, tree: loadPreset(name, presetOwner(def)).params });
  const file = flagString(ctx, 'params');
  if (file !== undefined) layers.push({ source: file, tree: readJson(file, '--params') });
  return layers;
}

function readJson(file: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(
      flag,
      'a readable file',
      `${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(flag, 'a JSON file', `${file}: ${(e as Error).message}`);
  }
}

/** The presets line of a model's help: which exist and which one a plain run applies. */
function presetsHelp(def: ModelDef, defaultsWhere = ' below'): string {
  const names = listPresets(presetOwner(def));
  const applied = def.defaultPreset
    ? `\nApplied when --preset is not given: ${def.defaultPreset} (--preset ${NO_PRESET} runs on the schema defaults${defaultsWhere}).`
    : '';
  return `Presets: ${names.join(', ') || '(none)'}${applied}`;
}

const JOBS_HELP = `--jobs N runs the points of the model's sweep (e.g. copy-sweep's sweep.copies) on N threads:
this one and N-1 workers, each taking the next point as it finishes one. The envelope and
raw.ndjson are byte-identical to a serial run (runtime aside: wallMs, events counted in
threads, jobs); raw records are written when the sweep ends. One point is never split, so
N above the point count adds nothing; a model without a sweep runs serially.`;

export function modelCommand(def: ModelDef): Command {
  const name = def.name;
  return defineCommand({
    name,
    summary: def.summary,
    usage: `stampede sim ${name} [--preset NAME] [--set path=value]... [--seed N] [--jobs N] [--json FILE] [--out DIR]`,
    help: `${def.help.trim()}

${presetsHelp(def)}
${JOBS_HELP}

Parameters (path = default; --set path=value to change):
${helpRows(def.schema as Schema).join('\n')}`,
    flags: {
      ...paramFlags,
      jobs: {
        type: 'string',
        hint: 'N',
        description:
          "run the sweep's points on N threads (default 1); results identical to a serial run, runtime aside",
      },
      json: { type: 'string', hint: 'FILE', description: 'also write the result envelope to FILE' },
      out: {
        type: 'string',
        hint: 'DIR',
        description: 'run directory for summary.json, raw.ndjson, report.html (default runs/<model>-<time>)',
      },
    },
    async run(ctx) {
      const layers = layersFor(ctx, def);
      const sets = flagList(ctx, 'set');
      const params = resolve(def.schema as Schema, layers, sets);
      const seed = parseSeed(ctx);
      def.validate?.(params, { layers, sets });
      const jobs = parseJobs(flagString(ctx, 'jobs'));
      // Output paths are checked before the run: a bad one found afterwards loses the run.
      const claimOutDir = outDirClaim(name, flagString(ctx, 'out'));
      const jsonFlag = flagString(ctx, 'json');
      const jsonOut = jsonFlag === undefined ? undefined : checkOutFile('--json', jsonFlag);
      // Everything is validated by now: a directory is made only for a run that starts.
      const dir = claimOutDir();
      const raw = ndjsonWriter(join(dir, RAW));
      const bar = progress(ctx.io, `sim ${name}`);
      let env: Envelope;
      try {
        const io = {
          raw: (records: readonly unknown[]) => raw.writeMany(records),
          progress: (done: number, total: number, label: string) => bar.update(done, total, label),
        };
        env = jobs > 1 ? await simulateJobs(def, params, seed, io, jobs) : simulate(def, params, seed, io);
      } finally {
        raw.close();
      }
      bar.done();
      const preset = presetFor(ctx, def);
      if (preset !== undefined) env.runtime.preset = preset;
      // A failed write (a full disk) costs that file only: the others and the result still come out.
      const outputs = new RunOutputs();
      outputs.add(raw.failure);
      outputs.attempt(() => writeSummary(dir, env));
      if (jsonOut !== undefined) outputs.attempt(() => writeJsonAtomic(jsonOut, env));
      ctx.io.out(def.table(env).join('\n'));
      const report = await outputs.attemptAsync(() => writeReport([dir], undefined, { charts: modelCharts }));
      ctx.io.out(`run: ${dir}${report ? `\nreport: ${report}` : ''}`);
      return outputs.report((l) => ctx.io.err(l)) ? 1 : 0;
    },
  });
}

const calibrateCommand = defineCommand({
  name: 'calibrate',
  summary: "fit the model's free physical parameters to a table of pod-startup percentiles",
  usage:
    'stampede sim calibrate [--target FILE] [--model copy-sweep] [--write-preset NAME] [--iterations N] [--seeds N] [--holdout LABEL[,LABEL]] [--cv [--out DIR]]',
  help: `Runs the copy sweep repeatedly (the same seeds each time: common random numbers). Screens the
candidate copy-count ladders, then moves the free parameters with Nelder-Mead in log space
to pull every P50/P90/P99 figure of the table within +-4% (plus a small RMS term), with
penalties for the post's qualitative findings (sim/models/README.md has the exact objective).
Prints progress, the copy ladder it chose and the residual per figure. A fit writes no run
directory: --write-preset keeps it, writing the fitted parameters, residuals, optimizer
settings and the target's source to sim/experiments/presets/copy-sweep/NAME.json (a name
already there is overwritten: pick a new one unless you mean to refit it). Without --preset
the fit starts from copy-sweep's default preset. --iterations must cover one
screening sweep per candidate ladder (${LADDERS.length} for a 5-point table).

--seeds N averages the objective over seeds seed..seed+N-1 (default 4), so a fit is not tuned
to one placement; --seeds 1 is the single-seed objective. Each evaluation runs N sweeps.
--holdout LABEL[,LABEL] fits without those rows (their P50/P90/P99 leave the objective; the
qualitative penalties read simulated metrics only and stay on every configuration) and
reports the held-out rows' errors separately, in the console and the preset.
--cv runs leave-one-configuration-out cross-validation: one fit per row, each from the same
start with that row held out, then a table of held-out errors per row and figure and which
of the post's findings still hold (${FINDINGS.join('; ')}). It writes a run directory
(summary.json of kind sim, name calibrate-cv, one point per held-out row, and report.html).
It is slow: rows x --iterations x --seeds sweeps.

A measured lab sweep as --target (the run directory of \`stampede run copy-sweep --target lab\`)
is fitted in the lab's own physics instead: its recorded backends, ceiling, stream floor and
retry policy taken as given, each point simulated with its own layers' placement (from the
digests it seeded), and three parameters fitted (lab.startS, lab.startSpreadS and one rate,
per stream or shared, whichever fits the fitted points better); the preset goes beside the
run. With --preset <that preset> and another sweep of the same lab as --target, nothing is
fitted: every point is predicted and its error printed.

Free parameters: ${FREE_PARAMS.map((p) => p.path).join(', ')}
Set from a source, never fitted: ${SOURCED_PARAMS.map((p) => `${p.path} = ${p.value}`).join(', ')}
Target format: {"source": "...", "points": [{"label": "Baseline", "podStartupS": {"p50": s, "p90": s, "p99": s}}, ...]}
Default target: ${PUBLISHED_TABLE}
${presetsHelp(copySweepModel, '')}

  stampede sim calibrate --iterations 200 --write-preset my-fit
  stampede sim calibrate --holdout Low --iterations 100
  stampede sim calibrate --cv --iterations 60 --seeds 2
  stampede sim calibrate --target my-sweep.json --preset acr-copies-2026 --write-preset my-cluster
  stampede sim calibrate --target runs/sweep-200 --holdout C=4,C=16
  stampede sim calibrate --target runs/sweep-400 --preset runs/sweep-200/sim-preset.json`,
  flags: {
    ...paramFlags,
    target: { type: 'string', hint: 'FILE', description: 'target table (default: the published ACR table)' },
    model: {
      type: 'string',
      hint: 'NAME',
      description: 'model to fit (only copy-sweep has a table to fit)',
      default: 'copy-sweep',
    },
    'write-preset': { type: 'string', hint: 'NAME', description: 'write the fitted preset under this name' },
    iterations: {
      type: 'string',
      hint: 'N',
      description: 'maximum objective evaluations (each = one full sweep per seed)',
      default: '150',
    },
    seeds: {
      type: 'string',
      hint: 'N',
      description: 'average the objective over seeds seed..seed+N-1',
      default: '4',
    },
    holdout: {
      type: 'string',
      hint: 'LABEL[,LABEL]',
      description: 'fit without these rows of the target table and report their errors',
    },
    cv: { type: 'boolean', description: 'leave-one-configuration-out cross-validation (one fit per row)' },
    out: {
      type: 'string',
      hint: 'DIR',
      description:
        'with --cv: run directory for summary.json and report.html (default runs/calibrate-cv-<time>)',
    },
  },
  async run(ctx) {
    const model = flagString(ctx, 'model') ?? 'copy-sweep';
    if (model !== 'copy-sweep') throw new InputError('--model', '"copy-sweep"', model);
    const target = flagString(ctx, 'target');
    // A run directory is a measured lab sweep: fitted in the lab's own physics.
    if (target !== undefined && isRunDir(target)) return runLabCalibrate(ctx, target, parseSeed(ctx));
    const table = readTargetTable(target === undefined ? PUBLISHED_TABLE : resolvePath(target));
    const iterations = flagInt(ctx, 'iterations', 150);
    if (iterations < 1) throw new InputError('--iterations', 'an integer >= 1', iterations);
    const seed = parseSeed(ctx);
    const seedCount = flagInt(ctx, 'seeds', 4);
    if (seedCount < 1 || seed + seedCount - 1 > 0xffffffff)
      throw new InputError('--seeds', 'an integer >= 1 (with --seed, seeds up to 4294967295)', seedCount);
    const seeds = Array.from({ length: seedCount }, (_, i) => seed + i);
    const holdout = parseHoldout(flagString(ctx, 'holdout'), table);
    const cv = ctx.flags.cv === true;
    const presetName = flagString(ctx, 'write-preset');
    // Checked before the fit, not after it: "none" is --preset's word for no preset.
    if (presetName !== undefined && (!/^[a-z0-9][a-z0-9-]*$/.test(presetName) || presetName === NO_PRESET))
      throw new InputError(
        '--write-preset',
        `a kebab-case name (a-z, 0-9, -), not "${NO_PRESET}"`,
        presetName,
      );
    if (cv) {
      if (holdout.length > 0)
        throw new InputError('--holdout', 'not with --cv (it holds out each row in turn)', holdout.join(','));
      if (presetName !== undefined)
        throw new InputError('--write-preset', 'not with --cv (it fits one preset per row)', presetName);
      if (table.points.length < 2)
        throw new InputError(
          '--cv',
          'a target table of at least 2 rows (one to hold out, one to fit)',
          table.points.length,
        );
    } else if (flagString(ctx, 'out') !== undefined)
      throw new InputError(
        '--out',
        'only with --cv (a plain fit writes a preset, not a run directory)',
        flagString(ctx, 'out'),
      );
    const base = resolve(copySweepModel.schema, layersFor(ctx, copySweepModel), flagList(ctx, 'set'));
    if (cv) return runCv(ctx, base, table, { seed, seeds, iterations });
    const bar = progress(ctx.io, 'calibrate');
    const started = Date.now();
    const result = calibrate(base, table, {
      seed,
      seeds,
      holdout,
      maxEvaluations: iterations,
      onProgress: (n, best) => bar.update(n, iterations, `best score ${best.toFixed(4)}`),
    });
    bar.done(`${result.evaluations} evaluations, score ${result.evaluation.score.toFixed(4)}`);
    const lines = [
      `ladder: ${result.ladder.join(', ')} copies (screened: ${result.ladders.map((l) => `${l.copies.join('/')} ${l.score.toFixed(4)}`).join('; ')})`,
      'label       figure  target  simulated  error',
    ];
    for (const r of result.evaluation.residuals)
      lines.push(
        `${r.label.padEnd(10)}  ${r.figure.padEnd(6)}  ${String(r.targetS).padStart(6)}  ${r.simulatedS.toFixed(0).padStart(9)}  ${(100 * r.relativeError).toFixed(1).padStart(5)}%`,
      );
    lines.push(
      `rms ${(100 * result.evaluation.rms).toFixed(2)}%, max ${(100 * result.evaluation.max).toFixed(2)}%${seeds.length > 1 ? ` (seeds ${seeds.join(', ')}; simulated = mean over seeds)` : ''}`,
    );
    lines.push(...heldOutLines(result));
    for (const [k, v] of Object.entries(result.evaluation.penalties))
      lines.push(`penalty: ${k} (+${v.toFixed(3)})`);
    lines.push('fitted:');
    for (const [k, v] of Object.entries(result.fitted)) lines.push(`  ${k} = ${v}`);
    lines.push(
      'sourced (not fitted):',
      ...SOURCED_PARAMS.map((p) => {
        const [group, key] = p.path.split('.') as [string, string];
        const used = (result.params as unknown as Record<string, Record<string, number>>)[group]?.[key];
        // a --set for another cluster's storage wins over the source: say so
        return `  ${p.path} = ${used}${used === p.value ? `: ${p.source}` : ` (set; the source's value is ${p.value})`}`;
      }),
    );
    ctx.io.out(lines.join('\n'));
    if (presetName !== undefined) {
      const setFlags = flagList(ctx, 'set')
        .map((s) => ` --set ${s}`)
        .join('');
      const file = writePreset(
        presetName,
        {
          name: presetName,
          description: `Free parameters fitted by 'stampede sim calibrate' to ${table.source}`,
          command: `stampede sim calibrate${target === undefined ? '' : ` --target ${target}`}${flagString(ctx, 'preset') ? ` --preset ${flagString(ctx, 'preset')}` : ''}${setFlags} --seed ${seed} --seeds ${seedCount}${holdout.length > 0 ? ` --holdout ${holdout.join(',')}` : ''} --iterations ${iterations} --write-preset ${presetName}`,
          source: table.source,
          target: table.points,
          params: nest(result.fitted),
          fit: {
            score: result.evaluation.score,
            rmsRelativeError: result.evaluation.rms,
            maxRelativeError: result.evaluation.max,
            penalties: result.evaluation.penalties,
            residuals: result.evaluation.residuals,
            seeds,
            ...(holdout.length > 0 && { holdout, heldOut: result.heldOut }),
            findings: result.findings,
          },
          optimizer: {
            ...result.optimizer,
            seed,
            maxEvaluations: iterations,
            evaluations: result.evaluations,
            iterations: result.iterations,
            wallS: Math.round((Date.now() - started) / 1000),
            bounds: Object.fromEntries(FREE_PARAMS.map((p) => [p.path, [p.lo, p.hi]])),
          },
          fixedAssumptions: 'see sim/models/README.md; every parameter not under params keeps its default',
        },
        presetDir(presetOwner(copySweepModel)),
      );
      ctx.io.out(`preset: ${file}`);
    }
    return 0;
  },
});

/** --holdout: comma-separated labels of the target table, not all of them. */
function parseHoldout(raw: string | undefined, table: TargetTable): string[] {
  if (raw === undefined) return [];
  const labels = table.points.map((p) => p.label);
  const held = raw.split(',').map((l) => l.trim());
  for (const l of held)
    if (!labels.includes(l))
      throw new InputError('--holdout', `labels of the target table (${labels.join(', ')})`, l);
  if (new Set(held).size >= labels.length)
    throw new InputError('--holdout', 'at least one row of the target table left to fit', raw);
  return [...new Set(held)];
}

/** The held-out rows' residuals and the findings, after the in-sample table. */
function heldOutLines(r: CalibrationResult): string[] {
  const lines: string[] = [];
  if (r.heldOut.length > 0) {
    lines.push(
      `held out (not fitted): ${r.holdout.join(', ')}`,
      'label       figure  target  predicted  error',
    );
    for (const h of r.heldOut)
      lines.push(
        `${h.label.padEnd(10)}  ${h.figure.padEnd(6)}  ${String(h.targetS).padStart(6)}  ${h.simulatedS.toFixed(0).padStart(9)}  ${(100 * h.relativeError).toFixed(1).padStart(5)}%`,
      );
  }
  for (const [k, v] of Object.entries(r.findings)) lines.push(`finding: ${k}: ${v ? 'holds' : 'BROKEN'}`);
  return lines;
}

/** --cv: one fit per row, the held-out table in the console, an envelope and report in a run dir. */
async function runCv(
  ctx: Ctx,
  base: ReturnType<typeof resolve>,
  table: TargetTable,
  o: { seed: number; seeds: number[]; iterations: number },
): Promise<number> {
  // --out is checked now; the directory is made only once every fold is fitted, so a fit
  // that fails (a budget below the ladder screening) leaves no empty run directory.
  const claim = outDirClaim('calibrate-cv', flagString(ctx, 'out'));
  const bar = progress(ctx.io, 'calibrate --cv');
  const started = Date.now();
  const n = table.points.length;
  const result = crossValidate(base as Parameters<typeof crossValidate>[0], table, {
    seed: o.seed,
    seeds: o.seeds,
    maxEvaluations: o.iterations,
    onProgress: (fold, folds, label, evals, best) =>
      bar.update(
        fold * o.iterations + evals,
        folds * o.iterations,
        `fold ${fold + 1}/${folds} (${label} held out)${Number.isFinite(best) ? ` best ${best.toFixed(4)}` : ''}`,
      ),
  });
  const wallMs = Date.now() - started;
  bar.done(`${n} fits, ${(wallMs / 1000).toFixed(0)} s`);
  const env = cvEnvelope(result, table, {
    seed: o.seed,
    wallMs,
    start: flagString(ctx, 'preset') ?? copySweepModel.defaultPreset ?? NO_PRESET,
    params: { sets: flagList(ctx, 'set') },
  });
  const dir = claim();
  writeSummary(dir, env);
  ctx.io.out(cvTable(result).join('\n'));
  const report = await writeReport([dir], undefined, { charts: cvCharts });
  ctx.io.out(`run: ${dir}\nreport: ${report}`);
  return 0;
}

function nest(flat: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [path, v] of Object.entries(flat)) {
    const [group, key] = path.split('.') as [string, string];
    out[group] ??= {};
    (out[group] as Record<string, unknown>)[key] = v;
  }
  return out;
}

export const simCommand: Command = defineCommand({
  name: 'sim',
  summary: 'discrete-event simulations of registry storage under cold-pull storms',
  // Read when the command runs, not when this file loads: a model registered later shows up.
  get help() {
    return `Models: ${listModels()
      .map((m) => m.name)
      .join(', ')}.
Every model run writes summary.json, raw.ndjson and report.html to its run directory
(--out, or a new runs/<model>-<time>); calibrate writes a preset instead.`;
  },
  get subCommands() {
    const subs: Record<string, Command> = {};
    for (const def of listModels()) subs[def.name] = modelCommand(def);
    subs.calibrate = calibrateCommand;
    return subs;
  },
});
