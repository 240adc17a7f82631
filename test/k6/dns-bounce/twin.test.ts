/**
 * The dns-bounce summary (k6 points -> per-mitigation numbers) and its twin in the scatter
 * model: the closed form over measured spans, the resolver k6 was set to, and the envelope
 * the run writes (a point per mitigation, measured and modeled shares side by side).
 */
import { describe, expect, it } from 'vitest';
import { defaults } from '../../../lib/config/schema';
import { bounceTwin, k6TtlS, resolverOf, spansForModel } from '../../../lib/k6/dns-bounce/model';
import { type DnsBounceParams, dnsBounceSchema } from '../../../lib/k6/dns-bounce/params';
import { bounceEnvelope, dnsBounceScenario } from '../../../lib/k6/dns-bounce/scenario';
import { summarizeBounce } from '../../../lib/k6/dns-bounce/summary';
import type { Envelope } from '../../../lib/results/envelope';
import { bounceRows, wilson } from '../../../reports/charts/dns-bounce-scatter';
import { createRng } from '../../../sim/kernel/rng';

const params = (over: Partial<DnsBounceParams> = {}): DnsBounceParams => ({
  ...(defaults(dnsBounceSchema) as DnsBounceParams),
  ...over,
});

const point = (metric: string, value: number, tags: Record<string, string>) => ({
  type: 'Point',
  metric,
  data: { time: '2026-12-05T07:00:00Z', value, tags },
});

/** k6 points of `n` pushes of one mitigation: `scattered` of them failed with `code`. */
function pushes(mitigation: string, n: number, scattered: number, code: string, spanMs: number) {
  return Array.from({ length: n }, (_, i) => {
    const bad = i < scattered;
    const tags = { mitigation, scattered: bad ? 'yes' : 'no' };
    return [
      point('push_attempts', 1, { ...tags, code: bad ? code : 'ok' }),
      point('push_span', bad ? spanMs / 2 : spanMs, { ...tags, result: bad ? 'failed' : 'ok' }),
      point('pushes', 1, {
        ...tags,
        everScattered: tags.scattered,
        result: bad ? 'failed' : 'ok',
        code: bad ? code : 'ok',
      }),
    ];
  }).flat();
}

describe('summarizeBounce', () => {
  it('counts pushes, failures by code and scatter per mitigation; spans of whole attempts only', () => {
    const records = [
      ...pushes('none', 10, 3, 'BLOB_UPLOAD_UNKNOWN', 200),
      ...pushes('regional', 4, 0, 'x', 300),
      { type: 'Metric', metric: 'pushes', data: {} },
    ];
    const { mitigations, spans } = summarizeBounce(records, ['regional', 'none']);
    expect(mitigations.map((m) => m.mitigation)).toEqual(['regional', 'none']);
    const none = mitigations[1];
    expect(none).toMatchObject({
      pushes: 10,
      ok: 7,
      failed: 3,
      scattered: 3,
      scatteredShare: 0.3,
      attempts: 10,
      scatteredAttempts: 3,
      scatteredOk: 0,
      byCode: { BLOB_UPLOAD_UNKNOWN: 3 },
      failedByCode: { BLOB_UPLOAD_UNKNOWN: 3 },
    });
    expect(none?.spanS).toMatchObject({ n: 7, mean: 0.2, p50: 0.2 });
    expect(spans.regional).toEqual([300, 300, 300, 300]);
  });
});

describe('the twin in the scatter model', () => {
  it('k6 dns.ttl text in seconds (a bare number is ms, as k6 reads it)', () => {
    expect(k6TtlS('0')).toBe(0);
    expect(k6TtlS('250')).toBe(0.25);
    expect(k6TtlS('5s')).toBe(5);
    expect(k6TtlS('5m')).toBe(300);
    expect(k6TtlS('inf')).toBe(Number.POSITIVE_INFINITY);
  });

  it('the resolver: no reuse and ttl 0 re-resolves every request; reuse resolves per connection', () => {
    expect(resolverOf(params()).resolver).toBe('per-request');
    expect(resolverOf(params({ connectionReuse: true })).resolver).toBe('per-connection');
    expect(resolverOf(params({ dns: { ttl: '5s', select: 'first', policy: 'preferIPv4' } }))).toEqual({
      resolver: 'ttl',
      ttlS: 5,
    });
  });

  it("re-resolve every request: T from none's whole attempts, each weighted 1 / (1 - T / I); the model gives T / I across seeds", () => {
    const p = params({ flap: { on: true, intervalS: 2, regions: '', ttlS: 0 } });
    // whole none attempts of 0.5 s and 1 s went through with probability 3/4 and 1/2:
    // weights 4/3 and 2, so T = (0.5 * 4/3 + 1 * 2) / (10/3) = 0.8 s
    const spans = { none: [500, 1000], regional: [100, 100], 'dns-pin': [100] };
    for (const seed of [1, 2, 3]) {
      const twin = bounceTwin(p, 2, spans, seed);
      expect(twin.pushS).toBeCloseTo(0.8, 9);
      expect(twin.subRequests).toBe(2 * (p.layers + 1) + 1);
      const none = twin.shares.find((s) => s.mitigation === 'none');
      expect(none?.closedForm).toBeCloseTo(0.4, 9);
      expect(Math.abs((none?.modeled ?? 0) - 0.4)).toBeLessThan(0.015);
      for (const m of ['regional', 'dns-pin'])
        expect(twin.shares.find((s) => s.mitigation === m)?.modeled).toBe(0);
    }
  });

  it('enough whole none spans: their spread is fitted with its selection, and the model draws T from it', () => {
    const p = params({ flap: { on: true, intervalS: 2, regions: '', ttlS: 0 } });
    // whole spans of pushes with ln T ~ N(ln 0.6 s, 0.5), each kept with probability 1 - T / I
    const rng = createRng(3);
    const none: number[] = [];
    while (none.length < 300) {
      const t = Math.exp(rng.normal(Math.log(0.6), 0.5));
      if (rng.uniform(0, 2) >= t) none.push(t * 1000);
    }
    const twin = bounceTwin(p, 2, { none, regional: [100] }, 1, 40_000);
    expect(twin.pushSigma).toBeGreaterThan(0);
    const share = twin.shares.find((s) => s.mitigation === 'none');
    // the closed form over the fitted spread, and the simulation drawing from it, agree
    expect(Math.abs((share?.modeled ?? 0) - (share?.closedForm ?? 0))).toBeLessThan(0.01);
    // above the reweighted mean of the seen spans, which has no span beyond I to weight
    const w = none.map((ms) => 1 / (1 - ms / 2000));
    const ipw =
      none.reduce((a, ms, i) => a + (ms / 2000) * (w[i] as number), 0) / w.reduce((a, b) => a + b, 0);
    expect(share?.closedForm).toBeGreaterThan(ipw);
  });

  it('no none in the run: T is the mean of the pinned spans (no selection); retry-push rarely scatters twice', () => {
    const p = params({
      mitigations: ['regional', 'dns-pin', 'retry-push'],
      flap: { on: true, intervalS: 2, regions: '', ttlS: 0 },
    });
    const twin = bounceTwin(p, 2, { regional: [400, 600], 'dns-pin': [500, 500] });
    expect(twin.pushS).toBeCloseTo(0.5, 9);
    // a retry starts right after a flip, a whole interval ahead of it
    expect(twin.shares.find((s) => s.mitigation === 'retry-push')?.modeled).toBeLessThan(0.01);
    expect(spansForModel({ none: [100] }, 'ttl', 2)).toEqual({ ts: [0.1], weights: [1] });
  });

  it('a push longer than the interval always scatters: min(1, T / I)', () => {
    const p = params({
      mitigations: ['none', 'regional'],
      flap: { on: true, intervalS: 0.5, regions: '', ttlS: 0 },
    });
    const twin = bounceTwin(p, 2, { regional: [800, 1200] });
    expect(twin.pushS).toBe(1);
    expect(twin.shares[0]?.closedForm).toBe(1);
    expect(twin.shares[0]?.modeled).toBe(1);
  });
});

describe('the envelope and its chart rows', () => {
  const generic: Envelope = {
    tool: 'stampede',
    kind: 'k6',
    name: 'dns-bounce',
    seed: 0,
    params: { target: { kind: 'lab', flap: { on: true, regions: ['eastus', 'westus'] } } },
    metrics: {},
    points: [],
    runtime: { wallMs: 1, events: 1 },
  };
  const p = params({
    mitigations: ['none', 'regional'],
    flap: { on: true, intervalS: 1, regions: '', ttlS: 0 },
  });
  const records = [
    ...pushes('none', 20, 5, 'MANIFEST_BLOB_UNKNOWN', 250),
    ...pushes('regional', 20, 0, 'x', 250),
  ];

  it('a point per mitigation; measured and modeled shares side by side; the verdict passes when the pins held', () => {
    const e = bounceEnvelope(generic, records, p);
    expect(e.points.map((x) => x.label)).toEqual(['none', 'regional']);
    expect(e.points[0]?.metrics.errors).toEqual({ total: 5, byCode: { MANIFEST_BLOB_UNKNOWN: 5 } });
    const scatter = e.metrics.scatter as Array<{
      mitigation: string;
      scatteredShare: number;
      modeledShare: number;
    }>;
    expect(scatter[0]).toMatchObject({ mitigation: 'none', scatteredShare: 0.25 });
    expect(scatter[0]?.modeledShare).toBeGreaterThan(0.2);
    expect(scatter[0]?.modeledShare).toBeLessThan(0.3);
    expect(dnsBounceScenario.verdict(e, p).exitCode).toBe(0);
    const rows = bounceRows({ envelope: e, label: 'x', raw: [] } as never);
    expect(rows.filter((r) => r.source === 'model')).toHaveLength(2);
    const lab = rows.find((r) => r.mitigation === 'none' && r.source === 'lab (measured)');
    expect(lab?.lo).toBeLessThan(0.25);
    expect(lab?.hi).toBeGreaterThan(0.25);
  });

  it('a scattered or failed push under regional fails the verdict', () => {
    const bad = [
      ...pushes('none', 4, 1, 'BLOB_UPLOAD_UNKNOWN', 250),
      ...pushes('regional', 4, 1, 'BLOB_UPLOAD_UNKNOWN', 250),
    ];
    expect(dnsBounceScenario.verdict(bounceEnvelope(generic, bad, p), p).exitCode).toBe(1);
  });

  it('no flap (or a URL target): nothing to model', () => {
    const e = bounceEnvelope({ ...generic, params: { target: { kind: 'url' } } }, records, p);
    expect(e.metrics.model).toBeUndefined();
    expect((e.metrics.scatter as Array<{ modeledShare: unknown }>)[0]?.modeledShare).toBeNull();
  });

  it('wilson: the 95% interval of 0 of 20 starts at 0 and of 20 of 20 ends at 1', () => {
    expect(wilson(0, 20)[0]).toBe(0);
    expect(wilson(20, 20)[1]).toBe(1);
    const [lo, hi] = wilson(50, 100);
    expect(lo).toBeCloseTo(0.404, 3);
    expect(hi).toBeCloseTo(0.596, 3);
  });
});
