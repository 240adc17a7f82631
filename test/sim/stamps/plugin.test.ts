/** The plug-in end to end: schema, validate, run with a recording ModelIo, table, every chart from a real run. */
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import type { Envelope } from '../../../lib/results/envelope';
import { stampsModel } from '../../../sim/models/stamps/plugin';
import { recordingIo } from './helpers';

const tree = {
  region: { stamps: ['A', 'B', 'C'] },
  registryPool: { minInstances: [8, 8, 8], maxInstances: [30, 30, 30] },
  dataproxyPool: { minInstances: [12, 12, 12], maxInstances: [40, 40, 40] },
  customer: {
    registries: 12,
    topCount: 2,
    topHomes: 'A,A',
    tailHomes: ['A'],
    registryCores: 1,
    dataproxyCores: 4,
  },
  tenants: { registries: 240, registryCores: [3, 3, 3], dataproxyCores: [9, 1, 1] },
  rebalance: { rightSize: true },
  plan: { enabled: true, thresholdPct: 30 },
};

describe('stamps plug-in', () => {
  it('plans, runs, prints and charts a rebalancing', () => {
    const params = resolve(stampsModel.schema, [{ source: 'test', tree }]);
    stampsModel.validate?.(params, { layers: [{ source: 'test', tree }], sets: [] });
    const { io, raw, progress } = recordingIo();
    const result = stampsModel.run(params, 1, io);
    expect(result.events).toBeGreaterThan(0);
    expect(progress.at(-1)?.[2]).toBe('done');
    const signals = result.metrics.signals as Array<{
      stamp: string;
      pool: string;
      before: Record<string, number>;
      after: Record<string, number>;
    }>;
    expect(signals.map((s) => `${s.stamp} ${s.pool}`)).toEqual(
      expect.arrayContaining([
        'A registry',
        'A dataproxy',
        'B registry',
        'B dataproxy',
        'C registry',
        'C dataproxy',
      ]),
    );
    for (const s of signals)
      for (const k of ['hotNodeP95', 'max', 'average']) expect(typeof s.before[k]).toBe('number');
    const phases = result.metrics.phases as Array<{ kind: string }>;
    expect(phases.at(-1)?.kind).toBe('right-size');
    // Right-sizing lowered A's dataproxy minimum: its traffic fell.
    const a = (result.metrics.signals as Array<{ stamp: string; pool: string; minInstances: number }>).find(
      (s) => s.stamp === 'A' && s.pool === 'dataproxy',
    );
    expect(a?.minInstances).toBeLessThan(12);
    expect(raw.length).toBeGreaterThan(1000);

    const env: Envelope = {
      tool: 'stampede',
      kind: 'sim',
      name: 'stamps',
      seed: 1,
      params: params as unknown as Record<string, unknown>,
      metrics: result.metrics,
      points: result.points,
      runtime: { wallMs: 0, events: result.events },
    };
    const lines = stampsModel.table(env);
    expect(lines.some((l) => l.startsWith('A dataproxy'))).toBe(true);
    expect(lines.some((l) => l.includes('plan:'))).toBe(true);
    for (const chart of stampsModel.charts ?? []) {
      const spec = chart.build({
        envelope: env,
        raw: raw as Array<Record<string, unknown>>,
        label: 'run',
      }) as Record<string, unknown> | null;
      expect(spec, chart.id).not.toBeNull();
      const values = (spec?.data as { values?: unknown[] } | undefined)?.values;
      expect(values?.length, chart.id).toBeGreaterThan(0);
      expect(chart.caption({ envelope: env, raw: [], label: 'run' }).length).toBeGreaterThan(0);
    }
    // The hot-node chart: one panel per pool and window, titled with what its filter picks
    // (a facet over filtered layers drew each pool a row below its label in Chromium).
    const hot = stampsModel.charts
      ?.find((c) => c.id.includes('hot'))
      ?.build({ envelope: env, raw: raw as Array<Record<string, unknown>>, label: 'run' }) as {
      vconcat: Array<{
        hconcat: Array<{
          title: { text: string };
          transform: Array<{ filter: { and: Array<{ field: string; equal: string }> } }>;
        }>;
      }>;
    };
    const panels = hot.vconcat.flatMap((r) => r.hconcat);
    expect(panels.length).toBeGreaterThanOrEqual(2 * 6);
    for (const p of panels) {
      const [pool, window] = p.transform[0]?.filter.and.map((f) => f.equal) ?? [];
      expect(p.title.text).toBe(`${pool}, ${window}`);
    }
  }, 300_000);

  it('charts return null for a run without stamps data', () => {
    const env: Envelope = {
      tool: 'stampede',
      kind: 'sim',
      name: 'x',
      seed: 1,
      params: {},
      metrics: {},
      points: [],
      runtime: { wallMs: 0, events: 0 },
    };
    for (const chart of stampsModel.charts ?? [])
      expect(chart.build({ envelope: env, raw: [], label: 'x' })).toBeNull();
  });
});
