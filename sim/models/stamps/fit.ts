/**
 * Fitting the acr-stamps-2026 preset's free parameters to the published table. The table
 * is the cumulative effect of the whole move, so the objective reads it from the
 * cheapest run that has it: day 0's peak window, then every customer registry cut over at
 * once and the next day's window (1.5 simulated days instead of the phased 12); the
 * phased preset run is then checked against the same table (test/sim/stamps).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from 'simple-statistics';
import { resolve } from '../../../lib/config/schema';
import { InputError } from '../../../lib/errors';
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
  { path: 'traffic.stormCores', unit: 'cores', lo: 0.05, hi: 10 },
  // Half a hot layer's steady demand (dataproxy coresPerKey 0.5) up to one whole 8-core
  // node: below 0.25 a layer would need more copies than its reads justify, and one copy
  // cannot serve more than the node it is cached on.
  { path: 'dataproxyPool.copyCores', unit: 'cores', lo: 0.25, hi: 8 },
  // How a storm scales with its registry (beta, traffic.stormScaleExp): 1 is every registry
  // the same number of storms sized by its own demand, towards 0 one size for everyone
  // (0 itself is outside log space; 0.02 is a 2-core registry's storms 1.4 % bigger).
  { path: 'traffic.stormScaleExp', unit: 'exponent', lo: 0.02, hi: 1 },
  // Which part of that growth is bytes per pulling node (psi, traffic.stormImageShare),
  // which the registry pool's token and manifest calls do not see: 1 is all of it (a storm's
  // registry-pool load as at beta 0), towards 0 calls follow bytes (0 is outside log space).
  { path: 'traffic.stormImageShare', unit: 'fraction', lo: 0.02, hi: 1 },
  // The cap on a storm's bytes in multiples of its registry's peak bytes (traffic.stormCapX):
  // at 1 no storm outgrows its registry's steady peak, at 1,000 only the smallest tenants'
  // (0.002 cores) are capped; 0 (no cap) is outside log space.
  { path: 'traffic.stormCapX', unit: 'x peak dataproxy demand', lo: 1, hi: 1000 },
] as const;

export type FreeParam = (typeof FREE)[number];

/**
 * The free parameters named by `paths` (a refit of some of them, every other value held
 * at the preset's), in FREE's order; an unknown path is refused.
 */
export function freeSubset(paths: readonly string[]): FreeParam[] {
  for (const path of paths)
    if (!FREE.some((f) => f.path === path))
      throw new InputError('--free', `free parameters among ${FREE.map((f) => f.path).join(', ')}`, path);
  return FREE.filter((f) => paths.includes(f.path));
}

export function getPath(p: StampsParams, path: string): number {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], p) as number;
}

export function withValues(
  p: StampsParams,
  x: readonly number[],
  free: readonly FreeParam[] = FREE,
): StampsParams {
  const q = structuredClone(p);
  free.forEach((f, i) => {
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

/** The whole customer cut over at once to a new isolation stamp, observed a day. */
export const customerPhase = (p: StampsParams): Phase => ({
  label: 'all',
  registries: customerNames(p),
  dest: 'iso-fit',
  hours: 24,
  kind: 'move',
});

/** The stamps the published table reads (A and B): the only ones the one-shot run computes. */
export const TABLE_STAMPS: readonly string[] = [...new Set(PUBLISHED.map((r) => r.stamp))];

/**
 * Signals before and after the whole customer moves at once (the table's cumulative
 * effect), for the table's stamps and the customer's new one. The other shared stamps (C,
 * D) are not computed: every registry draws from its own streams, so A's and B's signals
 * are byte-identical to the full region's, in about half the time (registries on C and D
 * are half the region's).
 */
export function oneShot(p: StampsParams, seed: number) {
  return simulatePhases({ ...p, rebalance: { ...p.rebalance, rightSize: false } }, [customerPhase(p)], seed, {
    readStamps: TABLE_STAMPS,
  }).signals;
}

/** One seed's misfit in units of the tolerances: per row the P95 change and the Max residuals, and Stamp A dataproxy's absolute P95 before. */
export function misfit(signals: Parameters<typeof residuals>[0]): number[] {
  const out: number[] = [];
  for (const r of residuals(signals))
    out.push(r.p95Residual / TOLERANCE.hotNodeP95ChangePts, r.maxResidual / TOLERANCE.maxPts);
  const a = signals.find((s) => s.stamp === 'A' && s.pool === 'dataproxy');
  const row = PUBLISHED[1];
  out.push(
    a && row?.before ? (a.before.hotNodeP95 - row.before.hotNodeP95) / TOLERANCE.hotNodeP95ChangePts : 0,
  );
  return out;
}

/**
 * The objective over seeds: per figure the median of its residual across the seeds, squared
 * and summed. The median, not one seed: Max is one minute's sample and the hot layers'
 * nodes are a hash draw, so a fit to one seed fits that seed's draw.
 */
export function score(perSeed: ReadonlyArray<Parameters<typeof residuals>[0]>): number {
  return scoreRows(perSeed.map(misfit));
}

export function scoreRows(rows: number[][]): number {
  let f = 0;
  for (let i = 0; i < (rows[0]?.length ?? 0); i++) f += median(rows.map((r) => r[i] as number)) ** 2;
  return f;
}

/**
 * An evaluation's seeds side by side, one process each, at most `PARALLEL` at a time (they
 * are independent runs; the optimiser is synchronous, so the shell waits for all of them;
 * the machine is a shared 2-core one).
 */
const PARALLEL = 2;

function parallelRows(params: StampsParams, seeds: readonly number[]): number[][] {
  const dir = mkdtempSync(join(tmpdir(), 'stamps-fit-'));
  try {
    const file = join(dir, 'params.json');
    writeFileSync(file, JSON.stringify(params));
    const script = fileURLToPath(new URL('./one-shot-seed.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const cmd = seeds
      .map((s, i) => `"$0" "$1" "$2" ${s} > "$3/${i}.json" &${(i + 1) % PARALLEL === 0 ? ' wait;' : ''}`)
      .join(' ');
    execFileSync('bash', ['-c', `${cmd} wait`, tsx, script, file, dir], { stdio: 'inherit' });
    return seeds.map((_, i) => JSON.parse(readFileSync(join(dir, `${i}.json`), 'utf8')) as number[]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function fitStamps(
  presetParams: unknown,
  seeds: readonly number[],
  evaluations: number,
  log?: (line: string) => void,
  parallel = false,
  free: readonly FreeParam[] = FREE,
) {
  const base = resolve(stampsSchema, [{ source: 'preset', tree: presetParams }]);
  // Search in log space: every free parameter is a positive scale. One starting within a
  // step of its upper bound (stormScaleExp at 1) is searched with its sign flipped, so the
  // first simplex steps it down instead of clamping that vertex back onto the start.
  // A start outside the bounds (stormScaleExp 0, the schema's default) starts at the bound.
  const step = 0.2;
  const start = free.map((f) => Math.log(Math.min(f.hi, Math.max(f.lo, getPath(base, f.path)))));
  const dir = free.map((f, i) => ((start[i] as number) + step > Math.log(f.hi) ? -1 : 1));
  const x0 = start.map((v, i) => (dir[i] as number) * v);
  const toValues = (u: readonly number[]) => u.map((v, i) => Math.exp((dir[i] as number) * v));
  const evalAt = (u: number[]) => {
    const x = toValues(u);
    const q = withValues(base, x, free);
    const f = parallel ? scoreRows(parallelRows(q, seeds)) : score(seeds.map((seed) => oneShot(q, seed)));
    log?.(`  ${x.map((v) => v.toPrecision(4)).join(' ')}: ${f.toFixed(3)}`);
    return f;
  };
  const best = nelderMead(evalAt, x0, {
    step,
    maxEvaluations: evaluations,
    onStep: (f, n) => log?.(`evaluation ${n}: score ${f.toFixed(3)}`),
  });
  const values = toValues(best.x).map((v, i) => Math.min(free[i]?.hi ?? v, Math.max(free[i]?.lo ?? v, v)));
  return { values, score: best.f, evaluations: best.evaluations, params: withValues(base, values, free) };
}

/** Each seed's one-shot residuals as printable rows, the record a preset's fit keeps per seed. */
export function perSeedRows(
  p: StampsParams,
  seeds: readonly number[],
): Array<{ seed: number; rows: string[] }> {
  return seeds.map((seed) => ({
    seed,
    rows: residuals(oneShot(p, seed)).map(
      (r) =>
        `${r.stamp} ${r.pool}: P95 ${r.hotNodeP95ChangePct}% (${r.p95Residual}), Max ${r.maxChangePts} (${r.maxResidual})`,
    ),
  }));
}
