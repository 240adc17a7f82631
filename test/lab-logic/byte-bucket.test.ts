import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/clock';
import { ByteBucket } from '../../lib/lab/storage/byte-bucket';

/** Grant times (monotonic ms) of `takes` chunks of `n` bytes, all asked for at once. */
function grants(c: FakeClock, b: ByteBucket, takes: number, n: number, who = ''): string[] {
  const at: string[] = [];
  for (let i = 0; i < takes; i++) b.take(n, () => at.push(`${who}${c.monotonic()}`));
  return at;
}

describe('ByteBucket (storage egress ceiling) on a fake clock', () => {
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
