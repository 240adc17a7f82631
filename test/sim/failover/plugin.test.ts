/**
 * The failover plug-in through its contract (schema via resolve(), validate, run with a
 * recording ModelIo, table, charts) and the behaviours the issue names: a 429 storm and a
 * crashed health monitor never fail over, global-endpoint-routing false purges at once,
 * a single region keeps being answered, bad input names its field.
 */
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { InputError } from '../../../lib/errors';
import type { Envelope } from '../../../lib/results/envelope';
import { failoverCdfRows, failoverCdfSpec } from '../../../reports/charts/failover-cdf';
import { regionShareRows, regionShareSpec } from '../../../reports/charts/failover-region-share';
import type { ReportRun } from '../../../reports/types';
import type { ModelIo } from '../../../sim/experiments/model';
import type { FailoverParams } from '../../../sim/models/failover/params';
import { failoverModel } from '../../../sim/models/failover/plugin';

class RecordingIo implements ModelIo {
  records: Record<string, unknown>[] = [];
  progressCalls: Array<[number, number, string]> = [];
  raw(records: readonly unknown[]): void {
    this.records.push(...(records as Record<string, unknown>[]));
  }
  progress(done: number, total: number, label: string): void {
    this.progressCalls.push([done, total, label]);
  }
}

function params(sets: string[] = []): FailoverParams {
  return resolve(failoverModel.schema, [], sets);
}

function run(sets: string[] = [], seed = 1) {
  const p = params(['clients.count=40', ...sets]);
  failoverModel.validate?.(p, { layers: [], sets });
  const io = new RecordingIo();
  const result = failoverModel.run(p, seed, io);
  const envelope: Envelope = {
    tool: 'stampede',
    kind: 'sim',
    name: 'failover',
    seed,
    params: p as unknown as Record<string, unknown>,
    metrics: result.metrics,
    points: result.points,
    runtime: { wallMs: 0, events: result.events },
  };
  return { p, io, result, envelope, m: result.metrics as Record<string, unknown> };
}

function inputError(sets: string[]): InputError {
  try {
    const p = params(sets);
    failoverModel.validate?.(p, { layers: [], sets });
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`no error for ${sets.join(' ')}`);
}

describe('failover plug-in: contract', () => {
  it('is named failover and its schema resolves Azure defaults', () => {
    expect(failoverModel.name).toBe('failover');
    const p = params();
    expect(p.trafficManager).toMatchObject({ probeIntervalS: 30, toleratedFailures: 3, probeTimeoutS: 10 });
    expect(p.health.sustainS).toBe(60);
  });

  it('region-down with Azure defaults: detection within [90, 120) s, raw records per client, per bin, per transition', () => {
    const { io, m, result, envelope } = run();
    const det = m.detectionS as number;
    expect(det).toBeGreaterThanOrEqual(90);
    expect(det).toBeLessThan(120);
    expect(result.events).toBeGreaterThan(0);
    const clients = io.records.filter((r) => r.kind === 'client');
    expect(clients).toHaveLength(40);
    expect(io.records.some((r) => r.kind === 'bin')).toBe(true);
    expect(io.records.filter((r) => r.kind === 'tm').map((r) => r.to)).toEqual(['degraded', 'online']);
    expect(io.progressCalls.at(-1)?.[0]).toBe(1500);
    const q = m.failoverS as { p50: number; max: number };
    expect(q.p50).toBeGreaterThan(det);
    expect(m.clientsSwitched).toBe(40);
    const errors = m.errors as { total: number; byCode: Record<string, number> };
    expect(errors.byCode.UNAVAILABLE).toBe(errors.total);
    expect(errors.total).toBeGreaterThan(0);
    const lines = failoverModel.table(envelope);
    expect(lines.join('\n')).toMatch(
      /detection \(Traffic Manager\)\s+\d+\.\d s\s+bounds 90\.0 \.\. 120\.0 s/,
    );
    expect(lines.join('\n')).toContain('clients switched region      40 of 40');
  });

  it('the same seed gives the same result; another seed moves the probe phase', () => {
    expect(run([], 3).m).toEqual(run([], 3).m);
    expect(run([], 4).m.detectionS).not.toEqual(run([], 3).m.detectionS);
  });

  it('region share: all home before the fault, all elsewhere between detection+TTLs and clear, home after', () => {
    const { m } = run(['cache.cluster.mode=none']);
    const rows = m.regionShare as Array<{ t: number; region: string; share: number }>;
    const share = (t: number, region: string) => rows.find((r) => r.t === t && r.region === region)?.share;
    expect(share(200, 'eastus')).toBe(1);
    expect(share(600, 'westus')).toBe(1);
    expect(share(1200, 'eastus')).toBe(1);
  });
});

describe('failover plug-in: what never fails over', () => {
  it('a 429 storm (every request throttled) never moves the answers', () => {
    const { m, io } = run(['fault.kind=throttle', 'fault.rate=1']);
    expect(m.detectionS).toBeNull();
    expect(m.clientsSwitched).toBe(0);
    expect(io.records.filter((r) => r.kind === 'tm')).toHaveLength(0);
    const errors = m.errors as { total: number; byCode: Record<string, number> };
    expect(errors.byCode.TOOMANYREQUESTS).toBeGreaterThan(1000);
  });

  it('front errors at 50% fail requests but the deep-health probe stays healthy', () => {
    const { m } = run(['fault.kind=front-errors', 'fault.rate=0.5']);
    expect(m.detectionS).toBeNull();
    expect(m.clientsSwitched).toBe(0);
    expect((m.errors as { byCode: Record<string, number> }).byCode.UNKNOWN).toBeGreaterThan(100);
  });

  it('a crashed health monitor fails open: no failover, no failed request', () => {
    const { m } = run(['fault.kind=health-monitor-crash']);
    expect(m.detectionS).toBeNull();
    expect(m.clientsSwitched).toBe(0);
    expect((m.errors as { total: number }).total).toBe(0);
  });

  it('ablation: storage-fail fails over, the same storage-fail with the monitor crashed does not', () => {
    const fails = run(['fault.kind=storage-fail']);
    expect(fails.m.detectionS).not.toBeNull();
    expect(fails.m.clientsSwitched).toBe(40);
    const open = run(['fault.kind=storage-fail', 'health.crashDuringFault=true']);
    expect(open.m.detectionS).toBeNull();
    expect(open.m.clientsSwitched).toBe(0);
    expect((open.m.errors as { byCode: Record<string, number> }).byCode.STORAGE_UNAVAILABLE).toBeGreaterThan(
      0,
    );
  });

  it('a single region that degrades is still answered (all degraded answers all)', () => {
    const { m, io } = run(['regions.names=eastus', 'fault.kind=region-down']);
    expect(m.detectionS).not.toBeNull();
    expect(m.clientsSwitched).toBe(0);
    expect(io.records.filter((r) => r.kind === 'bin').every((r) => r.region === 'eastus')).toBe(true);
  });

  it('a transient blip shorter than the sustain window never fails over', () => {
    const { m } = run(['fault.kind=storage-fail', 'fault.startS=300', 'fault.clearS=340']);
    expect(m.detectionS).toBeNull();
  });
});

describe('failover plug-in: what each cache layer adds (ablation, across seeds)', () => {
  it('no cache: every client within D + one gap + one pull; k6 dns.ttl 300 s: the tail grows by minutes', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const bare = run(['fault.kind=storage-fail', 'cache.cluster.mode=none'], seed).m;
      const det = bare.detectionS as number;
      const max = (bare.failoverS as { max: number }).max;
      expect(max).toBeLessThanOrEqual(det + 2 + 1 + 2 + 1e-9);
      const k6 = run(
        [
          'fault.kind=storage-fail',
          'cache.cluster.mode=none',
          'cache.client.mode=fixed',
          'cache.client.ttlS=300',
        ],
        seed,
      ).m;
      expect(k6.detectionS).toBe(det); // same seed, same probe and health clocks
      const q = k6.failoverS as { p50: number; max: number };
      expect(q.max).toBeGreaterThan(det + 200);
      expect(q.max).toBeLessThanOrEqual(det + 300 + 5 + 1e-9);
      expect(q.p50).toBeGreaterThan(det + 60);
    }
  });
});

describe('failover plug-in: global-endpoint-routing false', () => {
  it('is an immediate purge: detection 0, clients move within their cache staleness, no failed request', () => {
    const { m } = run(['fault.kind=replica-exclude', 'cache.cluster.mode=cap', 'cache.cluster.ttlS=30']);
    expect(m.detectionS).toBe(0);
    const sw = m.switchedS as { max: number };
    const b = m.bounds as { stalenessMax: number };
    expect(sw.max).toBeLessThanOrEqual(b.stalenessMax + 3 + 2);
    expect((m.errors as { total: number }).total).toBe(0);
    expect(m.failbackDetectionS).toBe(0);
  });

  it('ablation: with a long-lived client cache the purge looks broken for that long', () => {
    const { m } = run([
      'fault.kind=replica-exclude',
      'cache.cluster.mode=none',
      'cache.client.mode=fixed',
      'cache.client.ttlS=300',
    ]);
    const sw = m.switchedS as { p50: number; max: number };
    expect(sw.max).toBeGreaterThan(200);
    expect(sw.max).toBeLessThanOrEqual(300 + 3 + 2);
  });
});

describe('failover plug-in: bad input names the field', () => {
  it.each([
    [['trafficManager.probeIntervalS=0'], 'trafficManager.probeIntervalS'],
    [['trafficManager.toleratedFailures=-1'], 'trafficManager.toleratedFailures'],
    [['fault.startS=2000'], 'fault.startS'],
    [['fault.kind=meteor'], 'fault.kind'],
    [['fault.clearS=100'], 'fault.clearS'],
    [['fault.region=mars'], 'fault.region'],
    [['trafficManager.probeTimeoutS=30'], 'trafficManager.probeTimeoutS'],
    [['trafficManager.agentsToDegrade=2'], 'trafficManager.agentsToDegrade'],
    [['cache.client.mode=forever'], 'cache.client.mode'],
  ])('%s -> %s', (sets, field) => {
    const e = inputError(sets);
    expect(e.field).toBe(field);
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain(field);
  });
});

describe('failover charts', () => {
  it('CDF and region-share charts build from the summary and, without it, from raw records', () => {
    const { envelope, io } = run(['fault.kind=storage-fail']);
    const sim: ReportRun = { envelope, raw: io.records, label: 'sim' };
    const rows = failoverCdfRows(sim);
    expect(rows.filter((r) => r.phase === 'failover').at(-1)?.fraction).toBe(1);
    expect(rows.filter((r) => r.phase === 'failback').length).toBeGreaterThan(0);
    for (const chart of failoverModel.charts ?? []) expect(chart.build(sim)).not.toBeNull();
    // A measured run writing only raw records (what the k6 scenario will write) overlays.
    const measured: ReportRun = {
      envelope: { ...envelope, kind: 'k6', metrics: {} },
      raw: io.records,
      label: 'lab',
    };
    const fromRaw = failoverCdfRows(measured).filter((r) => r.phase === 'failover');
    expect(fromRaw.at(-1)?.value).toBeCloseTo(
      rows.filter((r) => r.phase === 'failover').at(-1)?.value ?? 0,
      9,
    );
    expect(regionShareRows(measured).length).toBe(regionShareRows(sim).length);
    const overlay = failoverCdfSpec([sim, measured]) as { data: { values: Array<{ source?: string }> } };
    const series = new Set(overlay.data.values.map((v) => v.source).filter(Boolean));
    expect([...series].sort()).toEqual(['lab (measured)', 'sim (simulated)']);
    const share = regionShareSpec([sim, measured]);
    expect(share).not.toBeNull();
    // both specs are valid vega-lite (compile throws on a malformed spec)
    for (const spec of [overlay, share]) expect(compile(spec as never).spec).toBeTruthy();
    expect(failoverCdfSpec([{ ...measured, raw: [] }])).toBeNull();
  });
});
