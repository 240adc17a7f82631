/**
 * A shared bandwidth budget (bytes/s) for every copy in flight into one region. The link
 * keeps a model clock: each chunk reserves the next bytes/rate of link time, so N concurrent
 * streams split the rate and one stream's bytes take bytes/rate. The clock starts when the
 * link goes busy and runs on its own from there, so the real work between chunks (HTTP
 * overhead, disk, a loaded machine) does not stretch the modelled time: real bytes may run
 * up to LEAD_MS ahead of the clock, and the caller publishes (manifest, tag) once the clock
 * says its last byte arrived. A stream that falls more than SLACK_MS behind (the machine is
 * slower than the configured link) cannot bank that time for later chunks.
 */
import { type Clock, sleep as clockSleep, systemClock } from '../../clock';

const LEAD_MS = 200;
const SLACK_MS = 1000;
const HANDOFF_MS = 300;

export class Pacer {
  private next = 0;
  private active = 0;
  constructor(
    private readonly rate: () => number,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * A transfer starts: an idle link starts its clock at `at` (the clock's monotonic ms;
   * default now, later if the transfer was started ahead of its due time), so idle time
   * earns no credit.
   */
  begin(at = this.clock.monotonic()): void {
    if (this.active++ > 0) return;
    const now = this.clock.monotonic();
    // A queued transfer taking over from one that just finished continues the link's clock
    // (the handoff's HTTP overhead is not link time); after a real idle spell it starts fresh.
    this.next = Math.max(at, now - this.next <= HANDOFF_MS ? this.next : now);
  }

  end(): void {
    this.active = Math.max(0, this.active - 1);
  }

  /** Reserves link time for `bytes`; resolves near the reservation's end, returns that end (monotonic ms). */
  async take(bytes: number, signal?: AbortSignal): Promise<number> {
    const bps = this.rate();
    const now = this.clock.monotonic();
    if (bps <= 0 || bytes <= 0) return now;
    this.next = Math.max(this.next, now - SLACK_MS) + (bytes / bps) * 1000;
    const end = this.next;
    if (end - LEAD_MS - now >= 1) await clockSleep(this.clock, end - LEAD_MS - now, signal);
    return end;
  }
}

export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return clockSleep(clock, ms, signal);
}

/** Waits until the clock's monotonic ms reach `t`. */
export async function until(t: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  const ms = t - clock.monotonic();
  if (ms >= 1) await clockSleep(clock, ms, signal);
}

/** Epoch ms (now()) -> the clock's monotonic ms. */
export const perfTime = (epochMs: number, clock: Clock = systemClock) =>
  clock.monotonic() + (epochMs - clock.now());
