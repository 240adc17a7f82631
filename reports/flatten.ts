/**
 * Metrics as flat `key -> number` rows (podStartupS.p99, errors.byCode.BLOB_UNKNOWN) for
 * the summary and delta tables. Arrays (backends, CDFs) are charts, not table cells.
 */
import type { Metrics } from '../lib/results/envelope';
import { isNum } from './points';

export function flattenMetrics(m: Metrics | undefined, prefix = '', depth = 0): Map<string, number> {
  const out = new Map<string, number>();
  if (!m || depth > 3) return out;
  for (const [k, v] of Object.entries(m)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isNum(v)) out.set(key, v);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v))
      for (const [kk, vv] of flattenMetrics(v as Metrics, key, depth + 1)) out.set(kk, vv);
  }
  return out;
}

/** Union of keys in first-seen order, so columns keep the order runners write them in. */
export function unionKeys(maps: ReadonlyArray<Map<string, number>>): string[] {
  const keys: string[] = [];
  for (const m of maps) for (const k of m.keys()) if (!keys.includes(k)) keys.push(k);
  return keys;
}
