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

describe('event queue: in-place moves', () => {
  /** A naive future-event list with the same (time, priority, seq) order, as the oracle. */
  class Naive {
    items: Array<{ t: number; p: number; s: number; id: number }> = [];
    seq = 0;
    set(id: number, t: number, p: number) {
      this.del(id);
      this.items.push({ t, p, s: this.seq++, id });
    }
    del(id: number) {
      this.items = this.items.filter((x) => x.id !== id);
    }
    pop(): number | undefined {
      if (this.items.length === 0) return undefined;
      let b = 0;
      this.items.forEach((x, i) => {
        const y = this.items[b] as { t: number; p: number; s: number };
        if (x.t < y.t || (x.t === y.t && (x.p < y.p || (x.p === y.p && x.s < y.s)))) b = i;
      });
      const [x] = this.items.splice(b, 1);
      return x?.id;
    }
  }

  it('reschedule, cancel and timers pop in the same order as cancel-then-push', () => {
    const q = new EventQueue();
    const ref = new Naive();
    const rng = createRng(5);
    const popped: number[] = [];
    // ids 0..39 are push()ed events (moved with reschedule), 40..79 timers.
    const handles = new Map<number, ReturnType<EventQueue['push']>>();
    const timers = new Map<number, number>();
    for (let id = 40; id < 80; id++)
      timers.set(
        id,
        q.reserveTimer(() => popped.push(id)),
      );
    const expected: number[] = [];
    for (let step = 0; step < 5000; step++) {
      const id = rng.int(80);
      const t = rng.int(50);
      const p = rng.int(3);
      const op = rng.next();
      if (op < 0.15) {
        const got = q.pop();
        const want = ref.pop();
        expect(got === undefined).toBe(want === undefined);
        if (got) got.fn();
        if (want !== undefined) expected.push(want);
      } else if (op < 0.3) {
        if (id < 40) {
          const h = handles.get(id);
          if (h) q.cancel(h);
        } else q.clearTimer(timers.get(id) as number);
        ref.del(id);
      } else if (id < 40) {
        const h = handles.get(id);
        if (h) q.reschedule(h, t, p);
        else
          handles.set(
            id,
            q.push(t, p, () => popped.push(id)),
          );
        ref.set(id, t, p);
      } else {
        q.setTimer(timers.get(id) as number, t, p);
        ref.set(id, t, p);
      }
      expect(q.size).toBe(ref.items.length);
    }
    for (let ev = q.pop(); ev; ev = q.pop()) ev.fn();
    for (let id = ref.pop(); id !== undefined; id = ref.pop()) expected.push(id);
    expect(popped).toEqual(expected);
  });

  it('a fired or cancelled event can be rescheduled; a fired one cannot be cancelled', () => {
    const env = new Env();
    const seen: number[] = [];
    const h = env.schedule(1, () => seen.push(env.now));
    env.run();
    env.cancel(h);
    env.reschedule(h, 2);
    expect(env.pending).toBe(1);
    env.run();
    expect(seen).toEqual([1, 3]);
    const timer = env.reserveTimer(() => seen.push(-env.now));
    env.setTimer(timer, 5);
    env.setTimer(timer, 1);
    expect(env.timerQueued(timer)).toBe(true);
    env.run();
    expect(seen).toEqual([1, 3, -4]);
    expect(env.timerQueued(timer)).toBe(false);
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

describe("env: calls (scheduleCall), the process layer's allocation-free events", () => {
  it('a call runs fn(arg), in the (time, priority, sequence) order of schedule()', () => {
    const env = new Env();
    const seen: string[] = [];
    const named = { name: 'obj' };
    const say = (o: { name: string }) => seen.push(`${o.name}@${env.now}`);
    env.schedule(1, () => seen.push('cb1@1'));
    env.scheduleCall(1, say, { name: 'call1' });
    env.scheduleCall(1, say, { name: 'urgent' }, Priority.URGENT);
    env.schedule(1, () => seen.push('cb2@1'));
    env.scheduleCall(0.5, say, named);
    env.run();
    expect(seen).toEqual(['obj@0.5', 'urgent@1', 'cb1@1', 'call1@1', 'cb2@1']);
    expect(env.processed).toBe(5);
  });

  it('cancelCall unqueues a queued call; its slot is reused after it ran, not before', () => {
    const env = new Env();
    const seen: number[] = [];
    const mark = (o: { n: number }) => seen.push(o.n);
    const a = env.scheduleCall(1, mark, { n: 1 });
    const b = env.scheduleCall(2, mark, { n: 2 });
    expect(a).not.toBe(b);
    env.cancelCall(a);
    expect(env.pending).toBe(1);
    env.run();
    expect(seen).toEqual([2]);
    // A call that ran frees its id: a later one may take it.
    const c = env.scheduleCall(1, mark, { n: 3 });
    env.run();
    expect(seen).toEqual([2, 3]);
    expect([a, b]).toContain(c);
  });

  it('EventQueue.pop() describes a call as an event whose fn calls it with its argument', () => {
    const q = new EventQueue();
    const seen: string[] = [];
    q.pushCall(3, Priority.NORMAL, (o: { s: string }) => seen.push(o.s), { s: 'x' });
    const ev = q.pop();
    expect(ev?.time).toBe(3);
    ev?.fn();
    expect(seen).toEqual(['x']);
    expect(q.pop()).toBeUndefined();
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
