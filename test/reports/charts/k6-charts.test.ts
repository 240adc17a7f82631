/** The k6 run charts (load, responses, anatomy, layers, backends, regions) and the sim-vs-measured overlay, on generated runs. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backendEgressSpec } from '../../../reports/charts/backend-egress';
import { backendTimeSpec } from '../../../reports/charts/backend-time';
import { errorsOverTimeSpec } from '../../../reports/charts/errors-over-time';
import { layerThroughputSpec } from '../../../reports/charts/layer-throughput';
import { loadOverTimeSpec } from '../../../reports/charts/load-over-time';
import { pullAnatomyOverTimeSpec, pullAnatomySpec } from '../../../reports/charts/pull-anatomy';
import { regionAnswersSpec } from '../../../reports/charts/region-answers';
import { simVsMeasuredErrors, simVsMeasuredSpec } from '../../../reports/charts/sim-vs-measured';
import { writeReport } from '../../../reports/index';
import { aggregateK6, frontRegionsOf, MAX_BINS } from '../../../reports/k6-aggregate';
import { k6Envelope } from '../../fixtures/reports/envelopes';
import { generateK6Raw, k6PullRaw, writeK6PullRaw } from '../../fixtures/reports/k6-pull-raw';
import { at, rows } from '../spec-helpers';

const gen = k6PullRaw({ vus: 8, iterations: 2, faultFromS: 1, faultToS: 3 });
const agg = aggregateK6(gen.records, { blobSizes: new Map(gen.layers.map((l) => [l.digest, l.size])) });
const base = mkdtempSync(join(tmpdir(), 'stampede-k6-charts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function withBackends(ceilings: Record<string, number>) {
  const e = k6Envelope();
  e.metrics.backends = Object.entries(ceilings).map(([id, c]) => ({
    id,
    bytes: 1,
    peakEgressBps: 5e8,
    ceilingBps: c,
  }));
  return e;
}

describe('k6 run charts', () => {
  it('load over time: five panels on one axis, markers as rules', () => {
    const spec = loadOverTimeSpec(agg);
    const panels = at(spec, 'vconcat') as unknown[];
    expect(panels).toHaveLength(5);
    expect(rows(spec).length).toBe(agg?.load.length);
    const latency = at(panels[4], 'layer.0.transform.0.fold');
    expect(latency).toEqual(['p50', 'p95', 'p99']);
    expect(JSON.stringify(spec)).toContain('storage fault injected');
    expect(loadOverTimeSpec(undefined)).toBeNull();
  });

  it('responses: failures in colour, expected 401/307 in grey, totals per code', () => {
    const spec = errorsOverTimeSpec(agg);
    const totals = rows(spec, 'vconcat.1.data.values');
    const byCode = new Map(totals.map((r) => [r.code, r]));
    expect(byCode.get('401 challenge (expected)')?.kind).toBe('expected');
    expect(byCode.get('HTTP 503')?.kind).toBe('failure');
    const domain = at(spec, 'vconcat.0.layer.0.encoding.color.scale.domain') as string[];
    // Failures come first in the legend; the expected ones last.
    expect(domain.slice(-2).every((c) => c.includes('expected'))).toBe(true);
  });

  it('pull anatomy: a row per step with its share, and shares per bin', () => {
    const spec = pullAnatomySpec(agg);
    const steps = rows(spec);
    expect(steps.map((r) => r.label)).toEqual([
      'ping / 401 challenge',
      'registry token',
      'manifest',
      'blob 307 redirect',
      'blob data',
    ]);
    expect(steps.reduce((a, r) => a + (r.sharePct as number), 0)).toBeCloseTo(100, 0);
    const overTime = pullAnatomyOverTimeSpec(agg);
    expect(at(overTime, 'layer.0.transform.0.offset')).toBe('normalize');
    expect(at(overTime, 'layer.0.encoding.y2.field')).toBe('share1');
    expect(rows(overTime, 'layer.0.data.values').length).toBeGreaterThan(5);
  });

  it('throughput per layer size: one row per size, P10 <= P50 <= P90', () => {
    const data = rows(layerThroughputSpec(agg));
    expect(data.map((r) => r.size)).toEqual(['1.024 kB', '1.049 MB', '2.097 MB', '4.194 MB']);
    for (const r of data)
      expect((r.p10 as number) <= (r.p50 as number) && (r.p50 as number) <= (r.p90 as number)).toBe(true);
  });

  it('where the bytes went: a ceiling line only where one is set, "no ceiling" said in words', () => {
    const none = JSON.stringify(backendTimeSpec(agg, k6Envelope()));
    expect(none).toContain('no ceiling set on these backends');
    expect(none).not.toContain('strokeDash":[6,3]');
    const some = backendTimeSpec(agg, withBackends({ 'eastus-b0': 4e8, 'eastus-b1': 0 }));
    const text = JSON.stringify(some);
    expect(text).toContain('strokeDash":[6,3]');
    expect(text).toContain('no ceiling: eastus-b1, eastus-b2');
    const panels = at(some, 'vconcat') as unknown[];
    expect(panels).toHaveLength(3); // eastus, westus, 503s
    expect(rows(some, 'vconcat.2.layer.0.data.values').some((r) => (r.r503 as number) > 0)).toBe(true);
  });

  it('per-backend peak egress: a backend without a ceiling is grey "no ceiling set", never red', () => {
    const spec = backendEgressSpec(withBackends({ a: 0, b: 0 }));
    expect(new Set(rows(spec).map((r) => r.status))).toEqual(new Set(['no ceiling set']));
    expect(at(spec, 'spec.layer')).toHaveLength(1);
    const mixed = backendEgressSpec(withBackends({ a: 4e8, b: 0 }));
    expect(new Set(rows(mixed).map((r) => r.status))).toEqual(new Set(['above ceiling', 'no ceiling set']));
  });

  it("region answered: the front address of each request (k6's ip tag) mapped to its region; a fault swaps it", () => {
    const frontIps = { eastus: '127.0.41.11', westus: '127.0.41.12' };
    const g = k6PullRaw({ vus: 8, iterations: 2, faultFromS: 1, faultToS: 3, frontIps });
    const frontRegions = frontRegionsOf({
      target: { kind: 'lab', frontRegions: { '127.0.41.11': 'eastus', '127.0.41.12': 'westus' } },
    });
    const a = aggregateK6(g.records, { frontRegions }) as NonNullable<ReturnType<typeof aggregateK6>>;
    // Every request to the registry (ping, manifest, blob redirect) is counted; token and blob bytes are not the front's.
    const toFront = g.records.filter(
      (r) =>
        r.type === 'Point' &&
        r.metric === 'http_req_duration' &&
        ['ping', 'manifest', 'blob'].includes(String((r.data as { tags: Record<string, string> }).tags.step)),
    ).length;
    expect(a.answers.reduce((n, r) => n + r.requests, 0)).toBe(toFront);
    const spec = regionAnswersSpec(a);
    expect(at(spec, 'layer.0.encoding.color.title')).toBe('region answered');
    // VU 0 (eastus) is answered westus during the fault: both regions answer inside its window.
    const inFault = a.answers.filter((r) => r.t >= 1 && r.t < 3);
    expect(new Set(inFault.map((r) => r.region))).toEqual(new Set(['eastus', 'westus']));
    // Without the lab's map (a URL target, an older run): the storage host's region, said so.
    expect(aggregateK6(g.records)?.answers).toEqual([]);
    expect(at(regionAnswersSpec(aggregateK6(g.records)), 'layer.0.encoding.color.title')).toBe(
      'region served',
    );
  });

  it('the ip tag costs about 20 bytes per http line of raw.ndjson', () => {
    const size = (frontIps?: Record<string, string>) => {
      let bytes = 0;
      let lines = 0;
      generateK6Raw({ vus: 10, iterations: 3, ...(frontIps ? { frontIps } : {}) }, (l) => {
        bytes += l.length + 1;
        lines++;
      });
      return { bytes, lines };
    };
    const without = size();
    const withIp = size({ eastus: '127.0.41.11', westus: '127.0.41.12' });
    expect(withIp.lines).toBe(without.lines);
    const growth = withIp.bytes / without.bytes - 1;
    console.log(
      `ip tag: ${without.lines} lines, ${without.bytes} -> ${withIp.bytes} bytes (+${(growth * 100).toFixed(1)}%)`,
    );
    expect(growth).toBeGreaterThan(0);
    expect(growth).toBeLessThan(0.1);
  });

  it('region served: requests per region per bin', () => {
    const data = rows(regionAnswersSpec(agg), 'layer.0.data.values');
    expect(new Set(data.map((r) => r.region))).toEqual(new Set(['eastus', 'westus']));
    expect(regionAnswersSpec(undefined)).toBeNull();
  });

  it('a 100-VU run: the page holds bins, not points', async () => {
    const dir = join(base, 'big');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const { layers, lines } = writeK6PullRaw(join(dir, 'raw.ndjson'), {
      vus: 100,
      iterations: 3,
      faultFromS: 3,
      faultToS: 6,
    });
    const e = k6Envelope();
    e.params = { target: { seeded: { layers } } };
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(e));
    const out = await writeReport([dir]);
    const html = (await import('node:fs')).readFileSync(out, 'utf8');
    const specs = JSON.parse(/id="stampede-specs">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '[]') as Array<{
      id: string;
      spec: unknown;
    }>;
    const load = specs.find((s) => s.id === 'load');
    expect(rows(load?.spec).length).toBeLessThanOrEqual(MAX_BINS);
    expect(lines).toBeGreaterThan(30_000);
    // The vega libraries are ~0.9 MB; the data must add little to them.
    expect(statSync(out).size).toBeLessThan(2_000_000);
  });
});

describe('sim-vs-measured overlay', () => {
  const measured = Array.from({ length: 200 }, (_, i) => 1 + i / 100);
  it('draws both distributions and quantiles on one axis, with the error per figure', () => {
    const spec = simVsMeasuredSpec({
      unit: 's',
      what: 'pull duration',
      measured: { samples: measured },
      simulated: { quantiles: { p50: 2.1, p90: 2.9, p99: 2.9, max: 3.2 } },
    });
    expect(at(spec, 'vconcat.0.layer.0.encoding.x.title')).toBe('pull duration (s)');
    const errors = rows(spec, 'vconcat.1.data.values');
    expect(errors.map((e) => e.figure)).toEqual(['P50', 'P90', 'P99', 'max']);
    const p50 = errors[0] as { measured: number; errorPct: number };
    expect(p50.measured).toBeCloseTo(1.995, 3);
    expect(p50.errorPct).toBeCloseTo(((2.1 - 1.995) / 1.995) * 100, 2);
  });
  it('needs a figure on both sides', () => {
    expect(simVsMeasuredSpec({ unit: 's', measured: { samples: measured }, simulated: {} })).toBeNull();
    expect(
      simVsMeasuredErrors({
        unit: 's',
        measured: { quantiles: { p99: 10 } },
        simulated: { quantiles: { p99: 9 } },
      }),
    ).toEqual([{ figure: 'P99', measured: 10, simulated: 9, errorPct: -10 }]);
  });
});
