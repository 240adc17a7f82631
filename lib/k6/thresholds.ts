/**
 * k6 thresholds: a scenario declares them (ScenarioDef.thresholds) and a user adds more
 * with `--threshold METRIC=EXPR`, both in k6's own syntax (`pull_duration: ['p(99)<5000']`,
 * `http_req_failed{step:blob}: ['rate<0.01']`). k6 gets them through a --config file and
 * exits 99 when one is crossed; stampede decides the run on the merged raw samples of every
 * shard, since each k6 process of a sharded run sees only its own segment. The verdict
 * and the figures go into the envelope (metrics.thresholds) and the report.
 */
import { InputError } from '../errors';
import { isPoint } from './collect';

export type Thresholds = Record<string, string[]>;

export interface ThresholdResult {
  /** The metric as written, with its tag filter: http_req_duration{step:blob}. */
  metric: string;
  /** The expression as written: p(99)<5000. */
  threshold: string;
  /** The aggregated value it was decided on (ms for time trends, as k6 records them). */
  observed: number | null;
  ok: boolean;
  samples: number;
}

interface Parsed {
  aggregation: string;
  percentile?: number;
  op: string;
  value: number;
}

const OPS = ['<=', '>=', '===', '==', '!=', '<', '>'];
const AGGREGATIONS = ['count', 'rate', 'value', 'avg', 'min', 'max', 'med'];
const METRIC = /^[A-Za-z_][A-Za-z0-9_.-]*(\{[^{}]+\})?$/;

/** One threshold expression in k6's grammar: `<aggregation> <op> <number>`. */
export function parseThreshold(expr: string, field = '--threshold'): Parsed {
  const m =
    /^\s*(count|rate|value|avg|min|max|med|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/.exec(
      expr,
    );
  const pct = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!m || (pct !== undefined && (pct < 0 || pct > 100)))
    throw new InputError(
      field,
      `a k6 threshold: one of ${AGGREGATIONS.join(', ')}, p(N) (N 0..100), then one of ${OPS.join(' ')} and a number, e.g. p(99)<5000`,
      expr,
    );
  return {
    aggregation: pct === undefined ? (m[1] as string) : 'p',
    ...(pct === undefined ? {} : { percentile: pct }),
    op: m[3] as string,
    value: Number(m[4]),
  };
}

/** `--threshold METRIC=EXPR` values -> k6's thresholds object (validated). */
export function parseThresholdFlags(values: readonly string[]): Thresholds {
  const out: Thresholds = {};
  for (const raw of values) {
    const eq = raw.indexOf('=');
    const metric = eq < 0 ? '' : raw.slice(0, eq).trim();
    if (!METRIC.test(metric))
      throw new InputError('--threshold', 'METRIC=EXPR, e.g. pull_duration=p(99)<5000', raw);
    const expr = raw.slice(eq + 1).trim();
    parseThreshold(expr);
    const list = out[metric] ?? [];
    list.push(expr);
    out[metric] = list;
  }
  return out;
}

/** Joins threshold sets (a scenario's, the user's): every expression of each metric kept once. */
export function mergeThresholds(...sets: Array<Thresholds | undefined>): Thresholds {
  const out: Thresholds = {};
  for (const set of sets)
    for (const [metric, exprs] of Object.entries(set ?? {})) {
      if (!METRIC.test(metric))
        throw new InputError('thresholds', 'a k6 metric name, optionally with {tag:value}', metric);
      for (const e of exprs) parseThreshold(e, `thresholds.${metric}`);
      out[metric] = [...new Set([...(out[metric] ?? []), ...exprs])];
    }
  return out;
}

/** The k6 metrics the thresholds are on (their points are all evaluateThresholds reads). */
export function thresholdMetrics(thresholds: Thresholds): string[] {
  return Object.keys(thresholds).map((m) => tagFilter(m).name);
}

function tagFilter(metric: string): { name: string; tags: Array<[string, string]> } {
  const brace = metric.indexOf('{');
  if (brace < 0) return { name: metric, tags: [] };
  const tags = metric
    .slice(brace + 1, -1)
    .split(',')
    .map((kv) => {
      const i = kv.indexOf(':');
      const strip = (s: string) => s.trim().replace(/^["']|["']$/g, '');
      return [strip(kv.slice(0, i)), strip(kv.slice(i + 1))] as [string, string];
    });
  return { name: metric.slice(0, brace), tags };
}

/** R-7 (linear between closest ranks) on sorted values, as lib/results/stats does. */
function quantileSorted(s: readonly number[], p: number): number {
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const a = s[lo] as number;
  const b = s[Math.min(lo + 1, s.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

function compare(observed: number, op: string, value: number): boolean {
  switch (op) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
    case '!=':
      return observed !== value;
    default:
      return observed === value;
  }
}

/**
 * Decides every threshold on the raw k6 records (all shards merged). A metric's type comes
 * from k6's own Metric records in the stream; `rate` of a counter is per second over the
 * span from the first to the last point. Like k6, a threshold on a metric with no sample
 * is not crossed (observed null). `spanMs`: the run's span when `records` hold only the
 * thresholds' metrics (run.ts streams the rest past), else taken from the records.
 */
export function evaluateThresholds(
  thresholds: Thresholds,
  records: readonly unknown[],
  spanMs?: number,
): ThresholdResult[] {
  const types = new Map<string, string>();
  for (const r of records) {
    const m = r as { type?: string; data?: { name?: string; type?: string } };
    if (m?.type === 'Metric' && m.data?.name && m.data.type) types.set(m.data.name, m.data.type);
  }
  const points = records.filter(isPoint);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    const t = Date.parse(p.data.time);
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const spanS = spanMs !== undefined ? spanMs / 1000 : hi > lo ? (hi - lo) / 1000 : 0;
  const out: ThresholdResult[] = [];
  for (const [metric, exprs] of Object.entries(thresholds)) {
    const { name, tags } = tagFilter(metric);
    const values: number[] = [];
    // A gauge's `value` is its latest sample in time: merged shards are not in time order.
    let last = { t: Number.NEGATIVE_INFINITY, v: 0 };
    for (const p of points) {
      if (p.metric !== name) continue;
      const t = p.data.tags ?? {};
      if (!tags.every(([k, v]) => t[k] === v)) continue;
      values.push(p.data.value);
      const at = Date.parse(p.data.time);
      if (at >= last.t) last = { t: at, v: p.data.value };
    }
    const sorted = [...values].sort((a, b) => a - b);
    const type = types.get(name) ?? 'trend';
    for (const threshold of exprs) {
      const t = parseThreshold(threshold);
      const observed = values.length === 0 ? null : aggregate(t, type, values, sorted, spanS, last.v);
      out.push({
        metric,
        threshold,
        observed,
        ok: observed === null || compare(observed, t.op, t.value),
        samples: values.length,
      });
    }
  }
  return out;
}

function aggregate(
  t: Parsed,
  type: string,
  values: number[],
  sorted: number[],
  spanS: number,
  latest: number,
): number {
  const sum = values.reduce((a, b) => a + b, 0);
  switch (t.aggregation) {
    case 'count':
      return sum;
    case 'rate':
      // A Rate metric: the share of non-zero samples; a counter: per second.
      if (type === 'rate') return values.filter((v) => v !== 0).length / values.length;
      return spanS > 0 ? sum / spanS : sum;
    case 'value':
      return latest;
    case 'avg':
      return sum / values.length;
    case 'min':
      return sorted[0] as number;
    case 'max':
      return sorted[sorted.length - 1] as number;
    case 'med':
      return quantileSorted(sorted, 0.5);
    default:
      return quantileSorted(sorted, (t.percentile ?? 0) / 100);
  }
}

/** One console line per crossed threshold. */
export function crossedLines(results: readonly ThresholdResult[]): string[] {
  return results
    .filter((r) => !r.ok)
    .map(
      (r) =>
        `threshold crossed: ${r.metric} ${r.threshold} (observed ${fmt(r.observed)}, ${r.samples} samples)`,
    );
}

const fmt = (v: number | null) => (v === null ? 'n/a' : Number.isInteger(v) ? String(v) : v.toPrecision(4));
