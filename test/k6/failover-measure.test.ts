/**
 * The failover scenario's pure parts: k6 points + the runner's schedule -> the simulator's
 * per-client metrics (measure.ts), the twin's parameters (twin.ts), the region header
 * wrapper (served-by.ts) and the lab-settings check, on hand-built points whose answers
 * are worked out in the comments.
 */
import { describe, expect, it } from 'vitest';
import { defaults, resolve } from '../../lib/config/schema';
import { InputError } from '../../lib/errors';
import type { FailoverSchedule } from '../../lib/k6/failover/measure';
import { measureFailover, requestsOf } from '../../lib/k6/failover/measure';
import { type FailoverRunParams, failoverRunSchema } from '../../lib/k6/failover/params';
import { checkLabSettings, failoverScenario } from '../../lib/k6/failover/scenario';
import { faultBody } from '../../lib/k6/failover/schedule';
import { compareTwin, twinParams } from '../../lib/k6/failover/twin';
import type { VuHttp, VuResponse } from '../../lib/k6/vu/http';
import { withServedBy } from '../../lib/k6/vu/served-by';
import { labSchema } from '../../lib/lab/config';
import { failoverSchema } from '../../sim/models/failover/params';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** One failover_request point: a pull of `durS` ending at `endS` after T0. */
function pull(vu: number, endS: number, durS: number, region: string, code = '') {
  return {
    type: 'Point',
    metric: 'failover_request',
    data: {
      time: new Date(T0 + endS * 1000).toISOString(),
      value: durS * 1000,
      tags: { vu: String(vu), result: code ? 'failed' : 'ok', region, ...(code ? { code } : {}) },
    },
  };
}

const schedule: FailoverSchedule = {
  t0Ms: T0,
  home: 'eastus',
  regions: ['eastus', 'westus'],
  fault: { kind: 'region-down', region: 'eastus', sinceMs: T0 + 10_000, clearedMs: T0 + 30_000 },
  transitions: [
    { atMs: T0 + 14_500, region: 'eastus', to: 'degraded' },
    { atMs: T0 + 30_500, region: 'eastus', to: 'online' },
  ],
  probeAtMs: T0 + 8_500,
  lookupsMs: [T0 + 1_000, T0 + 6_100, T0 + 11_200, T0 + 16_300],
  settings: {},
};

const params = (sets: string[] = []): FailoverRunParams =>
  resolve(failoverRunSchema, [], sets) as FailoverRunParams;

describe('measureFailover', () => {
  const records = [
    pull(1, 9, 0.1, 'eastus'), // before the fault: a success, counts for nothing
    pull(1, 10.05, 0.1, 'eastus', 'UNAVAILABLE'), // started 9.95, before F: not in the window
    pull(1, 11, 0.1, 'eastus', 'UNAVAILABLE'), // started 10.9: failed #1
    pull(1, 12, 0.1, 'eastus', 'UNAVAILABLE'), // failed #2
    pull(1, 17, 0.1, 'westus'), // first success: failover 7 s, switched 7 s
    pull(1, 31, 0.1, 'westus'), // after the clear (started 30.9), still away: no failback yet
    pull(1, 32, 0.1, 'eastus', 'UNAVAILABLE'), // a failure during failback
    pull(1, 36, 0.1, 'eastus'), // home again: failback 6 s
    pull(2, 12, 0.1, 'eastus', 'UNAVAILABLE'),
    pull(2, 21, 0.1, 'westus'), // failover 11 s
    pull(2, 40, 0.1, 'westus'), // never back home
    pull(3, 9, 0.1, 'eastus'), // VU 3 never succeeds after the fault
    pull(3, 13, 0.1, 'eastus', 'UNAVAILABLE'),
    { type: 'Point', metric: 'http_reqs', data: { time: new Date(T0).toISOString(), value: 1 } },
  ];
  const p = { vus: 3, binS: 10, durationS: 40 };
  const { metrics: m, raw } = measureFailover(records, schedule, p);

  it('reads one request per failover_request point, start = end - duration', () => {
    const reqs = requestsOf(records, T0);
    expect(reqs).toHaveLength(13);
    expect(reqs[0]).toMatchObject({ vu: 1, startS: 8.9, endS: 9, ok: true, region: 'eastus' });
  });

  it('computes per-VU failover, switch, failback and failures with the simulator definitions', () => {
    const clients = raw.filter((r) => r.kind === 'client');
    expect(clients).toEqual([
      {
        kind: 'client',
        client: 1,
        failoverS: 7,
        failedBeforeSuccess: 2,
        switchedS: 7,
        failbackS: 6,
        failedDuringFailback: 1,
      },
      {
        kind: 'client',
        client: 2,
        failoverS: 11,
        failedBeforeSuccess: 1,
        switchedS: 11,
        failbackS: null,
        failedDuringFailback: 0,
      },
      {
        kind: 'client',
        client: 3,
        failoverS: null,
        failedBeforeSuccess: 1,
        switchedS: null,
        failbackS: null,
        failedDuringFailback: 0,
      },
    ]);
    expect(m.clientsSwitched).toBe(2);
    expect(m.clientsWithoutSuccess).toBe(1);
    expect(m.failoverMinS).toBe(7);
    expect(m.failoverMeanS).toBe(9);
    expect(m.failbackS).toMatchObject({ p50: 6, max: 6 });
    expect(m.errors).toEqual({ total: 6, byCode: { UNAVAILABLE: 6 } });
  });

  it('takes detection and failback detection from the lab transitions, relative to F and C', () => {
    expect(m.detectionS).toBe(4.5);
    expect(m.failbackDetectionS).toBe(0.5);
    expect(m.faultWindow).toEqual({ kind: 'region-down', region: 'eastus', startS: 10, clearS: 30 });
    expect(m.tmTransitions).toEqual([
      { t: 14.5, region: 'eastus', to: 'degraded' },
      { t: 30.5, region: 'eastus', to: 'online' },
    ]);
  });

  it('bins requests by end time per region; the region share sums to 1 per bin with failures', () => {
    const bins = raw.filter((r) => r.kind === 'bin');
    // bin 10..20: eastus failed at 10.05, 11, 12 (VU 1), 12 (VU 2), 13 (VU 3); westus served 17
    expect(bins.find((b) => b.t === 10 && b.region === 'eastus')).toMatchObject({ served: 0, failed: 5 });
    expect(bins.find((b) => b.t === 10 && b.region === 'westus')).toMatchObject({ served: 1, failed: 0 });
    const share = m.regionShare as Array<{ t: number; region: string; share: number }>;
    const inBin = share.filter((r) => r.t === 10);
    expect(inBin.find((r) => r.region === 'failed')?.share).toBeCloseTo(5 / 6, 10);
    expect(inBin.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 10);
  });
});

describe('twinParams', () => {
  const p = params(['vus=3', 'dns.ttl=5s']);
  const { metrics } = measureFailover(
    [pull(1, 5, 0.2, 'eastus'), pull(1, 12, 0.004, 'eastus', 'X')],
    schedule,
    {
      vus: 3,
      binS: 2,
      durationS: 60,
    },
  );
  const twin = twinParams(p, schedule, metrics);

  it('is a valid sim failover parameter tree', () => {
    expect(() => resolve(failoverSchema, [{ source: 'twin', tree: twin }])).not.toThrow();
  });

  it('pins the probe phase and the shared k6 cache to what the lab saw before the fault', () => {
    const t = resolve(failoverSchema, [{ source: 'twin', tree: twin }]);
    expect(t.trafficManager).toMatchObject({ probeIntervalS: 2, probePhase: 'fixed', probeOffsetS: 0.5 });
    // last lookup at or before F = 10 s was at 6.1 s: that fill expires 5 s later
    expect(t.cache.node).toEqual({ mode: 'fixed', ttlS: 5, firstExpiryS: 11.1 });
    expect(t.cache.clientsPerNode).toBe(3);
    expect(t.cache.client.mode).toBe('none');
    expect(t.cache.cluster.mode).toBe('none');
    expect(t.fault).toMatchObject({ kind: 'region-down', startS: 10, clearS: 30 });
    expect(t.clients).toMatchObject({ count: 3, pullS: 0.2, failS: 0.004, thinkS: 0.5 });
  });
});

describe('compareTwin', () => {
  it('allows ±10% or ±1 probe interval, whichever is larger', () => {
    const rows = compareTwin(
      { failoverS: { p50: 9, p90: 30, p99: 0, max: 0 }, failbackS: null },
      { failoverS: { p50: 10.9, p90: 33.5, p99: 0, max: 0 }, failbackS: null },
      2,
    );
    expect(rows.map((r) => [r.what, r.ok])).toEqual([
      ['failover P50', true], // 1.9 <= 2 s
      ['failover P90', false], // 3.5 > max(3.35, 2)
      ['failback P50', true], // neither has one
      ['failback P90', true],
    ]);
  });
});

describe('withServedBy', () => {
  const res = (headers: Record<string, string>): VuResponse => ({
    status: 200,
    body: '',
    headers,
    timings: { duration: 1 },
  });
  const fake: VuHttp = {
    request: (_m, u) =>
      res(u.includes('blob') ? {} : { 'X-Stampede-Region': u.includes('west') ? 'westus' : 'eastus' }),
    batch: (reqs) => reqs.map((r) => fake.request(r.method, r.url, null)),
  };
  it('remembers the last region named, through storage hops that name none, until reset', () => {
    const s = withServedBy(fake);
    expect(s.region()).toBeUndefined();
    s.http.request('GET', 'http://east/v2/', null);
    s.http.batch([{ method: 'GET', url: 'http://storage/blob' }]);
    expect(s.region()).toBe('eastus');
    s.http.request('GET', 'http://west/v2/', null);
    expect(s.region()).toBe('westus');
    s.reset();
    expect(s.region()).toBeUndefined();
  });
});

describe('lab settings and fault bodies', () => {
  it('refuses a lab whose Traffic-Manager settings differ, naming the parameter and the lab value', () => {
    const lab = defaults(labSchema);
    const e = (() => {
      try {
        checkLabSettings(params(), lab);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toMatch(/lab\.probeIntervalS/);
    expect((e as InputError).message).toMatch(/dns\.probeIntervalS = 30/);
    expect(() =>
      checkLabSettings(
        params([
          'lab.probeIntervalS=30',
          'lab.toleratedFailures=3',
          'lab.probeTimeoutS=10',
          'lab.ttlS=30',
          'lab.sustainS=60',
          'lab.checkIntervalS=5',
        ]),
        lab,
      ),
    ).not.toThrow();
  });

  it('maps the run fault to the lab fault API', () => {
    expect(faultBody(params(['fault.kind=front-errors', 'fault.rate=0.5']), 'eastus')).toEqual({
      kind: 'front-errors',
      region: 'eastus',
      params: { errorRate: 0.5 },
    });
    expect(faultBody(params(['fault.kind=throttle']), 'eastus')).toEqual({
      kind: 'throttle',
      region: 'eastus',
      params: { rate: 1 },
    });
  });
});

describe('verdict', () => {
  const env = (metrics: Record<string, unknown>) =>
    ({
      tool: 'stampede',
      kind: 'k6',
      name: 'failover',
      seed: 0,
      params: {},
      metrics,
      points: [],
      runtime: { wallMs: 0, events: 0 },
    }) as never;
  it('region-down passes when every VU pulled again, fails when one never did', () => {
    const p = params(['vus=2']);
    expect(
      failoverScenario.verdict(env({ clientsSwitched: 2, clientsWithoutSuccess: 0, detectionS: 4 }), p)
        .exitCode,
    ).toBe(0);
    expect(
      failoverScenario.verdict(env({ clientsSwitched: 1, clientsWithoutSuccess: 1, detectionS: 4 }), p)
        .exitCode,
    ).toBe(1);
  });
  it('a 429 storm or a crashed monitor fails the run if anything moved', () => {
    for (const kind of ['throttle', 'health-monitor-crash']) {
      const p = params([`fault.kind=${kind}`]);
      expect(failoverScenario.verdict(env({ clientsSwitched: 0, detectionS: null }), p).exitCode).toBe(0);
      expect(failoverScenario.verdict(env({ clientsSwitched: 1, detectionS: null }), p).exitCode).toBe(1);
      expect(failoverScenario.verdict(env({ clientsSwitched: 0, detectionS: 6 }), p).exitCode).toBe(1);
    }
  });
});
