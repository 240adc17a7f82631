import { describe, expect, it } from 'vitest';
import { createRng, Env, EventQueue, Priority } from '../../sim/kernel';

describe('event queue', () => {
  it('orders by time, then priority, then insertion', () => {
    const q = new EventQueue();
    const seen: string[] = [];
    q.push(2, 1, () => seen.push('t2'));
    q.push(1, 2, () => seen.push('t1-late'));
    q.push(1, 0, () => seen.push('t1-urgent'));
    q.push(1, 2, () => seen.push('t1-late-2'));
    const cancelled = q.push(0.5, 1, () => seen.push('cancelled'));
    q.cancel(cancelled);
    for (let ev = q.pop(); ev; ev = q.pop()) ev.fn();
    expect(seen).toEqual(['t1-urgent', 't1-late', 't1-late-2', 't2']);
  });

  it('keeps heap order over many random pushes', () => {
    const q = new EventQueue();
    const rng = createRng(3);
    for (let i = 0; i < 2000; i++) q.push(Math.floor(rng.next() * 100), rng.int(3), () => {});
    let last = -1;
    let lastP = -1;
    for (let ev = q.pop(); ev; ev = q.pop()) {
      expect(ev.time > last || (ev.time === last && ev.priority >= lastP)).toBe(true);
      last = ev.time;
      lastP = ev.priority;
    }
  });
});

describe('env', () => {
  it('advances the clock and stops at until', () => {
    const env = new Env();
    const times: number[] = [];
    const tick = () => {
      times.push(env.now);
      env.schedule(1, tick);
    };
    env.schedule(0, tick);
    env.run(3.5);
    expect(times).toEqual([0, 1, 2, 3]);
    expect(env.now).toBe(3.5);
  });

  it('runs LATE work after everything else in the same instant', () => {
    const env = new Env();
    const seen: string[] = [];
    env.schedule(1, () => seen.push('late'), Priority.LATE);
    env.schedule(1, () => seen.push('normal'));
    env.run();
    expect(seen).toEqual(['normal', 'late']);
  });

  it('rejects scheduling into the past', () => {
    expect(() => new Env().schedule(-1, () => {})).toThrow(RangeError);
  });
});

describe('rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('has the right moments', () => {
    const r = createRng(7);
    const n = 50_000;
    let su = 0;
    let se = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.next();
      se += r.exponential(2);
      const z = r.normal(1, 3);
      sn += z;
      sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(se / n).toBeCloseTo(2, 1);
    expect(sn / n).toBeCloseTo(1, 1);
    expect(Math.sqrt(sn2 / n - (sn / n) ** 2)).toBeCloseTo(3, 1);
  });

  it('shuffles into a permutation and picks from a list', () => {
    const r = createRng(1);
    const xs = r.shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...xs].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([1, 2, 3]).toContain(r.choice([1, 2, 3]));
    expect(() => r.choice([])).toThrow();
  });
});
