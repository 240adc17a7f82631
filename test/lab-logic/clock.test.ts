import { describe, expect, it } from 'vitest';
import { FakeClock, sleep, systemClock } from '../../lib/clock';

describe('FakeClock', () => {
  it('moves only when advanced; now() and monotonic() move together', () => {
    const c = new FakeClock(1_000_000, 5);
    expect(c.monotonic()).toBe(5);
    expect(c.now()).toBe(1_000_005);
    c.advance(20);
    expect(c.monotonic()).toBe(25);
    expect(c.now()).toBe(1_000_025);
  });

  it('fires due timers in time order, ties in the order set, each at its own time', () => {
    const c = new FakeClock();
    const seen: string[] = [];
    c.setTimeout(() => seen.push(`b@${c.monotonic()}`), 20);
    c.setTimeout(() => seen.push(`a@${c.monotonic()}`), 10);
    c.setTimeout(() => seen.push(`c@${c.monotonic()}`), 20);
    c.setTimeout(() => seen.push(`late@${c.monotonic()}`), 31);
    c.advance(30);
    expect(seen).toEqual(['a@10', 'b@20', 'c@20']);
    expect(c.pending).toBe(1);
    expect(c.nextAt()).toBe(31);
    expect(c.monotonic()).toBe(30);
  });

  it('fires a timer set by a firing timer within the same advance; cleared timers never fire', () => {
    const c = new FakeClock();
    const seen: number[] = [];
    c.setTimeout(() => {
      seen.push(c.monotonic());
      c.setTimeout(() => seen.push(c.monotonic()), 15);
    }, 10);
    const gone = c.setTimeout(() => seen.push(-1), 12);
    c.clearTimeout(gone);
    c.advance(100);
    expect(seen).toEqual([10, 25]);
  });

  it('treats a delay below 1 ms as 1 ms, as Node does', () => {
    const c = new FakeClock();
    let at = -1;
    c.setTimeout(() => (at = c.monotonic()), 0);
    c.advance(0);
    expect(at).toBe(-1);
    c.advance(1);
    expect(at).toBe(1);
  });

  it('advanceAsync lets promise chains run between timers', async () => {
    const c = new FakeClock();
    const seen: number[] = [];
    const chain = (async () => {
      await sleep(c, 10);
      seen.push(c.monotonic());
      await sleep(c, 10);
      seen.push(c.monotonic());
    })();
    await c.advanceAsync(25);
    await chain;
    expect(seen).toEqual([10, 20]);
    expect(c.monotonic()).toBe(25);
  });

  it('sleep rejects with the abort reason and clears its timer', async () => {
    const c = new FakeClock();
    const ac = new AbortController();
    const p = sleep(c, 100, ac.signal);
    ac.abort(new Error('stopped'));
    await expect(p).rejects.toThrow('stopped');
    expect(c.pending).toBe(0);
    await expect(sleep(c, 5, ac.signal)).rejects.toThrow('stopped');
  });

  it('refuses to go back in time', () => {
    expect(() => new FakeClock().advance(-1)).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('reads the real clocks and its timers are unref-able', () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    expect(systemClock.monotonic()).toBeGreaterThan(0);
    const t = systemClock.setTimeout(() => {}, 10_000);
    t.unref();
    systemClock.clearTimeout(t);
  });
});
