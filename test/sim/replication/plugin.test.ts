/**
 * The replication plug-in through its contract (schema via resolve(), validate, run with a
 * recording ModelIo, table, charts) and the behaviours the issue names: tag overwrite
 * (last write wins, stale digests until d2 lands, wait-webhook never stale), delete
 * propagation, the two bounded-staleness designs, and bad input naming its field.
 */
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { InputError } from '../../../lib/errors';
import type { Envelope } from '../../../lib/results/envelope';
import { windowSpec } from '../../../reports/charts/replication-disagreement';
import { lagCdfSpec } from '../../../reports/charts/replication-lag-cdf';
import { offsetSpec } from '../../../reports/charts/replication-offsets';
import { scatterSpec } from '../../../reports/charts/replication-scatter';
import type { ReportRun } from '../../../reports/types';
import type { ModelIo } from '../../../sim/experiments/model';
import { findModel } from '../../../sim/experiments/registry';
import type { ReplicationParams } from '../../../sim/models/replication/params';
import { replicationModel } from '../../../sim/models/replication/plugin';

class RecordingIo implements ModelIo {
  records: Record<string, unknown>[] = [];
  raw(records: readonly unknown[]): void {
    this.records.push(...(records as Record<string, unknown>[]));
  }
  progress(): void {}
}

function params(sets: string[]): ReplicationParams {
  return resolve(replicationModel.schema, [], sets);
}

function run(sets: string[] = [], seed = 1) {
  const all = ['pullers.count=600', 'pushes.count=60', 'scatter.pushes=2000', ...sets];
  const p = params(all);
  replicationModel.validate?.(p, { layers: [], sets: all });
  const io = new RecordingIo();
  const result = replicationModel.run(p, seed, io);
  const envelope: Envelope = {
    tool: 'stampede',
    kind: 'sim',
    name: 'replication',
    seed,
    params: p as unknown as Record<string, unknown>,
    metrics: result.metrics,
    points: result.points,
    runtime: { wallMs: 0, events: result.events },
  };
  const point = (s: string) => result.points.find((x) => x.label === s)?.metrics as Record<string, unknown>;
  return { io, result, envelope, point, m: result.metrics as Record<string, unknown> };
}

function inputError(sets: string[]): InputError {
  try {
    const p = params(sets);
    replicationModel.validate?.(p, { layers: [], sets });
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`no error for ${sets.join(' ')}`);
}

describe('sim replication plug-in', () => {
  it('is registered and writes the envelope: one point per strategy, lag quantiles, errors by code', () => {
    expect(findModel('replication')).toBe(replicationModel);
    const { result, envelope, io, m } = run();
    expect(result.points.map((x) => x.label)).toEqual([
      'none',
      'retry',
      'fixed-sleep',
      'wait-webhook',
      'pin-home',
    ]);
    expect((m.replicationLagS as { p50: number }).p50).toBeGreaterThan(3);
    const errors = m.errors as { total: number; byCode: Record<string, number> };
    expect(errors.byCode.MANIFEST_UNKNOWN).toBeGreaterThan(0);
    expect(errors.byCode.BLOB_UNKNOWN).toBe(0);
    expect(io.records.filter((r) => r.kind === 'puller')).toHaveLength(600 * 5);
    expect(io.records.filter((r) => r.kind === 'lag')).toHaveLength(60 * 2);
    const table = replicationModel.table(envelope);
    expect(table.join('\n')).toMatch(/wait-webhook\s+0\.0%/);
  });

  it('tag overwrite: d2 never lands before d1 anywhere; none reads stale digests, wait-webhook and pin-home never do', () => {
    const { point, m, io } = run(['mode=overwrite', 'overwrite.gapS=10', 'replication.jitterS=6']);
    expect(point('none').staleShare as number).toBeGreaterThan(0.9); // d1 landed nearly everywhere, d2 nowhere yet
    // A stale answer is not an error: retry keeps it, and its retries of a 404 end on d1 too.
    expect(point('retry').staleShare as number).toBeGreaterThanOrEqual(point('none').staleShare as number);
    expect(point('wait-webhook').staleShare).toBe(0);
    expect(point('pin-home').staleShare).toBe(0);
    expect((m.disagreementS as { p50: number }).p50).toBeGreaterThan(3);
    const lags = io.records.filter((r) => r.kind === 'lag') as Array<{
      push: number;
      second: boolean;
      region: string;
      lagS: number;
    }>;
    const land = (push: number, second: boolean, region: string) => {
      const l = lags.find((x) => x.push === push && x.second === second && x.region === region);
      return l ? l.lagS : Number.NaN;
    };
    // The lag of d2 is from its own ack (10 s after d1's ack): d2 lands at or after d1.
    for (const l of lags.filter((x) => !x.second))
      expect(l.lagS).toBeLessThanOrEqual(10 + land(l.push, true, l.region) + 1e-9);
  });

  it('delete: the content stays pullable elsewhere for about base + jitter; none pulls ghosts at offset 0', () => {
    const { point, m } = run([
      'mode=delete',
      'replication.baseLagS=2',
      'replication.jitterS=2',
      'replication.concurrency=100',
      'pushes.count=400',
    ]);
    const w = m.disagreementS as { p50: number; max: number };
    expect(w.max).toBeLessThan(4 + 1e-9);
    expect(w.p50).toBeGreaterThan(2);
    expect(point('none').ghostShare).toBe(1);
    expect(point('wait-webhook').ghostShare).toBe(0);
  });

  it('design (a) proxy: none stops failing, at the cost of a cross-region pull; design (b) ack-after-all: 0 failed, push latency = slowest replica', () => {
    const base = run(['strategies=none']);
    const proxy = run(['strategies=none', 'consistency.proxyPull=true', 'pullers.crossRegionS=0.3']);
    expect(base.point('none').failedShare).toBe(1);
    expect(proxy.point('none').failedShare).toBe(0);
    expect((proxy.point('none').pullLatencyS as { p50: number }).p50).toBeCloseTo(0.3, 9);
    const ack = run(['strategies=none', 'consistency.ackReplicas=3']);
    expect(ack.point('none').failedShare).toBe(0);
    const pushP50 = (ack.m.pushLatencyS as { p50: number }).p50;
    expect(pushP50).toBeGreaterThan((base.m.replicationLagS as { p50: number }).p50);
    expect((base.m.pushLatencyS as { max: number }).max).toBe(0);
  });

  it('bad input names the field', () => {
    expect(inputError(['pullers.offsetS=-1']).field).toBe('pullers.offsetS');
    expect(inputError(['pullers.offsets=1,-2']).field).toBe('pullers.offsets[1]');
    expect(inputError(['strategies=none,sleepy']).field).toBe('strategies[1]');
    expect(inputError(['scatter.flapIntervalS=0']).field).toBe('scatter.flapIntervalS');
    expect(inputError(['scatter.mitigations=hope']).field).toBe('scatter.mitigations[0]');
    expect(inputError(['regions.home=mars']).field).toBe('regions.home');
    expect(inputError(['pullers.regions=mars']).field).toBe('pullers.regions[0]');
    expect(inputError(['consistency.ackReplicas=4']).field).toBe('consistency.ackReplicas');
  });

  it('charts build and compile for a simulated run and overlay a measured one', () => {
    const sim = run(['pullers.offsets=0,2,4,6']);
    const ov = run(['mode=overwrite']);
    const a: ReportRun = { envelope: sim.envelope, raw: sim.io.records, label: 'sim' };
    const b: ReportRun = { envelope: { ...sim.envelope, kind: 'k6' }, raw: [], label: 'lab' };
    const o: ReportRun = { envelope: ov.envelope, raw: ov.io.records, label: 'sim' };
    const specs = [lagCdfSpec([a, b]), offsetSpec([a, b]), scatterSpec([a, b]), windowSpec([o])];
    for (const spec of specs) {
      expect(spec).not.toBeNull();
      expect(compile(spec as never).spec).toBeTruthy();
    }
    for (const c of replicationModel.charts ?? []) expect(c.caption(o).length).toBeGreaterThan(20);
    // A lab run only has raw lag records: the CDF comes from them.
    const rawOnly: ReportRun = {
      envelope: { ...sim.envelope, kind: 'k6', metrics: {} },
      raw: [{ kind: 'lag', region: 'westus', lagS: 1.5 }],
      label: 'lab',
    };
    expect(lagCdfSpec([rawOnly])).not.toBeNull();
  });
});
