/**
 * Gate rules: which metric, which way is better, how much worse is tolerated. A rules file
 * is validated here, once, at the edge; every problem is an InputError naming the field
 * (rules[2].tolerance.relative). Without a file the built-in defaults for the run's kind and
 * scenario/model apply (DEFAULT_RULES, printed by `stampede gate --help`).
 *
 *   { "rules": [ { "metric": "podStartupS.p90", "point": "Mid",
 *                  "direction": "lower", "tolerance": { "relative": 0.05 } } ],
 *     "bootstrap": { "resamples": 2000, "confidence": 0.95, "seed": 1 } }
 */
import { readFileSync } from 'node:fs';
import { defaults, type Infer, int, num, resolve } from '../../config/schema';
import { InputError } from '../../errors';
import { type Direction, type GateMetric, parseMetricPath } from './metrics';

export interface Tolerance {
  /** Allowed change as a fraction of the baseline's value (0.05 = 5%). */
  relative?: number;
  /** Allowed change in the metric's own unit (seconds, a count). */
  absolute?: number;
}

export interface Rule {
  metric: GateMetric;
  /** The configuration label (a sweep's point); without it the rule applies to every point. */
  point?: string;
  direction: Direction;
  /** The allowance is the larger of the two when both are given. */
  tolerance: Tolerance;
  /** Where the rule was written (rules.json: rules[2]), for errors that name it. */
  at: string;
  /** Built-in rules skip metrics a run does not record; a user's rule is inconclusive there. */
  builtIn: boolean;
}

/** The bootstrap's settings: a fixed tree, so the schema kit validates it and holds its defaults. */
export const bootstrapSchema = {
  resamples: int({ default: 2000, min: 200, max: 100_000, doc: 'bootstrap resamples per quantile check' }),
  confidence: num({ default: 0.95, min: 0.5, max: 0.999, doc: 'level of the interval of the difference' }),
  seed: int({
    default: 1,
    min: 0,
    max: 0xffffffff,
    doc: 'seed of the resampling (same seed, same verdicts)',
  }),
};
export type BootstrapSettings = Infer<typeof bootstrapSchema>;

/** Tolerances: non-negative, in the metric's unit (absolute) or a fraction of the baseline (relative). */
const toleranceLeaf = num({ default: 0, min: 0, doc: 'allowed change' });

export interface RuleSet {
  rules: Rule[];
  bootstrap: BootstrapSettings;
  /** Where the rules came from: a file path, or "built-in defaults for ...". */
  source: string;
}

export const DEFAULT_BOOTSTRAP: BootstrapSettings = defaults(bootstrapSchema);

interface RuleSpec {
  metric: string;
  point?: string;
  tolerance: Tolerance;
}

/**
 * Built-in rules per "<kind>:<name>", then per kind. Simulations are deterministic per seed
 * (a candidate on the baseline's seed differs only by the change under test), so 5% on the
 * pod-startup quantiles catches a model change that moves the fit (the published table's
 * rows differ by 2-30%). Lab k6 runs share a loaded 2-core machine: two runs of one
 * configuration differed by up to 72% at P50, 87% at P90 and 73% at P99 in five measured
 * pairs (test/cli/gate-lab.test.ts prints them), and a bootstrap within one run cannot see
 * that (pulls of one run share the machine's load), so the allowance is 100%: on a shared
 * machine the gate catches a pull that got twice as slow, not 20% slower. Storage answering
 * 4 s late moved the same quantiles by 313-1167/184-886/156-548%. On a dedicated runner, tighten them with a rules file. Counts
 * get an absolute allowance plus a relative one for runs that throttle by design.
 */
const SIM_RULES: RuleSpec[] = [
  { metric: 'podStartupS.p50', tolerance: { relative: 0.05 } },
  { metric: 'podStartupS.p90', tolerance: { relative: 0.05 } },
  { metric: 'podStartupS.p99', tolerance: { relative: 0.05 } },
  { metric: 'throttleEvents', tolerance: { absolute: 10, relative: 0.25 } },
  { metric: 'errors.total', tolerance: { absolute: 0 } },
];
const K6_RULES: RuleSpec[] = [
  { metric: 'pullS.p50', tolerance: { relative: 1 } },
  { metric: 'pullS.p90', tolerance: { relative: 1 } },
  { metric: 'pullS.p99', tolerance: { relative: 1 } },
  { metric: 'pulls.failed', tolerance: { absolute: 0 } },
  { metric: 'errors.total', tolerance: { absolute: 0 } },
  { metric: 'throttleEvents', tolerance: { absolute: 5, relative: 0.5 } },
];
export const DEFAULT_RULES: Record<string, RuleSpec[]> = {
  'sim:cold-pull': SIM_RULES,
  'sim:copy-sweep': SIM_RULES,
  sim: SIM_RULES,
  'k6:cold-pull': K6_RULES,
  k6: K6_RULES,
};

export function defaultRules(kind: string, name: string): RuleSet {
  const key = Object.hasOwn(DEFAULT_RULES, `${kind}:${name}`) ? `${kind}:${name}` : kind;
  const specs = DEFAULT_RULES[key] ?? [];
  return {
    rules: specs.map((s, i) => ({ ...ruleOf(s, `defaults[${i}]`), builtIn: true })),
    bootstrap: DEFAULT_BOOTSTRAP,
    source: `built-in defaults for ${key}`,
  };
}

/** One line per default rule set, for --help. */
export function describeDefaults(): string[] {
  return Object.entries(DEFAULT_RULES).map(
    ([k, specs]) =>
      `  ${k.padEnd(15)} ${specs.map((s) => `${s.metric} ${toleranceText(s.tolerance)}`).join(', ')}`,
  );
}

export function toleranceText(t: Tolerance): string {
  const parts = [
    t.relative !== undefined ? `${+(t.relative * 100).toFixed(3)}%` : '',
    t.absolute !== undefined ? `${t.absolute}` : '',
  ].filter(Boolean);
  return parts.join(' or ');
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(v: Record<string, unknown>, keys: string[], field: string): void {
  for (const k of Object.keys(v))
    if (!keys.includes(k)) throw new InputError(`${field}.${k}`, `one of the keys ${keys.join(', ')}`, k);
}

function nonNegative(v: unknown, field: string): number {
  return toleranceLeaf.check(v, field);
}

function ruleOf(spec: unknown, field: string): Rule {
  if (!isObj(spec))
    throw new InputError(field, 'a rule object {metric, direction?, tolerance, point?}', spec);
  onlyKeys(spec, ['metric', 'point', 'direction', 'tolerance'], field);
  const metric = parseMetricPath(spec.metric, `${field}.metric`);
  let direction = metric.direction;
  if (spec.direction !== undefined) {
    if (spec.direction !== 'lower' && spec.direction !== 'higher')
      throw new InputError(`${field}.direction`, '"lower" or "higher" (which way is better)', spec.direction);
    direction = spec.direction;
  }
  const t = spec.tolerance;
  if (!isObj(t))
    throw new InputError(`${field}.tolerance`, 'an object {relative?: fraction, absolute?: number}', t);
  onlyKeys(t, ['relative', 'absolute'], `${field}.tolerance`);
  if (t.relative === undefined && t.absolute === undefined)
    throw new InputError(`${field}.tolerance`, 'relative and/or absolute', t);
  const tolerance: Tolerance = {};
  if (t.relative !== undefined) tolerance.relative = nonNegative(t.relative, `${field}.tolerance.relative`);
  if (t.absolute !== undefined) tolerance.absolute = nonNegative(t.absolute, `${field}.tolerance.absolute`);
  if (spec.point !== undefined && (typeof spec.point !== 'string' || spec.point === ''))
    throw new InputError(`${field}.point`, 'a configuration label (e.g. "Mid")', spec.point);
  return {
    metric,
    direction,
    tolerance,
    at: field,
    builtIn: false,
    ...(spec.point !== undefined ? { point: spec.point as string } : {}),
  };
}

function bootstrapOf(v: unknown, field: string): BootstrapSettings {
  if (v === undefined) return DEFAULT_BOOTSTRAP;
  return resolve(bootstrapSchema, [{ source: field, tree: v }]);
}

/** A parsed rules document (the JSON value of a rules file). */
export function parseRules(doc: unknown, source: string): RuleSet {
  if (!isObj(doc)) throw new InputError(source, 'a JSON object {rules: [...], bootstrap?: {...}}', doc);
  onlyKeys(doc, ['rules', 'bootstrap'], source);
  if (!Array.isArray(doc.rules) || doc.rules.length === 0)
    throw new InputError(`${source}: rules`, 'a non-empty list of rules', doc.rules);
  return {
    rules: doc.rules.map((r, i) => ruleOf(r, `${source}: rules[${i}]`)),
    bootstrap: bootstrapOf(doc.bootstrap, `${source}: bootstrap`),
    source,
  };
}

export function readRulesFile(path: string): RuleSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(
      '--rules',
      'a readable JSON file',
      `${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError('--rules', 'a JSON file', `${path}: ${(e as Error).message}`);
  }
  return parseRules(doc, path);
}
