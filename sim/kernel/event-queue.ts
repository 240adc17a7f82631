/**
 * The future-event list: a binary min-heap ordered by (time, priority, sequence), as in
 * SimPy's core. The sequence number makes ties FIFO, which is what makes a run
 * deterministic. Cancellation is lazy (a cancelled entry is skipped when popped): the
 * network model reschedules completions constantly and a heap delete would cost more.
 */
export interface ScheduledEvent {
  readonly time: number;
  readonly priority: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class EventQueue {
  private heap: ScheduledEvent[] = [];
  private seq = 0;
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(time: number, priority: number, fn: () => void): ScheduledEvent {
    const ev: ScheduledEvent = { time, priority, seq: this.seq++, fn, cancelled: false };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as ScheduledEvent;
      if (!before(ev, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = ev;
    this.live++;
    return ev;
  }

  cancel(ev: ScheduledEvent): void {
    if (ev.cancelled) return;
    ev.cancelled = true;
    this.live--;
    // Mostly-dead heaps are slow heaps: rebuild once cancelled entries dominate.
    if (this.heap.length > 4096 && this.heap.length > 3 * this.live) this.compact();
  }

  private compact(): void {
    const h = this.heap.filter((e) => !e.cancelled);
    for (let i = (h.length >> 1) - 1; i >= 0; i--) siftDown(h, i);
    this.heap = h;
  }

  /** Time of the next live event, or Infinity. Drops cancelled entries from the top. */
  peekTime(): number {
    this.dropCancelled();
    return this.heap[0]?.time ?? Number.POSITIVE_INFINITY;
  }

  pop(): ScheduledEvent | undefined {
    this.dropCancelled();
    const ev = this.popRaw();
    if (ev) {
      this.live--;
      // Marked so a later cancel() of a fired event is a no-op.
      ev.cancelled = true;
    }
    return ev;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && (this.heap[0] as ScheduledEvent).cancelled) this.popRaw();
  }

  private popRaw(): ScheduledEvent | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop() as ScheduledEvent;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && before(h[r] as ScheduledEvent, h[l] as ScheduledEvent)) c = r;
        const child = h[c] as ScheduledEvent;
        if (!before(child, last)) break;
        h[i] = child;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function siftDown(h: ScheduledEvent[], i: number): void {
  const n = h.length;
  const item = h[i] as ScheduledEvent;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    let c = l;
    if (l + 1 < n && before(h[l + 1] as ScheduledEvent, h[l] as ScheduledEvent)) c = l + 1;
    const child = h[c] as ScheduledEvent;
    if (!before(child, item)) break;
    h[i] = child;
    i = c;
  }
  h[i] = item;
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.priority !== b.priority) return a.priority < b.priority;
  return a.seq < b.seq;
}
