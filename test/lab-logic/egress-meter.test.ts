import { describe, expect, it } from 'vitest';
import { EgressMeter, FINE_S, HISTORY_S } from '../../lib/lab/storage/egress-meter';

/** A meter on a clock the test moves (epoch ms). */
function meterAt(startMs: number) {
  let now = startMs;
  const meter = new EgressMeter(() => now);
  return { meter, at: (ms: number) => (now = startMs + ms) };
}

const T0 = 1_795_000_000_000; // a whole second, so windows fall in predictable seconds

describe('EgressMeter', () => {
  it('keeps the largest 1 s window as the lifetime peak', () => {
    const { meter, at } = meterAt(T0);
    for (let i = 0; i < 10; i++) {
      at(i * 100);
      meter.add(100);
    }
    at(1500);
    expect(meter.peakBps()).toBe(1000);
    expect(meter.lastSecondBps()).toBe(500);
    expect(meter.total).toBe(1000);
  });

  it("gives a later run its own peak, not an earlier run's", () => {
    const { meter, at } = meterAt(T0);
    meter.add(5000); // an earlier run
    at(10_000);
    meter.add(300); // this run, started at +9 s
    at(12_000);
    expect(meter.peakBps()).toBe(5000);
    expect(meter.peakSinceBps(T0 + 9000)).toBe(300);
    expect(meter.peakSinceBps(T0)).toBe(5000);
    // Nothing closed since +12 s.
    expect(meter.peakSinceBps(T0 + 12_000)).toBe(0);
  });

  it('counts a burst in the first second of a run, and nothing from just before it', () => {
    const { meter, at } = meterAt(T0);
    at(100);
    meter.add(1000); // the end of an earlier run
    at(500);
    meter.add(50); // this run started at +300 ms
    at(3000);
    expect(meter.peakSinceBps(T0 + 300)).toBe(50);
    expect(meter.peakBps()).toBe(1050);
    // Once that second's windows have left the fine history, the whole second counts.
    at((FINE_S + 10) * 1000);
    expect(meter.peakSinceBps(T0 + 300)).toBe(1050);
  });

  it('counts the bytes of the last second before its windows close (a run asks right after it ends)', () => {
    const { meter, at } = meterAt(T0);
    at(200);
    meter.add(400);
    at(450);
    meter.add(100);
    // Now = +450 ms: no window holding these bytes has closed yet.
    expect(meter.peakBps()).toBe(500);
    expect(meter.peakSinceBps(T0)).toBe(500);
    expect(meter.peakSinceBps(T0 + 300)).toBe(100);
    expect(meter.peakSinceBps(T0 + 500)).toBe(0);
  });

  it('counts a run that begins and ends inside one 100 ms slot (k6 pulls a small image in tens of ms)', () => {
    const { meter, at } = meterAt(T0);
    at(1230); // the run starts
    at(1260);
    meter.add(700);
    at(1290); // and has ended: the status asks now, in the same slot
    expect(meter.peakSinceBps(T0 + 1230)).toBe(700);
    at(5000);
    expect(meter.peakSinceBps(T0 + 1230)).toBe(700);
  });

  it('does not count a recycled history slot as a recent second', () => {
    const { meter, at } = meterAt(T0);
    meter.add(700); // windows close in seconds 0 and 1 after T0
    at(HISTORY_S * 1000 + 500); // the ring has wrapped: second HISTORY_S reuses slot 0's place
    expect(meter.peakSinceBps(T0 + (HISTORY_S - 3) * 1000)).toBe(0);
  });

  it('answers a start older than the history with the lifetime peak (never an undercount)', () => {
    const { meter, at } = meterAt(T0);
    meter.add(900);
    at((HISTORY_S + 5) * 1000);
    meter.add(10);
    at((HISTORY_S + 7) * 1000);
    expect(meter.peakSinceBps(T0)).toBe(900);
    expect(meter.peakSinceBps(T0 + (HISTORY_S + 4) * 1000)).toBe(10);
  });
});
