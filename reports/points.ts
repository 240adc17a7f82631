/**
 * Helpers that let every chart treat a run the same way whether it is a sweep (one
 * entry per configuration in `points`) or a single measurement (metrics at the top).
 */
import type { Envelope, Metrics, Point } from '../lib/results/envelope';

/** The run's points in their own order; a run without points becomes one point. */
export function pointsOf(envelope: Envelope): Point[] {
  if (envelope.points.length > 0) return envelope.points;
  return [{ label: envelope.name, params: {}, metrics: envelope.metrics ?? {} }];
}

export function labelsOf(points: readonly Point[]): string[] {
  return points.map((p) => p.label);
}

/** Reference (published) points by label; empty when the run carries none. */
export function referenceByLabel(envelope: Envelope): Map<string, Point> {
  return new Map((envelope.reference?.points ?? []).map((p) => [p.label, p]));
}

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A `{p50, p90, ...}` metric read defensively: summaries written by other tools may lack keys. */
export function quantileRecord(m: Metrics | undefined, key: string): Record<string, number> | undefined {
  const v = m?.[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) if (isNum(x)) out[k] = x;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Upper-case quantile names as readers expect them: p50 -> P50, p999 -> P99.9, max -> max. */
export function quantileName(q: string): string {
  if (q === 'p999') return 'P99.9';
  return /^p\d+$/.test(q) ? q.toUpperCase() : q;
}

/** The map's entry for `key`, created by `init` on first use (grouping raw records). */
export function entry<K, V>(map: Map<K, V>, key: K, init: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = init();
    map.set(key, v);
  }
  return v;
}
