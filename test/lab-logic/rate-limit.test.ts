import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/clock';
import { RequestBucket } from '../../lib/lab/front/rate-limit';

describe('RequestBucket (TOOMANYREQUESTS) on a fake clock', () => {
  it('admits the burst at once, then answers the whole seconds until the next token', () => {
    const c = new FakeClock();
    const b = new RequestBucket(
      () => 2,
      () => 3,
      c,
    );
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 0]);
    // Empty: one token takes 0.5 s at 2/s, Retry-After is at least 1 s.
    expect(b.take()).toBe(1);
    c.advance(499);
    expect(b.take()).toBe(1);
    c.advance(1);
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(1);
  });

  it('refills at rate per second up to the burst, no more', () => {
    const c = new FakeClock();
    const b = new RequestBucket(
      () => 10,
      () => 5,
      c,
    );
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(0);
    c.advance(60_000);
    const admitted = Array.from({ length: 8 }, () => b.take()).filter((w) => w === 0).length;
    expect(admitted).toBe(5);
  });

  it('a slow rate gives a Retry-After of several seconds', () => {
    const c = new FakeClock();
    const b = new RequestBucket(
      () => 0.25,
      () => 1,
      c,
    );
    expect(b.take()).toBe(0);
    expect(b.take()).toBe(4);
    c.advance(1000);
    expect(b.take()).toBe(3);
  });

  it('a rate of 0 admits everything', () => {
    const b = new RequestBucket(
      () => 0,
      () => 1,
      new FakeClock(),
    );
    expect(Array.from({ length: 100 }, () => b.take()).every((w) => w === 0)).toBe(true);
  });
});
