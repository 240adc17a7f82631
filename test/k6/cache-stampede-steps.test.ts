/**
 * A wave's per-step request times (lib/k6/cache-stampede/steps.ts): read from k6's raw points
 * (the token flow, manifest and 307s from http_req_duration; payloads from layer_duration by
 * size), grouped by kind, and the payloads' seconds per byte by least squares, with its
 * standard error, against closed forms.
 */
import { describe, expect, it } from 'vitest';
import { payloadLine, simStepTimes, stepGroups, stepTimesOf } from '../../lib/k6/cache-stampede/steps';

const point = (metric: string, ms: number, tags: Record<string, string>) => ({
  type: 'Point',
  metric,
  data: { time: '2026-12-05T20:00:00.000Z', value: ms, tags: { scenario: 'wave2', ...tags } },
});

describe('cache-stampede step times', () => {
  it("reads k6's points: requests without a payload by step, payloads by size, failures left out", () => {
    const recs = [
      point('http_req_duration', 200, { step: 'ping', status: '401' }),
      point('http_req_duration', 300, { step: 'token', status: '200' }),
      point('http_req_duration', 900, { step: 'manifest', status: '200' }),
      point('http_req_duration', 1500, { step: 'blob', status: '307' }),
      // A payload's own request: counted once, from layer_duration with its size.
      point('http_req_duration', 700, { step: 'blob-data', status: '200' }),
      point('http_req_duration', 40, { step: 'blob', status: '429' }),
      point('layer_duration', 700, { kind: 'layer', size: '1048576' }),
      point('http_reqs', 1, { step: 'ping', status: '401' }),
      { type: 'Metric', metric: 'http_req_duration', data: {} },
    ];
    expect(stepTimesOf(recs)).toEqual([
      { step: 'ping', bytes: 0, s: 0.2 },
      { step: 'token', bytes: 0, s: 0.3 },
      { step: 'manifest', bytes: 0, s: 0.9 },
      { step: 'blob', bytes: 0, s: 1.5 },
      { step: 'blob-data', bytes: 1048576, s: 0.7 },
    ]);
  });

  it("gives the simulator's records the same shape: a front's 200 with bytes is a payload", () => {
    expect(
      simStepTimes([
        { step: 'manifest', bytes: 900, s: 1 },
        { step: 'blob', bytes: 600, s: 2 },
        { step: 'blob', bytes: 0, s: 3 },
      ]),
    ).toEqual([
      { step: 'manifest', bytes: 0, s: 1 },
      { step: 'blob-data', bytes: 600, s: 2 },
      { step: 'blob', bytes: 0, s: 3 },
    ]);
  });

  it('groups medians and fits seconds per byte: an exact line is recovered, flat payloads give 0', () => {
    // t = 0.5 s + 2e-7 s/B x bytes, each size seen at t - 0.1, t, t + 0.1 (median t).
    const line = (b: number) => 0.5 + 2e-7 * b;
    const sizes = [300, 1 << 20, 2 << 20];
    const times = sizes.flatMap((b) =>
      [-0.1, 0, 0.1].map((d) => ({ step: 'blob-data' as const, bytes: b, s: line(b) + d })),
    );
    const g = stepGroups([...times, { step: 'token', bytes: 0, s: 0.2 }]);
    expect(g.map((x) => [x.what, x.bytes, x.n])).toEqual([
      ['payload', 300, 3],
      ['payload', 1 << 20, 3],
      ['payload', 2 << 20, 3],
      ['token', 0, 1],
    ]);
    const fit = payloadLine(g);
    expect(fit?.slopeSPerByte as number).toBeCloseTo(2e-7, 12);
    expect(fit?.interceptS as number).toBeCloseTo(0.5, 9);
    // Each median's SE is 1.2533 x sd (0.1) / sqrt(3); the slope's follows from the sizes.
    const se = (1.2533 * 0.1) / Math.sqrt(3);
    const mx = sizes.reduce((a, b) => a + b, 0) / 3;
    const sxx = sizes.reduce((a, b) => a + (b - mx) ** 2, 0);
    expect(fit?.seSPerByte as number).toBeCloseTo(se / Math.sqrt(sxx), 15);
    const flat = payloadLine(stepGroups(sizes.map((b) => ({ step: 'blob-data' as const, bytes: b, s: 4 }))));
    expect(flat?.slopeSPerByte).toBe(0);
    expect(payloadLine(stepGroups([{ step: 'blob-data', bytes: 5, s: 1 }]))).toBeNull();
  });
});
