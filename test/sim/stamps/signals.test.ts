import { describe, expect, it } from 'vitest';
import { resolve } from '../../../lib/config/schema';
import { InputError } from '../../../lib/errors';
import { stampsSchema } from '../../../sim/models/stamps/params';
import { buildTimeline, parsePhase } from '../../../sim/models/stamps/phases';
import { percentileSorted, signals } from '../../../sim/models/stamps/signals';
import type { PoolSeries } from '../../../sim/models/stamps/simulate';
import { validateStamps } from '../../../sim/models/stamps/validate';
import { small } from './helpers';

function series(hot: number[], avg: number[]): PoolSeries {
  return {
    stamp: 'A',
    pool: 'dataproxy',
    shared: true,
    hot: Float32Array.from(hot),
    avg: Float32Array.from(avg),
    nodes: new Int16Array(hot.length),
    busy: new Float32Array(hot.length),
    minInstances: 1,
  };
}

describe('the three signals', () => {
  it('hot-node P95 is the 95th percentile of the per-bin hottest node; Max the highest bin; average the mean of pool averages', () => {
    // 100 bins: hottest node at 1..100 % (shuffled order does not matter), pool average 5 %.
    const hot = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    const s = signals(
      series(
        hot,
        hot.map(() => 5),
      ),
      0,
      100,
    );
    expect(s.max).toBe(100);
    expect(s.average).toBe(5);
    // Linear interpolation between the 95th and 96th of 1..100: 95 + 0.05.
    expect(s.hotNodeP95).toBeCloseTo(95.05, 2);
  });

  it('one spike moves Max, not hot-node P95', () => {
    const hot = Array.from({ length: 720 }, () => 40);
    const calm = signals(
      series(
        hot,
        hot.map(() => 10),
      ),
      0,
      720,
    );
    hot[300] = 96;
    const spiked = signals(
      series(
        hot,
        hot.map(() => 10),
      ),
      0,
      720,
    );
    expect(spiked.max).toBe(96);
    expect(spiked.hotNodeP95).toBe(calm.hotNodeP95);
  });

  it('percentile of one value is that value; of an empty list NaN', () => {
    expect(percentileSorted([7], 95)).toBe(7);
    expect(percentileSorted([], 95)).toBeNaN();
  });
});

describe('phases and their timeline', () => {
  it('expands numbered ranges and reads the observation hours', () => {
    const ph = parsePhase('cust-08..cust-10+t0001>iso-cust@48', 'f');
    expect(ph.registries).toEqual(['cust-08', 'cust-09', 'cust-10', 't0001']);
    expect(ph.dest).toBe('iso-cust');
    expect(ph.hours).toBe(48);
  });

  it('cuts over off-peak and reads each phase over the last peak window of its observation', () => {
    const tl = buildTimeline([parsePhase('a>B@24', 'f'), parsePhase('b>B@48', 'f')], 720, 0.5);
    // Day 0's window is [0, 720); the first cutover is at midnight (t = 1080, 06:00 + 18 h).
    expect(tl.phases.map((p) => p.cutover)).toEqual([1080, 2520]);
    expect(tl.phases.map((p) => p.window)).toEqual([1440, 4320]);
    expect(tl.horizon).toBe(4320 + 720);
  });
});

describe('bad input names the field', () => {
  const field = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as InputError).field;
    }
    throw new Error('no error');
  };

  it('VMSS min above max', () => {
    const p = small({ registryPool: { minInstances: [8, 31, 8] } });
    expect(field(() => validateStamps(p))).toBe('registryPool.minInstances[1]');
  });

  it('a share above 100 %', () => {
    expect(field(() => resolve(stampsSchema, [], ['customer.topSharePct=120']))).toBe('customer.topSharePct');
  });

  it('a phase moving a registry that does not exist', () => {
    const p = small({ rebalance: { phases: ['cust-01>B', 'cust-99>B'] } });
    expect(field(() => validateStamps(p))).toBe('rebalance.phases[1]');
  });

  it('a phase to a stamp that does not exist, and an observation under a day', () => {
    expect(field(() => validateStamps(small({ rebalance: { phases: ['cust-01>Z'] } })))).toBe(
      'rebalance.phases[0]',
    );
    expect(field(() => validateStamps(small({ rebalance: { phases: ['cust-01>B@12'] } })))).toBe(
      'rebalance.phases[0]',
    );
  });

  it('per-stamp lists of the wrong length, and top homes that are not stamps', () => {
    expect(field(() => validateStamps(small({ tenants: { registryCores: [1, 2] } })))).toBe(
      'tenants.registryCores',
    );
    expect(field(() => validateStamps(small({ customer: { topHomes: 'A,Q' } })))).toBe('customer.topHomes');
  });
});
