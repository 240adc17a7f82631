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

/**
 * Compiles a spec with vega-lite and runs its dataflow with vega in Node, as the page would:
 * the warnings either logged (none expected) and the number of data-mark items drawn.
 */
export async function drawInNode(
  spec: unknown,
): Promise<{ warnings: string[]; marks: number; width: number; height: number }> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const { EMBED_CONFIG } = await import('../../reports/html/boot');
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    error: (...a: unknown[]) => warnings.push(`error: ${a.join(' ')}`),
    warn: (...a: unknown[]) => warnings.push(`warn: ${a.join(' ')}`),
    info: () => logger,
    debug: () => logger,
  };
  const compiled = vl.compile(spec as never, { config: EMBED_CONFIG as never, logger: logger as never });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none', logger } as never);
  view.logLevel(vega.Warn);
  await view.runAsync();
  const count = (node: unknown): number => {
    const n = node as { marktype?: string; role?: string; items?: unknown[] };
    let c = 0;
    for (const item of n.items ?? []) {
      if (n.marktype && n.marktype !== 'group' && n.role === 'mark') c++;
      for (const child of (item as { items?: unknown[] }).items ?? []) c += count(child);
    }
    return c;
  };
  const marks = count((view.scenegraph() as unknown as { root: unknown }).root);
  const svg = await view.toSVG();
  view.finalize();
  return {
    warnings: warnings.filter((w) => !/event source: window/.test(w)),
    marks,
    width: Number(/width="([\d.]+)"/.exec(svg)?.[1]),
    height: Number(/height="([\d.]+)"/.exec(svg)?.[1]),
  };
}
