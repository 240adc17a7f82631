/** Small regions for the stamps tests: a few hundred registries, so a run takes a second or two. */
import { resolve } from '../../../lib/config/schema';
import type { ModelIo } from '../../../sim/experiments/model';
import { type StampsParams, stampsSchema } from '../../../sim/models/stamps/params';

export function small(tree: Record<string, unknown> = {}, sets: string[] = []): StampsParams {
  const base = {
    region: { stamps: ['A', 'B', 'C'] },
    registryPool: { minInstances: [8, 8, 8], maxInstances: [30, 30, 30] },
    dataproxyPool: { minInstances: [12, 12, 12], maxInstances: [40, 40, 40] },
    customer: {
      registries: 12,
      topCount: 2,
      topHomes: 'A,A',
      tailHomes: ['A'],
      registryCores: 2,
      dataproxyCores: 8,
    },
    tenants: { registries: 240, registryCores: [3, 3, 3], dataproxyCores: [5, 5, 5] },
  };
  return resolve(
    stampsSchema,
    [
      { source: 'test', tree: base },
      { source: 'case', tree },
    ],
    sets,
  );
}

export function recordingIo() {
  const raw: unknown[] = [];
  const progress: Array<[number, number, string]> = [];
  const io: ModelIo = {
    raw: (records) => {
      raw.push(...records);
    },
    progress: (done, total, label) => {
      progress.push([done, total, label]);
    },
  };
  return { io, raw, progress };
}

export function spread(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
}

/**
 * One customer registry on stamp A with flat demand, one connection and one layer copy, two
 * days of frequent storms (Pareto tail 4, scale 0.5 core): every minute above the baseline
 * on a pool's hottest node is a storm, its excess the storm's load there. `traffic` on top.
 */
export function oneStormyRegistry(
  cores: { registryCores: number; dataproxyCores: number },
  traffic: Record<string, unknown>,
  tree: Record<string, unknown> = {},
): StampsParams {
  return small({
    customer: { registries: 1, topCount: 1, topSharePct: 100, topHomes: 'A', ...cores },
    tenants: { registries: 0 },
    dataproxyPool: { maxKeys: 1, maxCopies: 1 },
    run: { days: 2 },
    traffic: {
      minuteCv: 0,
      dailyAmplitude: 0,
      stormsPerCoreDay: 100,
      stormCores: 0.5,
      stormTail: 4,
      ...traffic,
    },
    ...tree,
  });
}
