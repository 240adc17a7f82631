/**
 * k6 thresholds decided by stampede on merged raw records: k6's grammar, each aggregation
 * against a hand count, tag filters, a metric with no sample, and the report's table.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import {
  crossedLines,
  evaluateThresholds,
  mergeThresholds,
  parseThreshold,
  parseThresholdFlags,
} from '../../lib/k6/thresholds';
import type { Envelope } from '../../lib/results/envelope';
import { k6ThresholdsSpec, thresholdRows } from '../../reports/charts/k6-thresholds';

const metric = (name: string, type: string) => ({ type: 'Metric', metric: name, data: { name, type } });
const pt = (name: string, value: number, second: number, tags: Record<string, string> = {}) => ({
  type: 'Point',
  metric: name,
  data: { time: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(), value, tags },
});

// Two shards' points, concatenated as mergeRaw leaves them (shard 1's earlier in time).
const records = [
  metric('pull_duration', 'trend'),
  metric('pulls', 'counter'),
  metric('http_req_failed', 'rate'),
  metric('vus', 'gauge'),
  ...[100, 200, 300, 400, 500].map((v, i) => pt('pull_duration', v, 5 + i, { shard: '0' })),
  ...[600, 700, 800, 900, 1000].map((v, i) => pt('pull_duration', v, i, { shard: '1' })),
  ...Array.from({ length: 10 }, (_, i) => pt('pulls', 1, i)),
  pt('http_req_failed', 1, 1, { step: 'blob' }),
  pt('http_req_failed', 0, 2, { step: 'blob' }),
  pt('http_req_failed', 0, 3, { step: 'manifest' }),
  pt('http_req_failed', 0, 4, { step: 'manifest' }),
  pt('vus', 7, 9),
  pt('vus', 3, 1),
];

const observed = (metricName: string, expr: string) =>
  evaluateThresholds({ [metricName]: [expr] }, records)[0]?.observed;

describe('evaluateThresholds', () => {
  it('trend aggregations come from all samples of every shard (R-7 percentiles)', () => {
    expect(observed('pull_duration', 'p(50)<1')).toBe(550);
    expect(observed('pull_duration', 'med<1')).toBe(550);
    expect(observed('pull_duration', 'p(90)<1')).toBe(910);
    expect(observed('pull_duration', 'avg<1')).toBe(550);
    expect(observed('pull_duration', 'min<1')).toBe(100);
    expect(observed('pull_duration', 'max<1')).toBe(1000);
    expect(observed('pull_duration', 'p(100)<1')).toBe(1000);
  });
  it('counts add up over shards; a counter rate is per second over the run', () => {
    expect(observed('pulls', 'count>=10')).toBe(10);
    // 10 pulls over the points' span, 0 s .. 9 s.
    expect(observed('pulls', 'rate>0')).toBeCloseTo(10 / 9, 12);
  });
  it('a Rate metric is the share of non-zero samples; a tag filter narrows it', () => {
    expect(observed('http_req_failed', 'rate<0.01')).toBe(0.25);
    expect(observed('http_req_failed{step:blob}', 'rate<0.01')).toBe(0.5);
    expect(observed('http_req_failed{ step: "manifest" }', 'rate<0.01')).toBe(0);
  });
  it("a gauge's value is its latest sample in time, not in file order", () => {
    expect(observed('vus', 'value>0')).toBe(7);
  });
  it('decides each expression with its operator; no sample is not crossed', () => {
    const r = evaluateThresholds(
      {
        pull_duration: ['p(99)<5000', 'max<=999', 'min>100', 'avg==550', 'avg===550', 'avg!=550'],
        nothing_here: ['count>0'],
      },
      records,
    );
    expect(r.map((x) => [x.threshold, x.ok])).toEqual([
      ['p(99)<5000', true],
      ['max<=999', false],
      ['min>100', false],
      ['avg==550', true],
      ['avg===550', true],
      ['avg!=550', false],
      ['count>0', true],
    ]);
    expect(r[6]).toMatchObject({ metric: 'nothing_here', observed: null, samples: 0 });
    expect(crossedLines(r)).toEqual([
      'threshold crossed: pull_duration max<=999 (observed 1000, 10 samples)',
      'threshold crossed: pull_duration min>100 (observed 100, 10 samples)',
      'threshold crossed: pull_duration avg!=550 (observed 550, 10 samples)',
    ]);
  });
});

describe('threshold input', () => {
  it("parses k6's grammar", () => {
    expect(parseThreshold('p(99.9) < 5e3')).toEqual({
      aggregation: 'p',
      percentile: 99.9,
      op: '<',
      value: 5000,
    });
    expect(parseThreshold('rate<=0.01')).toEqual({ aggregation: 'rate', op: '<=', value: 0.01 });
  });
  it.each(['p(101)<1', 'p99<1', 'avg<', 'mean<1', 'avg<<1', 'count>=x', ''])('%j is bad input', (expr) => {
    expect(() => parseThreshold(expr)).toThrow(InputError);
  });
  it('--threshold METRIC=EXPR, several per metric; a malformed one names --threshold', () => {
    expect(
      parseThresholdFlags([
        'pull_duration=p(99)<5000',
        'pull_duration=max<9000',
        'http_req_failed{step:blob}=rate<0.1',
      ]),
    ).toEqual({ pull_duration: ['p(99)<5000', 'max<9000'], 'http_req_failed{step:blob}': ['rate<0.1'] });
    for (const bad of ['p(99)<5000', '=p(99)<1', 'pull duration=p(99)<1', 'pulls=count>>1']) {
      const e = (() => {
        try {
          parseThresholdFlags([bad]);
        } catch (err) {
          return err as InputError;
        }
      })();
      expect(e?.field).toBe('--threshold');
    }
  });
  it("merges a scenario's thresholds with the user's, each expression once", () => {
    expect(
      mergeThresholds({ pulls: ['count>0'] }, { pulls: ['count>0', 'rate>1'], vus: ['value>0'] }),
    ).toEqual({
      pulls: ['count>0', 'rate>1'],
      vus: ['value>0'],
    });
    expect(() => mergeThresholds({ pulls: ['count >> 0'] })).toThrow(/thresholds\.pulls/);
  });
});

describe('the report table', () => {
  const envelope = (metrics: Record<string, unknown>): Envelope => ({
    tool: 'stampede',
    kind: 'k6',
    name: 'x',
    seed: 0,
    params: {},
    metrics,
    points: [],
    runtime: { wallMs: 1, events: 1 },
  });
  it('draws one row per threshold, a crossed one red; none without thresholds', () => {
    const results = evaluateThresholds({ pull_duration: ['p(99)<5000', 'max<=999'] }, records);
    const spec = k6ThresholdsSpec(envelope({ thresholds: results })) as {
      data: { values: Array<{ row: number; column: string; text: string; verdict: string }> };
    };
    const verdicts = spec.data.values.filter((c) => c.column === 'verdict').map((c) => c.text);
    expect(verdicts).toEqual(['ok', 'crossed']);
    expect(spec.data.values.find((c) => c.row === 1 && c.column === 'observed')?.text).toBe('1000');
    expect(k6ThresholdsSpec(envelope({}))).toBeNull();
    expect(thresholdRows(envelope({ thresholds: [{ bogus: 1 }] }))).toEqual([]);
  });
});
