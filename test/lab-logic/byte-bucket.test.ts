import { describe, expect, it } from 'vitest';
import { type Clock, FakeClock } from '../../lib/clock';
import { ByteBucket } from '../../lib/lab/storage/byte-bucket';

/** Grant times (monotonic ms) of `takes` chunks of `n` bytes, all asked for at once. */
function grants(c: FakeClock, b: ByteBucket, takes: number, n: number, who = ''): string[] {
  const at: string[] = [];
  for (let i = 0; i < takes; i++) b.take(n, () => at.push(`${who}${c.monotonic()}`));
  return at;
}

/**
 * A FakeClock whose event loop is blocked over each [from, from + ms): a timer due inside a
 * stall fires at its end, as Node's timers do after a long synchronous stretch.
 */
function stallingClock(c: FakeClock, stalls: ReadonlyArray<readonly [number, number]>): Clock {
  const fire = (fn: () => void) => {
    const t = c.monotonic();
    const s = stalls.find(([from, ms]) => t >= from && t < from + ms);
    if (s) c.setTimeout(() => fire(fn), s[0] + s[1] - t);
    else fn();
  };
  return {
    now: () => c.now(),
    monotonic: () => c.monotonic(),
    clearTimeout: (t) => c.clearTimeout(t),
    setTimeout: (fn, delay) => c.setTimeout(() => fire(fn), delay),
  };
}

/** `streams` streams that each ask for the next `chunk` as soon as the last was granted; (ms, bytes) per grant. */
function pump(clock: Clock, b: ByteBucket, streams: number, chunk: number, untilMs: number) {
  const log: Array<[number, number]> = [];
  const next = () => {
    if (clock.monotonic() >= untilMs) return;
    b.take(chunk, () => {
      log.push([clock.monotonic(), chunk]);
      next();
    });
  };
  for (let i = 0; i < streams; i++) next();
  return log;
}

/** Largest byte count granted in any window [t, t + 1000) ms; each window starts at a grant. */
function peakPerSecond(log: ReadonlyArray<[number, number]>): number {
  let best = 0;
  let sum = 0;
  let j = 0;
  for (let i = 0; i < log.length; i++) {
    sum += log[i]![1];
    while (log[j]![0] <= log[i]![0] - 1000) sum -= log[j++]![1];
    best = Math.max(best, sum);
  }
  return best;
}

describe('ByteBucket (storage egress ceiling) on a fake clock', () => {
  it('a 500 ms event-loop stall is not repaid: every 1 s window stays within the ceiling + 10 %', () => {
    const ceiling = 4e6;
    for (const [chunk, streams] of [
      [64 * 1024, 40],
      [16 * 1024, 200],
    ] as const) {
      const c = new FakeClock();
      const clock = stallingClock(c, [[2000, 500]]);
      const b = new ByteBucket(() => ceiling, clock);
      const log = pump(clock, b, streams, chunk, 6000);
      c.advance(7000);
      // The stall happened: nothing was granted inside it, the waiters went at its end.
      expect(log.filter(([t]) => t > 2000 && t < 2500)).toEqual([]);
      expect(log.some(([t]) => t === 2500)).toBe(true);
      expect(peakPerSecond(log)).toBeLessThanOrEqual(ceiling * 1.1);
      // The lost time is lost, not made up: 6 s of the ceiling less the 0.5 s stall, plus
      // at most the burst (50 ms) and a chunk's overdraw at each end.
      const total = log.filter(([t]) => t < 6000).reduce((a, [, n]) => a + n, 0);
      expect(total).toBeLessThanOrEqual(ceiling * 5.5 + ceiling * 0.05 + 2 * chunk);
      expect(total).toBeGreaterThan(ceiling * 5.5 * 0.97);
    }
  });

  it('over any 1 s window, even across several stalls: at most rate + burst + one chunk', () => {
    const c = new FakeClock();
    const clock = stallingClock(c, [
      [1000, 300],
      [1400, 700],
      [3000, 50],
      [3100, 900],
    ]);
    const rate = 2e6;
    const b = new ByteBucket(() => rate, clock);
    const log = pump(clock, b, 30, 64 * 1024, 6000);
    c.advance(7000);
    expect(log.length).toBeGreaterThan(100);
    expect(peakPerSecond(log)).toBeLessThanOrEqual(rate + Math.max(rate * 0.05, 64 * 1024) + 64 * 1024);
  });

  it('delivers exactly the ceiling: 100 kB chunks at 1 MB/s are granted every 100 ms', () => {
    const c = new FakeClock();
    const b = new ByteBucket(() => 1e6, c);
    const at = grants(c, b, 10, 100_000);
    expect(at).toEqual([]);
    c.advance(2000);
    // The first waits for a positive balance (1 ms); each grant then leaves a 99 kB debt
    // that real time pays off: 100 ms per chunk.
    expect(at).toEqual(['1', '101', '201', '301', '401', '501', '601', '701', '801', '901']);
    expect(b.waiting).toBe(0);
  });

  it('serves concurrent streams in FIFO order, sharing the ceiling', () => {
    const c = new FakeClock();
    const b = new ByteBucket(() => 1e6, c);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      b.take(100_000, () => order.push(`a${c.monotonic()}`));
      b.take(100_000, () => order.push(`b${c.monotonic()}`));
    }
    c.advance(1000);
    expect(order).toEqual(['a1', 'b101', 'a201', 'b301', 'a401', 'b501']);
  });

  it('an idle bucket saves at most 50 ms of the rate (or 64 KiB): no burst after a long pause', () => {
    const c = new FakeClock();
    const b = new ByteBucket(() => 1e6, c);
    c.advance(10_000);
    const at = grants(c, b, 3, 100_000);
    // 64 KiB saved (above 50 ms = 50 kB): the first goes at once, leaving a 34,464 B debt.
    expect(at).toEqual(['10000']);
    c.advance(1000);
    // The debt plus one byte takes 34.465 ms (timer at 35 ms); the next a full 100 ms more.
    expect(at).toEqual(['10000', '10035', '10135']);
  });

  it('a ceiling change applies at the next take; unlimited (0) releases every waiter at once', () => {
    const c = new FakeClock();
    let rate = 1e6;
    const b = new ByteBucket(() => rate, c);
    const at = grants(c, b, 4, 100_000);
    c.advance(150);
    expect(at).toEqual(['1', '101']);
    rate = 0;
    c.advance(100);
    expect(at).toEqual(['1', '101', '201', '201']);
  });

  it('close drops the waiters and the timer', () => {
    const c = new FakeClock();
    const b = new ByteBucket(() => 1e6, c);
    const at = grants(c, b, 3, 100_000);
    b.close();
    c.advance(1000);
    expect(at).toEqual([]);
    expect(c.pending).toBe(0);
  });
});
