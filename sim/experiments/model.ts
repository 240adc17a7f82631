/**
 * The model contract: everything `stampede sim <name>` needs from a model is here, so a
 * new model is one folder (its mechanisms, a `plugin.ts` calling defineModel, tests) plus
 * one line in the registry. The CLI builds the command, its --help, validation, progress,
 * envelope, console table and report from this object alone.
 */
import type { Infer, Schema } from '../../lib/config/schema';
import type { Envelope, Metrics, Point } from '../../lib/results/envelope';
import type { ChartEntry, ReportRun } from '../../reports/types';

/** Where a model's output goes while it runs: nothing here touches the disk itself. */
export interface ModelIo {
  /** Raw per-unit records (per node, per client, per minute bin...), streamed to raw.ndjson. */
  raw(records: readonly unknown[]): void;
  /** Progress of a long run: `done` of `total` units, with a short label of what is happening. */
  progress(done: number, total: number, label: string): void;
}

/** What one run produces; the CLI wraps it into the envelope (tool, kind, name, seed, params, runtime). */
export interface ModelResult {
  /** Whole-run metrics (for a single-point model, that point's metrics). */
  metrics: Metrics;
  /** One entry per configuration of a sweep; [] or one entry for a single run. */
  points: Point[];
  /** Simulation events processed: the cost measure in `runtime.events`. */
  events: number;
  /** Published or measured figures to overlay, with their source named. */
  reference?: Envelope['reference'];
}

/** Where the resolved parameters came from, for checks that must name what the user typed. */
export interface GivenParams {
  /** Preset / --params layers in order, each with the tree it supplied. */
  layers: ReadonlyArray<{ source: string; tree: unknown }>;
  /** The raw `--set path=value` arguments. */
  sets: readonly string[];
}

export interface ModelDef<S extends Schema = Schema> {
  /** The subcommand: `stampede sim <name>`. Kebab-case. */
  name: string;
  /** One line for `stampede sim --help`. */
  summary: string;
  /** Longer help: what it simulates, what it prints and writes, one or two examples. */
  help: string;
  /** Every parameter with its default, unit, bounds and meaning; defaults live here alone. */
  schema: S;
  /** Cross-field checks after the schema has validated each leaf; throw InputError naming the field. */
  validate?(params: Infer<S>, given: GivenParams): void;
  run(params: Infer<S>, seed: number, io: ModelIo): ModelResult;
  /** The console summary of a finished run, one string per line. */
  table(env: Envelope): string[];
  /** Charts specific to this model, drawn after the generic ones on its report page. */
  charts?: ReadonlyArray<ChartEntry<ReportRun>>;
  /**
   * The preset applied when the user gives no --preset (`--preset none` skips it). Fitted
   * values live only in presets, so a model whose defaults are round start values names the
   * fit its plain `stampede sim <name>` should run with.
   */
  defaultPreset?: string;
  /**
   * Whose presets this model takes (sim/experiments/presets/<presetModel>/NAME.json), when
   * its parameter tree is a part of another model's (cold-pull takes copy-sweep's fits);
   * default: its own name.
   */
  presetModel?: string;
  /**
   * The file URL of a module that exports this def (`import.meta.url`), for a model outside
   * the built-in registry: `--jobs` workers import it to find the model (sweep-jobs.ts).
   */
  module?: string;
}

/** Identity at run time; gives a plug-in file its types (after unjs/citty's defineCommand). */
export function defineModel<S extends Schema>(def: ModelDef<S>): ModelDef<S> {
  return def;
}
