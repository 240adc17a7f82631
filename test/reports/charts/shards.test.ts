/**
 * The per-shard chart of a `stampede run --shards N` run, on a recorded two-shard lab run
 * (test/fixtures/reports/k6-shards-2): each k6 process's pulls over time and its pull-duration
 * quantiles beside all shards together, compiled and run by vega with no warning.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { isPoint } from '../../../lib/k6/collect';
import { shardsSpec } from '../../../reports/charts/shards';
import { k6Aggregator } from '../../../reports/k6-aggregate';
import { k6PullRaw } from '../../fixtures/reports/k6-pull-raw';
import { at, drawInNode, rows } from '../spec-helpers';

const records = readFileSync(
  join(import.meta.dirname, '../../fixtures/reports/k6-shards-2/raw.ndjson'),
  'utf8',
)
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Record<string, unknown>);

function aggregate(rs: ReadonlyArray<Record<string, unknown>>) {
  const agg = k6Aggregator();
  for (const r of rs) {
    if (r.type === 'marker') agg.addMarker(r);
    else agg.addPoint(r);
  }
  return agg.result();
}

describe('per-shard chart (recorded --shards 2 lab run)', () => {
  const agg = aggregate(records);

  it("counts each shard's pulls over time: 8 VUs x 3 pulls split 12 and 12 by k6's segments", () => {
    const per = (s: string) => agg?.shards.filter((r) => r.shard === s).reduce((a, r) => a + r.pulls, 0);
    expect(new Set(agg?.shards.map((r) => r.shard))).toEqual(new Set(['0', '1']));
    expect([per('0'), per('1')]).toEqual([12, 12]);
    // Every bin has a row for every shard (a stopped shard reads 0, not a gap).
    expect(agg?.shards.length).toBe(2 * (agg?.load.length ?? 0));
  });

  it('quantiles per shard, and "all" from the merged samples (not an average of the shards)', () => {
    const samples = records
      .filter((r) => isPoint(r) && r.metric === 'pull_duration')
      .map((r) => (r as { data: { value: number } }).data.value)
      .sort((a, b) => a - b);
    expect(samples).toHaveLength(24);
    const all = agg?.shardQuantiles.find((r) => r.shard === 'all');
    expect(agg?.shardQuantiles.map((r) => [r.shard, r.pulls])).toEqual([
      ['0', 12],
      ['1', 12],
      ['all', 24],
    ]);
    expect(all?.p50).toBeCloseTo(quantileSorted(samples, 0.5), 3);
    expect(all?.p99).toBeCloseTo(quantileSorted(samples, 0.99), 3);
    expect(all?.max).toBe(samples[samples.length - 1]);
  });

  it('draws both panels with the shard start/done markers, no warning; none for one process', async () => {
    const spec = shardsSpec(agg);
    const [left, right] = at(spec, 'hconcat') as unknown[];
    const markers = rows((at(left, 'layer') as unknown[])[1], 'data.values').map((m) => m.label);
    // k6 starts about a second before its first point: the start markers sit at the axis' edge, saying so.
    expect(markers).toEqual([
      expect.stringMatching(/^shard 0 starts/),
      expect.stringMatching(/^shard 1 starts/),
      'shard 0 done',
      'shard 1 done',
    ]);
    expect(new Set(rows(right).map((r) => r.name))).toEqual(new Set(['shard 0', 'shard 1', 'all shards']));
    const d = await drawInNode(spec);
    expect(d.warnings).toEqual([]);
    expect(d.marks).toBeGreaterThan(0);
    expect(d.width).toBeLessThan(1240);
    // A run of one k6 process has no shard tag: no chart.
    expect(shardsSpec(aggregate(k6PullRaw({ vus: 2, iterations: 1 }).records))).toBeNull();
  });
});
