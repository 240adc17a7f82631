/**
 * The metrics a gate rule may name, and how each is read: a quantile of a distribution the
 * runs keep raw samples of (decided by bootstrap), a count (decided by an allowance), or a
 * one-number ratio. The list is closed on purpose: a typo in a rules file must be bad input,
 * never a rule that silently reads nothing.
 */
import { InputError } from '../../errors';
import type { Metrics } from '../envelope';

export type Direction = 'lower' | 'higher';

export interface QuantileMetric {
  kind: 'quantile';
  path: string;
  /** The envelope key of the distribution (podStartupS) and the quantile (0.99). */
  key: string;
  quantile: string;
  q: number;
  direction: Direction;
  unit: 's' | 'B/s';
}

export interface CountMetric {
  kind: 'count' | 'ratio';
  path: string;
  direction: Direction;
}

export type GateMetric = QuantileMetric | CountMetric;

/** Distributions with raw samples in raw.ndjson, with the quantiles a rule may name. */
export const DISTRIBUTIONS: Record<
  string,
  { quantiles: Record<string, number>; direction: Direction; unit: 's' | 'B/s' }
> = {
  podStartupS: { quantiles: { p50: 0.5, p90: 0.9, p99: 0.99 }, direction: 'lower', unit: 's' },
  pullS: { quantiles: { p50: 0.5, p90: 0.9, p99: 0.99 }, direction: 'lower', unit: 's' },
  layerS: { quantiles: { p50: 0.5, p90: 0.9, p99: 0.99 }, direction: 'lower', unit: 's' },
  replicationLagS: { quantiles: { p50: 0.5, p90: 0.9, p99: 0.99 }, direction: 'lower', unit: 's' },
  failoverS: { quantiles: { p50: 0.5, p90: 0.9, p99: 0.99 }, direction: 'lower', unit: 's' },
  nodeEgressBps: {
    quantiles: { p50: 0.5, p75: 0.75, p90: 0.9, p99: 0.99, p999: 0.999 },
    direction: 'higher',
    unit: 'B/s',
  },
};

/** Counts: more is worse. errors.byCode.<CODE> is accepted for any code. */
const COUNTS = ['throttleEvents', 'errors.total', 'pulls.failed', 'backendsAboveCeiling', 'throttledNodes'];
const RATIOS: Record<string, Direction> = { hotBackendRatio: 'lower' };

export function knownMetricPaths(): string[] {
  return [
    ...Object.entries(DISTRIBUTIONS).flatMap(([k, d]) => Object.keys(d.quantiles).map((q) => `${k}.${q}`)),
    ...COUNTS,
    'errors.byCode.<CODE>',
    ...Object.keys(RATIOS),
  ];
}

/** The metric a path names, or an InputError naming `field` (e.g. rules[2].metric). */
export function parseMetricPath(path: unknown, field: string): GateMetric {
  const expected = `a metric path (one of ${knownMetricPaths().join(', ')})`;
  if (typeof path !== 'string') throw new InputError(field, expected, path);
  const dot = path.indexOf('.');
  const head = dot < 0 ? path : path.slice(0, dot);
  const dist = Object.hasOwn(DISTRIBUTIONS, head) ? DISTRIBUTIONS[head] : undefined;
  if (dist) {
    const quantile = path.slice(dot + 1);
    if (dot < 0 || !Object.hasOwn(dist.quantiles, quantile)) {
      // max is one sample: no resampling says anything about it.
      const why = quantile === 'max' ? ' (max is a single sample and cannot be bootstrapped: use p99)' : '';
      throw new InputError(field, `${head}.<${Object.keys(dist.quantiles).join('|')}>${why}`, path);
    }
    return {
      kind: 'quantile',
      path,
      key: head,
      quantile,
      q: dist.quantiles[quantile] as number,
      direction: dist.direction,
      unit: dist.unit,
    };
  }
  if (COUNTS.includes(path) || /^errors\.byCode\.[A-Za-z0-9_]+$/.test(path))
    return { kind: 'count', path, direction: 'lower' };
  if (Object.hasOwn(RATIOS, path)) return { kind: 'ratio', path, direction: RATIOS[path] as Direction };
  throw new InputError(field, expected, path);
}

/**
 * A metric's value in a point's metrics, or undefined. A count the run did not record is
 * undefined, except error codes: a run with an errors object and no such code had none.
 */
export function readMetric(m: Metrics, path: string): number | undefined {
  let v: unknown = m;
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  if (v === undefined && path.startsWith('errors.byCode.') && m.errors) return 0;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
