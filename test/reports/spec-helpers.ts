/** Reads into vega-lite specs (a wide union type) by path, for assertions. */
import type { Envelope } from '../../lib/results/envelope';

export type Row = Record<string, unknown>;

export function at(v: unknown, path: string): unknown {
  let cur: unknown = v;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

export function rows(spec: unknown, path = 'data.values'): Row[] {
  const v = at(spec, path);
  if (!Array.isArray(v)) throw new Error(`no data at ${path}`);
  return v as Row[];
}

/** A run without points or metrics: every builder must return null for it. */
export function emptyEnvelope(kind: 'sim' | 'k6' = 'sim'): Envelope {
  return {
    tool: 'stampede',
    kind,
    name: 'empty',
    seed: 1,
    params: {},
    metrics: {},
    points: [],
    runtime: { wallMs: 0, events: 0 },
  };
}
