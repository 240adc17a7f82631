import { describe, expect, it } from 'vitest';
import { checkAxis, runSweep, sweepPoint, withParam } from '../../sim/experiments/sweep';

describe('the generic sweep', () => {
  const params = { a: { b: 1, c: [1, 2] }, d: { e: 'x' } };

  it('sets one leaf on a copy, sharing untouched groups and leaving the original alone', () => {
    const p = withParam(params, 'a.b', 5);
    expect(p).toEqual({ a: { b: 5, c: [1, 2] }, d: { e: 'x' } });
    expect(params.a.b).toBe(1);
    expect(p.d).toBe(params.d);
  });

  it('refuses a path the tree does not have, naming it', () => {
    expect(() => withParam(params, 'a.x', 1)).toThrow(/a\.x/);
    expect(() => withParam(params, 'z.b', 1)).toThrow(/z\.b/);
  });

  it('runs one point per value in order, labelled, with the value under its path', () => {
    const axis = { path: 'a.b', values: [3, 1, 2], labels: ['three', 'one', 'two'] };
    const seen: string[] = [];
    const steps = runSweep(
      params,
      axis,
      (p, s) => p.a.b * 10 + s.index,
      (s, total) => seen.push(`${s.label} ${s.index + 1}/${total}`),
    );
    expect(steps.map((s) => [s.label, s.value, s.result])).toEqual([
      ['three', 3, 30],
      ['one', 1, 11],
      ['two', 2, 22],
    ]);
    expect(seen).toEqual(['three 1/3', 'one 2/3', 'two 3/3']);
    expect(sweepPoint(axis, steps[0] as { label: string; value: number }, { throttleEvents: 4 })).toEqual({
      label: 'three',
      params: { 'a.b': 3 },
      metrics: { throttleEvents: 4 },
    });
  });

  it('refuses labels that do not pair with the values, naming the labels field', () => {
    expect(() =>
      checkAxis({ path: 'a.b', values: [1, 2], labels: ['x'], labelsField: 'sweep.labels' }),
    ).toThrow(/sweep\.labels.*2 labels/);
    expect(() => runSweep(params, { path: 'a.b', values: [1], labels: [] }, () => 0)).toThrow(/a\.b/);
  });
});
