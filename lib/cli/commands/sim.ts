/**
 * `stampede sim <model>` runs a simulation and writes its envelope, raw records and
 * report; `stampede sim calibrate` fits the model's free parameters to a table of
 * measured percentiles and writes a preset. Parameters are validated once, here.
 */
import { readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { formatSeconds } from '../../../reports/format';
import { writeReport } from '../../../reports/index';
import { calibrate, FREE_PARAMS, LADDERS } from '../../../sim/experiments/calibrate';
import { sweepLabels } from '../../../sim/experiments/copy-sweep';
import { copySweepSchema } from '../../../sim/experiments/params';
import { listPresets, loadPreset, writePreset } from '../../../sim/experiments/presets';
import { MODELS, type ModelName, runModel } from '../../../sim/experiments/run-model';
import { PUBLISHED_TABLE, readTargetTable } from '../../../sim/experiments/target-table';
import { helpRows, type Infer, resolve, type Schema } from '../../config/schema';
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
import { describeSweetSpot, type SweetSpot } from '../../results/sweet-spot';
import { describeThrottling } from '../../results/throttling';
import { type Command, type Ctx, defineCommand, flagInt, flagList, flagString, type Io } from '../command';
import { progress } from '../progress';

const MiB = 2 ** 20;

const paramFlags = {
  preset: { type: 'string', hint: 'NAME', description: 'start from a named preset (see the list below)' },
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

function layersFor(ctx: Ctx): Array<{ source: string; tree: unknown }> {
  const layers: Array<{ source: string; tree: unknown }> = [];
  const name = flagString(ctx, 'preset');
  if (name !== undefined) layers.push({ source: `preset ${name}`, tree: loadPreset(name).params });
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

function modelCommand(name: ModelName): Command {
  const { schema, summary } = MODELS[name];
  return defineCommand({
    name,
    summary,
    usage: `stampede sim ${name} [--preset NAME] [--set path=value]... [--seed N] [--json FILE] [--out DIR]`,
    help: `${modelHelp(name)}

Presets: ${listPresets().join(', ') || '(none)'}

Parameters (path = default; --set path=value to change):
${helpRows(schema as Schema).join('\n')}`,
    flags: {
      ...paramFlags,
      json: { type: 'string', hint: 'FILE', description: 'also write the result envelope to FILE' },
      out: {
        type: 'string',
        hint: 'DIR',
        description: 'run directory for summary.json, raw.ndjson, report.html (default runs/<model>-<time>)',
      },
    },
    async run(ctx) {
      const layers = layersFor(ctx);
      const sets = flagList(ctx, 'set');
      const params = resolve(schema as Schema, layers, sets) as Infer<typeof copySweepSchema>;
      const seed = parseSeed(ctx);
      checkCopies(name, params, layers, sets);
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
        env = runModel(name, params, seed, {
          raw,
          onPoint: (label, i, total) => bar.update(i + 1, total, label),
          // One storm has no points to count: count its nodes as they become ready.
          onProgress: (t, ready, nodes) =>
            bar.update(ready, nodes, `nodes ready at t = ${formatSeconds(t)} simulated`),
        });
      } finally {
        raw.close();
      }
      bar.done();
      const preset = flagString(ctx, 'preset');
      if (preset !== undefined) env.runtime.preset = preset;
      // A failed write (a full disk) costs that file only: the others and the result still come out.
      const outputs = new RunOutputs();
      outputs.add(raw.failure);
      outputs.attempt(() => writeSummary(dir, env));
      if (jsonOut !== undefined) outputs.attempt(() => writeJsonAtomic(jsonOut, env));
      printTable(ctx.io, env);
      const report = await outputs.attemptAsync(() => writeReport([dir]));
      ctx.io.out(`run: ${dir}${report ? `\nreport: ${report}` : ''}`);
      return outputs.report((l) => ctx.io.err(l)) ? 1 : 0;
    },
  });
}

/**
 * The copy counts must fit the pool before anything runs. cold-pull places storage.copies
 * copies; copy-sweep runs each entry of sweep.copies and ignores storage.copies, so a
 * storage.copies given to a sweep is a mistake to name, not a value to check.
 */
function checkCopies(
  name: ModelName,
  params: Infer<typeof copySweepSchema>,
  layers: Array<{ source: string; tree: unknown }>,
  sets: string[],
): void {
  if (name === 'cold-pull') {
    if (params.storage.copies > params.storage.backends)
      throw new InputError(
        'storage.copies',
        `<= storage.backends (${params.storage.backends})`,
        params.storage.copies,
      );
    return;
  }
  const expected =
    'unset for copy-sweep (it runs each entry of sweep.copies instead, e.g. --set sweep.copies=2,6,12)';
  for (const a of sets)
    if (a.slice(0, a.indexOf('=')).trim() === 'storage.copies')
      throw new InputError('storage.copies', expected, a.slice(a.indexOf('=') + 1));
  for (const l of layers) {
    const storage = (l.tree as { storage?: Record<string, unknown> }).storage;
    if (storage && Object.hasOwn(storage, 'copies'))
      throw new InputError(`storage.copies (in ${l.source})`, expected, storage.copies);
  }
  sweepLabels(params);
}

function modelHelp(name: ModelName): string {
  if (name === 'cold-pull')
    return `Every node pulls the same image cold at t=0 from a pool of storage backends holding
storage.copies copies of each layer. Prints pod-startup percentiles, throttling and peak
per-backend egress; writes summary.json, raw.ndjson (one record per node) and report.html.

  stampede sim cold-pull --preset acr-copies-2026 --set storage.copies=6`;
  return `Runs the cold-pull storm once per entry of sweep.copies (Baseline, Low, Mid, Higher,
Very high), changing nothing else, and overlays the published ACR table in the report.

  stampede sim copy-sweep --preset acr-copies-2026
  stampede sim copy-sweep --preset acr-copies-2026 --set storage.fanOutCost=false   (ablation)`;
}

function printTable(io: Io, env: Envelope): void {
  // Round first: 839.6 s is 14m00s, not 13m60s.
  const fmt = (s: number) => {
    const t = Math.round(s);
    return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  };
  const ref = new Map((env.reference?.points ?? []).map((p) => [p.label, p.metrics.podStartupS]));
  const lines = [
    'point       P50      P90      P99      throttled  peak/ceiling  above-ceiling  node egress P50',
  ];
  for (const p of env.points) {
    const q = p.metrics.podStartupS;
    const at = (k: 'p50' | 'p90' | 'p99') => (q ? fmt(q[k]) : 'n/a').padEnd(7);
    const r = ref.get(p.label);
    lines.push(
      `${p.label.padEnd(10)}  ${at('p50')}  ${at('p90')}  ${at('p99')}  ${String(p.metrics.throttleEvents ?? 0).padStart(9)}  ${(p.metrics.hotBackendRatio ?? 0).toFixed(2).padStart(12)}  ${String(p.metrics.backendsAboveCeiling ?? 0).padStart(13)}  ${((p.metrics.nodeEgressBps?.p50 ?? 0) / MiB).toFixed(0).padStart(10)} MiB/s`,
    );
    if (r) lines.push(`  published ${fmt(r.p50).padEnd(7)}  ${fmt(r.p90).padEnd(7)}  ${fmt(r.p99)}`);
  }
  const throttled = env.points.map((p) => describeThrottling(p, formatSeconds)).filter((l) => l !== null);
  if (throttled.length > 0)
    lines.push('503s (layers counted from 0, in manifest order):', ...throttled.map((l) => `  ${l}`));
  const spot = env.metrics.sweetSpot as SweetSpot | undefined;
  if (spot) lines.push(`sweet spot: ${describeSweetSpot(spot, formatSeconds)}`);
  const notReady = env.points.map((p) => notReadyLine(p, env)).filter((l) => l !== null);
  if (notReady.length > 0)
    lines.push(
      `not ready by run.horizonS (${formatSeconds(Number((env.params.run as { horizonS?: number })?.horizonS))}):`,
      ...notReady.map((l) => `  ${l}`),
    );
  io.out(lines.join('\n'));
}

/** How many nodes of a point never became ready: its quantiles cover only the others. */
function notReadyLine(p: Envelope['points'][number], env: Envelope): string | null {
  const missing = p.metrics.errors?.byCode?.NOT_READY_AT_HORIZON ?? p.metrics.errors?.total ?? 0;
  if (missing <= 0) return null;
  const nodes = Number((env.params.workload as { nodes?: number })?.nodes);
  if (!Number.isFinite(nodes)) return `${p.label}: ${missing} nodes`;
  const ready = nodes - missing;
  return `${p.label}: ${missing} of ${nodes} nodes${ready > 0 ? ` (its percentiles cover the ${ready} that were ready)` : ' (no percentiles)'}`;
}

const calibrateCommand = defineCommand({
  name: 'calibrate',
  summary: "fit the model's free physical parameters to a table of pod-startup percentiles",
  usage: 'stampede sim calibrate [--target FILE] [--model copy-sweep] [--write-preset NAME] [--iterations N]',
  help: `Runs the copy sweep repeatedly (same seed each time: common random numbers). Screens the
candidate copy-count ladders, then moves the free parameters with Nelder-Mead in log space
to pull every P50/P90/P99 figure of the table within +-4% (plus a small RMS term), with
penalties for the post's qualitative findings (sim/models/README.md has the exact objective).
Prints progress, the copy ladder it chose and the residual per figure. A fit writes no run
directory: --write-preset keeps it, writing the fitted parameters, residuals, optimizer
settings and the target's source to sim/experiments/presets/NAME.json (a name already there
is overwritten: pick a new one unless you mean to refit it). --iterations must cover one
screening sweep per candidate ladder (${LADDERS.length} for a 5-point table).

Free parameters: ${FREE_PARAMS.map((p) => p.path).join(', ')}
Target format: {"source": "...", "points": [{"label": "Baseline", "podStartupS": {"p50": s, "p90": s, "p99": s}}, ...]}
Default target: ${PUBLISHED_TABLE}
Presets: ${listPresets().join(', ') || '(none)'}

  stampede sim calibrate --iterations 200 --write-preset my-fit
  stampede sim calibrate --target my-sweep.json --preset acr-copies-2026 --write-preset my-cluster`,
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
      description: 'maximum objective evaluations (each = one full sweep)',
      default: '150',
    },
  },
  run(ctx) {
    const model = flagString(ctx, 'model') ?? 'copy-sweep';
    if (model !== 'copy-sweep') throw new InputError('--model', '"copy-sweep"', model);
    const target = flagString(ctx, 'target');
    const table = readTargetTable(target === undefined ? PUBLISHED_TABLE : resolvePath(target));
    const iterations = flagInt(ctx, 'iterations', 150);
    if (iterations < 1) throw new InputError('--iterations', 'an integer >= 1', iterations);
    const seed = parseSeed(ctx);
    const presetName = flagString(ctx, 'write-preset');
    if (presetName !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(presetName))
      throw new InputError('--write-preset', 'a kebab-case name (a-z, 0-9, -)', presetName);
    const base = resolve(copySweepSchema, layersFor(ctx), flagList(ctx, 'set'));
    const bar = progress(ctx.io, 'calibrate');
    const started = Date.now();
    const result = calibrate(base, table, {
      seed,
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
      `rms ${(100 * result.evaluation.rms).toFixed(2)}%, max ${(100 * result.evaluation.max).toFixed(2)}%`,
    );
    for (const [k, v] of Object.entries(result.evaluation.penalties))
      lines.push(`penalty: ${k} (+${v.toFixed(3)})`);
    lines.push('fitted:');
    for (const [k, v] of Object.entries(result.fitted)) lines.push(`  ${k} = ${v}`);
    ctx.io.out(lines.join('\n'));
    if (presetName !== undefined) {
      const setFlags = flagList(ctx, 'set')
        .map((s) => ` --set ${s}`)
        .join('');
      const file = writePreset(presetName, {
        name: presetName,
        description: `Free parameters fitted by 'stampede sim calibrate' to ${table.source}`,
        command: `stampede sim calibrate${target === undefined ? '' : ` --target ${target}`}${flagString(ctx, 'preset') ? ` --preset ${flagString(ctx, 'preset')}` : ''}${setFlags} --seed ${seed} --iterations ${iterations} --write-preset ${presetName}`,
        source: table.source,
        target: table.points,
        params: nest(result.fitted),
        fit: {
          score: result.evaluation.score,
          rmsRelativeError: result.evaluation.rms,
          maxRelativeError: result.evaluation.max,
          penalties: result.evaluation.penalties,
          residuals: result.evaluation.residuals,
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
      });
      ctx.io.out(`preset: ${file}`);
    }
    return 0;
  },
});

function nest(flat: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [path, v] of Object.entries(flat)) {
    const [group, key] = path.split('.') as [string, string];
    out[group] ??= {};
    (out[group] as Record<string, unknown>)[key] = v;
  }
  return out;
}

export const simCommand = defineCommand({
  name: 'sim',
  summary: 'discrete-event simulations of registry storage under cold-pull storms',
  help: `Models: ${Object.keys(MODELS).join(', ')} (stamps, failover and replication are not built yet).
Every cold-pull and copy-sweep run writes summary.json, raw.ndjson and report.html to its
run directory (--out, or a new runs/<model>-<time>); calibrate writes a preset instead.`,
  subCommands: {
    'cold-pull': modelCommand('cold-pull'),
    'copy-sweep': modelCommand('copy-sweep'),
    calibrate: calibrateCommand,
  },
});
