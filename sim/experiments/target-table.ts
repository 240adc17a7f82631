/**
 * A table of measured pod-startup percentiles per configuration: the published ACR table
 * (data/published/acr-copies-2026.json) or a user's own file in the same format. Read and
 * validated once here; errors name the field.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../lib/errors';
import type { Point } from '../../lib/results/envelope';

export interface TargetPoint {
  label: string;
  podStartupS: { p50: number; p90: number; p99: number };
}

export interface TargetTable {
  source: string;
  points: TargetPoint[];
  /** Where it was read from (for messages and the preset's provenance). */
  file: string;
}

export const PUBLISHED_TABLE = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../data/published/acr-copies-2026.json',
);

export function readTargetTable(file: string = PUBLISHED_TABLE): TargetTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(
      '--target',
      'a readable JSON file',
      `${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      'BAD_TARGET',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}`, 'JSON', (e as Error).message, 'BAD_TARGET');
  }
  return { ...parseTargetTable(raw, file), file };
}

export function parseTargetTable(raw: unknown, where: string): Omit<TargetTable, 'file'> {
  const obj = raw as { source?: unknown; points?: unknown } | null;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new InputError(`${where}`, 'an object with "source" and "points"', raw, 'BAD_TARGET');
  if (typeof obj.source !== 'string' || obj.source.trim() === '')
    throw new InputError(
      `${where}: source`,
      'a non-empty string naming where the numbers come from',
      obj.source,
      'BAD_TARGET',
    );
  if (!Array.isArray(obj.points) || obj.points.length === 0)
    throw new InputError(
      `${where}: points`,
      'a non-empty list of {label, podStartupS:{p50,p90,p99}}',
      obj.points,
      'BAD_TARGET',
    );
  const seen = new Set<string>();
  const points = obj.points.map((p: unknown, i: number): TargetPoint => {
    const at = `${where}: points[${i}]`;
    const pt = p as { label?: unknown; podStartupS?: Record<string, unknown> } | null;
    if (typeof pt !== 'object' || pt === null) throw new InputError(at, 'an object', p, 'BAD_TARGET');
    if (typeof pt.label !== 'string' || pt.label === '')
      throw new InputError(`${at}.label`, 'a non-empty string', pt.label, 'BAD_TARGET');
    // Residuals are matched to simulated points by label: a repeated one would be compared
    // against the wrong configuration.
    if (seen.has(pt.label))
      throw new InputError(`${at}.label`, 'a label no earlier point uses', pt.label, 'BAD_TARGET');
    seen.add(pt.label);
    const q = pt.podStartupS;
    if (typeof q !== 'object' || q === null)
      throw new InputError(`${at}.podStartupS`, 'an object {p50, p90, p99} in seconds', q, 'BAD_TARGET');
    const num = (k: 'p50' | 'p90' | 'p99') => {
      const v = q[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
        throw new InputError(`${at}.podStartupS.${k}`, 'a number of seconds > 0', v, 'BAD_TARGET');
      return v;
    };
    const out = { p50: num('p50'), p90: num('p90'), p99: num('p99') };
    if (!(out.p50 <= out.p90 && out.p90 <= out.p99))
      throw new InputError(`${at}.podStartupS`, 'p50 <= p90 <= p99', out, 'BAD_TARGET');
    return { label: pt.label, podStartupS: out };
  });
  return { source: obj.source, points };
}

/** The table as envelope points, for `envelope.reference` (overlaid in reports). */
export function tableAsReference(t: TargetTable): { source: string; points: Point[] } {
  return {
    source: t.source,
    points: t.points.map((p) => ({
      label: p.label,
      params: {},
      metrics: { podStartupS: { ...p.podStartupS, max: p.podStartupS.p99 } },
    })),
  };
}
