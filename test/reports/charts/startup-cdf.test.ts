import { describe, expect, it } from 'vitest';
import { k6Envelope as runCommandEnvelope } from '../../../lib/k6/collect';
import { podStartupCdfSpec, pullCdfSpec } from '../../../reports/charts/startup-cdf';
import {
  copySweepEnvelope,
  k6Envelope,
  k6Raw,
  killedK6Records,
  SWEEP_LABELS,
} from '../../fixtures/reports/envelopes';
import { at, emptyEnvelope, rows } from '../spec-helpers';

describe('podStartupCdfSpec', () => {
  it('uses the summary CDF of each configuration when present', () => {
    const env = copySweepEnvelope();
    const spec = podStartupCdfSpec(env, [{ podStartupS: 1, point: 'ignored' }]);
    const data = rows(spec);
    expect(data).toHaveLength(5 * 100);
    expect(new Set(data.map((r) => r.point))).toEqual(new Set(SWEEP_LABELS));
    expect(data.filter((r) => r.point === 'Mid').at(-1)).toEqual({ point: 'Mid', value: 660, fraction: 1 });
    expect(at(spec, 'encoding.x.field')).toBe('value');
    expect(at(spec, 'encoding.y.field')).toBe('fraction');
    expect(at(spec, 'encoding.color.sort')).toEqual([...SWEEP_LABELS]);
    expect(at(spec, 'mark.interpolate')).toBe('step-after');
  });

  it('falls back to raw records grouped by their point label', () => {
    const env = copySweepEnvelope();
    for (const p of env.points) delete p.metrics.podStartupCdf;
    const raw = [
      { point: 'Low', podStartupS: 3 },
      { point: 'Low', podStartupS: 1 },
      { point: 'Low', podStartupS: 2 },
      { point: 'Mid', podStartupS: 5 },
      { point: 'Mid', podStartupS: 'not a number' },
      { podStartupS: 9 },
    ];
    const data = rows(podStartupCdfSpec(env, raw));
    expect(data.filter((r) => r.point === 'Low')).toEqual([
      { point: 'Low', value: 1, fraction: 1 / 3 },
      { point: 'Low', value: 2, fraction: 2 / 3 },
      { point: 'Low', value: 3, fraction: 1 },
    ]);
    expect(data.filter((r) => r.point === 'Mid')).toEqual([{ point: 'Mid', value: 5, fraction: 1 }]);
    // A record without a point label belongs to the run as a whole.
    expect(data.filter((r) => r.point === 'copy-sweep')).toEqual([
      { point: 'copy-sweep', value: 9, fraction: 1 },
    ]);
  });

  it('is null with neither a summary CDF nor raw values', () => {
    expect(podStartupCdfSpec(emptyEnvelope(), [{ t: 1, other: 2 }])).toBeNull();
  });
});

describe('pullCdfSpec', () => {
  it('builds the pull CDF of a k6 run from its raw records', () => {
    const spec = pullCdfSpec(k6Envelope(), k6Raw());
    const data = rows(spec);
    expect(data.length).toBeGreaterThan(10);
    expect(data.at(-1)?.fraction).toBe(1);
    expect(at(spec, 'encoding.y.title')).toBe('fraction of pulls done');
  });
});

describe('pullCdfSpec on real k6 output', () => {
  // k6 writes no per-pull `pullS` record: the chart needs the summary's pullCdf, or the
  // raw pull_duration points summarised the run command's way.
  const records = killedK6Records();
  const finished = () => runCommandEnvelope({ name: 'cold-pull', params: { vus: 2 }, records, wallMs: 5000 });

  it('draws from the pullCdf the run command writes', () => {
    const data = rows(pullCdfSpec(finished(), []));
    expect(data).toHaveLength(8);
    expect(data.at(-1)).toMatchObject({ point: 'cold-pull', fraction: 1 });
  });

  it('rebuilds it from raw.ndjson when the summary predates pullCdf', () => {
    const env = finished();
    for (const p of env.points) delete p.metrics.pullCdf;
    expect(pullCdfSpec(env, [])).toBeNull();
    const data = rows(pullCdfSpec(env, records));
    expect(data).toHaveLength(8);
    expect(data.at(-1)).toEqual({ point: 'cold-pull', value: env.metrics.pullS?.max, fraction: 1 });
  });
});
