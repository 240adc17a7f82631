import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/clock';
import { Pacer, perfTime, until } from '../../lib/lab/replication/pacer';

/** Starts `take`s, records when each resolves (clock ms) and the reservation end it returns. */
function track(c: FakeClock, p: Promise<number>, log: string[], who: string) {
  void p.then((end) => log.push(`${who} at ${c.monotonic()} end ${end}`));
}

describe('Pacer (replication bandwidth) on a fake clock', () => {
  it("reserves bytes/rate of link time per chunk; a chunk resolves 200 ms (the lead) before its reservation's end", async () => {
    const c = new FakeClock();
    const p = new Pacer(() => 1e6, c);
    p.begin();
    const log: string[] = [];
    for (let i = 0; i < 4; i++) track(c, p.take(100_000), log, `#${i}`);
    await c.advanceAsync(1000);
    expect(log).toEqual(['#0 at 0 end 100', '#1 at 0 end 200', '#2 at 100 end 300', '#3 at 200 end 400']);
  });

  it('two streams split the rate: their reservations interleave on one link clock', async () => {
    const c = new FakeClock();
    const p = new Pacer(() => 1e6, c);
    p.begin();
    p.begin();
    const log: string[] = [];
    const stream = async (who: string) => {
      for (let i = 0; i < 3; i++) log.push(`${who} end ${await p.take(500_000)}`);
    };
    const both = Promise.all([stream('a'), stream('b')]);
    await c.advanceAsync(5000);
    await both;
    // 6 x 0.5 MB at 1 MB/s: the link is busy 3 s, each stream got half of it.
    expect(log.map((l) => Number(l.split(' end ')[1])).sort((x, y) => x - y)).toEqual([
      500, 1000, 1500, 2000, 2500, 3000,
    ]);
  });

  it('a stream that falls behind cannot bank more than 1 s (the slack) for later chunks', async () => {
    const c = new FakeClock();
    const p = new Pacer(() => 1e6, c);
    p.begin();
    c.advance(5000);
    // The link clock (0) is 5 s behind: it restarts from now - 1 s, not from 0.
    expect(await p.take(100_000)).toBe(4100);
  });

  it('a transfer taking over at once continues the link clock; after an idle spell it starts fresh', async () => {
    const c = new FakeClock();
    const p = new Pacer(() => 1e6, c);
    p.begin();
    const first = p.take(1_000_000);
    await c.advanceAsync(800);
    // Resolved at 800, the lead before its reservation ends at 1000.
    expect(await first).toBe(1000);
    p.end();
    c.advance(50);
    p.begin();
    // The link is still busy until 1000 in the model: the next transfer queues behind it
    // (and resolves at 900, the lead before 1100).
    const second = p.take(100_000);
    await c.advanceAsync(50);
    expect(await second).toBe(1100);
    p.end();
    c.advance(5000);
    p.begin();
    expect(await p.take(100_000)).toBe(6000);
  });

  it('a transfer begun ahead of its due time starts the link clock then', async () => {
    const c = new FakeClock();
    const p = new Pacer(() => 1e6, c);
    p.begin(2000);
    let end = -1;
    void p.take(100_000).then((e) => (end = e));
    await c.advanceAsync(1899);
    expect(end).toBe(-1);
    await c.advanceAsync(1);
    expect(end).toBe(2100);
  });

  it('until() waits for the monotonic time, perfTime() maps epoch ms onto it', async () => {
    const c = new FakeClock(1_000_000);
    c.advance(50);
    expect(perfTime(1_000_550, c)).toBe(550);
    let done = false;
    void until(550, undefined, c).then(() => (done = true));
    await c.advanceAsync(499);
    expect(done).toBe(false);
    await c.advanceAsync(1);
    expect(done).toBe(true);
  });

  it('an unlimited link (rate 0) never waits', async () => {
    const c = new FakeClock();
    const p = new Pacer(() => 0, c);
    p.begin();
    expect(await p.take(1e9)).toBe(0);
    expect(c.pending).toBe(0);
  });
});
