import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../lib/results/envelope';
import { latencyQuantilesSpec } from '../../../reports/charts/latency-quantiles';
import { copySweepEnvelope, k6Envelope } from '../../fixtures/reports/envelopes';
import { drawInNode, type Row, rows } from '../spec-helpers';

const series = (spec: unknown): Row[] => rows(spec).filter((r) => r.row === 'series');

function failoverEnvelope(): Envelope {
  return {
    ...k6Envelope(),
    kind: 'sim',
    name: 'failover',
    metrics: {},
    points: [
      { label: 'probe 30s', params: {}, metrics: { failoverS: { p50: 95, p90: 120, p99: 150, max: 160 } } },
      {
        label: 'probe 10s',
        params: {},
        metrics: {
          failoverS: { p50: 35, p90: 50, p99: 70, max: 72 },
          replicationLagS: { p50: 2, p90: 4, p99: 9, max: 12 },
        },
      },
    ],
    reference: {
      source: 'ACR failover post',
      points: [
        { label: 'probe 30s', params: {}, metrics: { failoverS: { p50: 90, p90: 110, p99: 140, max: 150 } } },
      ],
    },
  };
}

describe('latencyQuantilesSpec', () => {
  it('plots k6 pull quantiles including max', () => {
    const spec = latencyQuantilesSpec(k6Envelope(), 'pullS');
    expect(series(spec).map((r) => [r.group, r.y, r.source])).toEqual([
      ['P50', 3.2, 'measured'],
      ['P90', 6.8, 'measured'],
      ['P99', 11.4, 'measured'],
      ['max', 14.9, 'measured'],
    ]);
  });

  it('plots failover per configuration with the published reference', async () => {
    const spec = latencyQuantilesSpec(failoverEnvelope(), 'failoverS');
    const data = series(spec);
    expect(data.filter((r) => r.source === 'simulated')).toHaveLength(8);
    expect(data.filter((r) => r.source === 'published').map((r) => r.y)).toEqual([90, 110, 140, 150]);
    expect([...new Set(data.map((r) => r.x))]).toEqual(['probe 30s', 'probe 10s']);
    // A simulated point with a published one beside it carries its error; one without, none.
    const sim = (x: string, q: string) =>
      data.find((r) => r.x === x && r.group === q && r.source === 'simulated');
    expect(sim('probe 30s', 'P50')?.error).toBeCloseTo(95 / 90 - 1, 12);
    expect(sim('probe 10s', 'P50')?.error).toBeNull();
    expect((await drawInNode(spec)).warnings).toEqual([]);
  });

  it('draws replication lag for the configurations that have it, null where none do', () => {
    const data = series(latencyQuantilesSpec(failoverEnvelope(), 'replicationLagS'));
    expect(new Set(data.map((r) => r.x))).toEqual(new Set(['probe 10s']));
    expect(latencyQuantilesSpec(copySweepEnvelope(), 'replicationLagS')).toBeNull();
    expect(latencyQuantilesSpec(copySweepEnvelope(), 'failoverS')).toBeNull();
  });
});
