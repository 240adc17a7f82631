import { describe, expect, it } from 'vitest';
import type { BackendStat, Point } from '../../lib/results/envelope';
import { describeThrottling } from '../../lib/results/throttling';

const s = (v: number) => `${v} s`;
const backend = (id: string, throttles: number, window?: [number, number]): BackendStat => ({
  id,
  bytes: 1,
  peakEgressBps: 2,
  ceilingBps: 1,
  throttles,
  ...(window && { firstThrottleS: window[0], lastThrottleS: window[1] }),
});
const point = (metrics: Point['metrics']): Point => ({ label: 'Low', params: {}, metrics });

describe('describeThrottling', () => {
  it('is null for a point that refused nothing', () => {
    expect(describeThrottling(point({ throttleEvents: 0, backends: [backend('a', 0)] }), s)).toBeNull();
    expect(describeThrottling(point({}), s)).toBeNull();
  });

  it('names the refusing backends, the window over all of them and the most refused layers', () => {
    const p = point({
      throttleEvents: 19,
      backends: [backend('a', 0), backend('b', 12, [43, 52]), backend('c', 7, [30, 45])],
      throttlesByLayer: [0, 2, 0, 9, 1, 7],
    });
    expect(describeThrottling(p, s)).toBe(
      'Low: 19 503s from 2 backends, t = 30 s to 52 s; layers 3 (9), 5 (7), 1 (2) and 1 more 503 on 1 other layer',
    );
  });

  it('says the rest are 503s spread over the other layers, not layers', () => {
    const p = point({ throttleEvents: 1060, throttlesByLayer: [5, 200, 405, 258, 190] });
    expect(describeThrottling(p, s)).toBe(
      'Low: 1060 503s; layers 2 (405), 3 (258), 1 (200) and 195 more 503s on 2 other layers',
    );
  });

  it('says only what a run recorded (a lab run counts 503s per backend but not when)', () => {
    const p = point({ throttleEvents: 4, backends: [backend('a', 4)] });
    expect(describeThrottling(p, s)).toBe('Low: 4 503s from 1 backend');
    expect(describeThrottling(point({ throttleEvents: 4 }), s)).toBe('Low: 4 503s');
  });
});
