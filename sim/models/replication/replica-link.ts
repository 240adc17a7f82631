/**
 * The replication queue into one target replica, as the lab's replicator runs it
 * (lib/lab/replication/replicator.ts + pacer.ts):
 * - a copy becomes due at its source event time + baseLagS + jitter;
 * - at most `concurrency` copies are in flight; the rest wait in a FIFO in push order, and a
 *   due copy may pass an earlier one that is not due yet (the lab's pump scans the queue);
 * - writes to one key (repository+tag, or digest) apply in order: a copy waits while an
 *   earlier write of its key is queued or in flight, so the last push wins everywhere;
 * - the copies in flight share the target's bandwidth equally (the pacer's shared link
 *   clock), so one copy alone takes bytes/bandwidth and N copies split the rate;
 * - the content (blobs, then manifest, then tag) is published when its last byte lands.
 * Callback API of sim/kernel: events are due times and transfer completions.
 */
import type { Env } from '../../kernel/env';

export interface Copy {
  /** Push order (the lab's `seq`): the FIFO order. */
  seq: number;
  /** Writes with the same key apply in seq order. */
  key: string;
  /** Absolute time the copy may start (event time + base lag + jitter). */
  due: number;
  /** Bytes to move (0 for a delete). */
  bytes: number;
  /** Called at the landing instant. */
  onLand(t: number): void;
}

interface Active {
  copy: Copy;
  remaining: number;
}

export class ReplicaLink {
  private readonly queue: Copy[] = [];
  private readonly active: Active[] = [];
  private lastUpdate = 0;
  private readonly timer: number;
  /** Largest number of copies waiting (queued, due or not) seen: the backlog. */
  maxBacklog = 0;

  constructor(
    private readonly env: Env,
    private readonly bandwidthBps: number,
    private readonly concurrency: number,
  ) {
    this.timer = env.reserveTimer(() => this.complete());
  }

  enqueue(copy: Copy): void {
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1] as Copy).seq > copy.seq) i--;
    this.queue.splice(i, 0, copy);
    this.maxBacklog = Math.max(this.maxBacklog, this.queue.length);
    this.env.at(Math.max(this.env.now, copy.due), () => this.pump());
  }

  /** Bytes still to move of each copy in flight, brought up to now. */
  private advance(): void {
    const now = this.env.now;
    const n = this.active.length;
    if (n > 0 && this.bandwidthBps > 0) {
      const moved = ((now - this.lastUpdate) * this.bandwidthBps) / n;
      for (const a of this.active) a.remaining = Math.max(0, a.remaining - moved);
    }
    this.lastUpdate = now;
  }

  private pump(): void {
    this.advance();
    const now = this.env.now;
    const blocked = new Set<string>();
    for (const a of this.active) blocked.add(a.copy.key);
    let started = false;
    for (let i = 0; i < this.queue.length && this.active.length < this.concurrency; i++) {
      const c = this.queue[i] as Copy;
      const free = c.due <= now && !blocked.has(c.key);
      // An earlier write of this key, started or not, holds every later one back.
      blocked.add(c.key);
      if (!free) continue;
      this.queue.splice(i, 1);
      i--;
      this.active.push({ copy: c, remaining: c.bytes });
      started = true;
    }
    if (started || this.active.length > 0) this.arm();
  }

  /** Sets the timer to the next completion under equal sharing. */
  private arm(): void {
    if (this.active.length === 0) {
      this.env.clearTimer(this.timer);
      return;
    }
    let min = Number.POSITIVE_INFINITY;
    for (const a of this.active) min = Math.min(min, a.remaining);
    const delay = this.bandwidthBps > 0 ? (min * this.active.length) / this.bandwidthBps : 0;
    this.env.setTimer(this.timer, Math.max(0, delay));
  }

  private complete(): void {
    this.advance();
    const now = this.env.now;
    if (this.active.length === 0) return;
    // The timer was set for the copy with the least left: it is done now, whatever float dust
    // remains (a sub-ulp delay would otherwise re-arm at the same instant forever).
    let min = Number.POSITIVE_INFINITY;
    for (const a of this.active) min = Math.min(min, a.remaining);
    const done = this.active.filter((a) => a.remaining <= min + 1e-6);
    for (const a of done) this.active.splice(this.active.indexOf(a), 1);
    for (const a of done) a.copy.onLand(now);
    this.pump();
    if (this.active.length === 0) this.env.clearTimer(this.timer);
  }
}
