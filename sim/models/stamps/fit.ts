/**
 * Fitting the acr-stamps-2026 preset's free parameters to the published table. The table
 * is the cumulative effect of the whole move, so the objective reads it from the
 * cheapest run that has it: day 0's peak window, then every customer registry cut over at
 * once and the next day's window (1.5 simulated days instead of the phased 12); the
 * phased preset run is then checked against the same table (test/sim/stamps).
 */
import { resolve } from '../../../lib/config/schema';
import { nelderMead } from '../../experiments/nelder-mead';
import { simulatePhases } from './model';
import { type StampsParams, stampsSchema } from './params';
import type { Phase } from './phases';
import { PUBLISHED, residuals, TOLERANCE } from './published';
import { customerNames } from './region';

/** The free parameters: path in the tree, unit, bounds. Everything else in the preset is set. */
export const FREE = [
  { path: 'customer.dataproxyCores', unit: 'cores', lo: 1, hi: 60 },
  { path: 'customer.registryCores', unit: 'cores', lo: 0.2, hi: 30 },
  { path: 'tenants.registryCores.0', unit: 'cores', lo: 0.5, hi: 60 },
  { path: 'tenants.registryCores.1', unit: 'cores', lo: 0.5, hi: 60 },
  { path: 'tenants.dataproxyCores.0', unit: 'cores', lo: 0.5, hi: 60 },
  { path: 'tenants.dataproxyCores.1', unit: 'cores', lo: 0.5, hi: 60 },
  { path: 'traffic.stormSize', unit: 'x peak demand', lo: 0.1, hi: 20 },
] as const;

export function getPath(p: StampsParams, path: string): number {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], p) as number;
}

export function withValues(p: StampsParams, x: readonly number[]): StampsParams {
  const q = structuredClone(p);
  FREE.forEach((f, i) => {
    const keys = f.path.split('.');
    const last = keys.pop() as string;
    const parent = keys.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], q) as Record<
      string,
      unknown
    >;
    parent[last] = Math.min(f.hi, Math.max(f.lo, x[i] as number));
  });
  return q;
}

/** Signals before and after the whole customer moves at once (the table's cumulative effect). */
export function oneShot(p: StampsParams, seed: number) {
  const phase: Phase = {
    label: 'all',
    registries: customerNames(p),
    dest: 'iso-fit',
    hours: 24,
    kind: 'move',
  };
  return simulatePhases({ ...p, rebalance: { ...p.rebalance, rightSize: false } }, [phase], seed).signals;
}

/** Squared residuals in units of the tolerances, plus Stamp A dataproxy's absolute P95. */
export function score(signals: Parameters<typeof residuals>[0]): number {
  let f = 0;
  for (const r of residuals(signals)) {
    f += (r.p95Residual / TOLERANCE.hotNodeP95ChangePts) ** 2 + (r.maxResidual / TOLERANCE.maxPts) ** 2;
  }
  const a = signals.find((s) => s.stamp === 'A' && s.pool === 'dataproxy');
  const row = PUBLISHED[1];
  if (a && row?.before)
    f += ((a.before.hotNodeP95 - row.before.hotNodeP95) / TOLERANCE.hotNodeP95ChangePts) ** 2;
  return f;
}

export function fitStamps(
  presetParams: unknown,
  seed: number,
  evaluations: number,
  log?: (line: string) => void,
) {
  const base = resolve(stampsSchema, [{ source: 'preset', tree: presetParams }]);
  // Search in log space: every free parameter is a positive scale.
  const x0 = FREE.map((f) => Math.log(getPath(base, f.path)));
  const evalAt = (lx: number[]) => score(oneShot(withValues(base, lx.map(Math.exp)), seed));
  const best = nelderMead(evalAt, x0, {
    step: 0.25,
    maxEvaluations: evaluations,
    onStep: (f, n) => log?.(`evaluation ${n}: score ${f.toFixed(3)}`),
  });
  const values = best.x
    .map(Math.exp)
    .map((v, i) => Math.min(FREE[i]?.hi ?? v, Math.max(FREE[i]?.lo ?? v, v)));
  return { values, score: best.f, evaluations: best.evaluations, params: withValues(base, values) };
}
