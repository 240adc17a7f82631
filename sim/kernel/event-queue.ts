/**
 * The future-event list: a min-heap ordered by (time, priority, sequence), as in
 * SimPy's core. The sequence number makes ties FIFO, which is what makes a run
 * deterministic.
 *
 * The heap is 4-ary and indexed: each entry is one 32-byte record (time, priority, seq,
 * slot) in a Float64Array (no pointer chasing while sifting; a node's four children share
 * two cache lines, and the tree is half as deep as a binary one), and every queued event
 * knows its heap position through its slot, so cancel() removes the entry at once and
 * reschedule() moves a queued event to a new time in place (O(log n), no allocation). The
 * network model moves completion events constantly; with lazy deletion most of the heap
 * was dead entries that still had to be sifted past and compacted away.
 *
 * reschedule() takes a fresh sequence number, exactly as cancel() followed by push()
 * would, so the pop order is the same as with a cancel-and-push.
 *
 * Timers are the allocation-free form for code that moves one event over and over (a
 * flow's completion): reserveTimer(fn) pins a slot with its callback once, setTimer()
 * queues or moves it (fresh sequence number, like reschedule), clearTimer() unqueues it.
 * No event object is involved, so moving one touches only the heap and the slot table.
 *
 * Calls are the allocation-free form for one-shot events of objects (a process's events):
 * pushCall(time, priority, fn, arg) queues `fn(arg)`, and returns the slot, which names the entry until it is popped or cancelled (cancelCall). No
 * event object and no closure per entry: fn is shared by every object of a kind.
 */
export interface ScheduledEvent {
  readonly time: number;
  readonly priority: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** The concrete event: the public fields plus the heap slot (-1 when not queued). */
class Ev implements ScheduledEvent {
  constructor(
    public time: number,
    public priority: number,
    public seq: number,
    public fn: () => void,
    public cancelled: boolean,
    public slot: number,
  ) {}
}

/** Marks a slot held by a call (pushCall): freed when popped, like an event's, but with no object of its own. */
const CALL = new Ev(0, 0, 0, () => {}, true, -1);

export class EventQueue {
  /** Heap records in heap order: [time, priority, seq, slot] per entry. */
  private h = new Float64Array(4 * 1024);
  private n = 0;
  // Slots: small integers naming queued events (recycled) and timers (pinned), with their
  // heap position (-1: not queued), callback and, for push()ed events, the event object.
  private slotPos = new Int32Array(1024).fill(-1);
  private slotFn: Array<(() => void) | undefined> = [];
  private slotEv: Array<Ev | undefined> = [];
  /** The argument of a call's fn (pushCall); undefined for events and timers. */
  private slotArg: unknown[] = [];
  private freeSlots = new Int32Array(1024);
  private nFree = 0;
  private nextSlot = 0;
  private seq = 0;
  /** Time of the entry the last popNext() took. */
  poppedTime = 0;
  /** The argument for the callback the last popNext() returned (undefined but for calls). */
  poppedArg: unknown = undefined;

  get size(): number {
    return this.n;
  }

  push(time: number, priority: number, fn: () => void): ScheduledEvent {
    const ev = new Ev(time, priority, 0, fn, false, -1);
    const slot = this.takeSlot();
    ev.slot = slot;
    this.slotEv[slot] = ev;
    this.slotFn[slot] = fn;
    ev.seq = this.insert(slot, time, priority);
    return ev;
  }

  /**
   * Moves `ev` to `time` (and `priority`) with a fresh sequence number: the same order as
   * cancel(ev) then push(), but in place and without a new event. Works on fired or
   * cancelled events too (they are queued again, un-cancelled).
   */
  reschedule(event: ScheduledEvent, time: number, priority: number = event.priority): ScheduledEvent {
    const ev = event as Ev;
    ev.time = time;
    ev.priority = priority;
    ev.cancelled = false;
    if (ev.slot < 0) {
      const slot = this.takeSlot();
      ev.slot = slot;
      this.slotEv[slot] = ev;
      this.slotFn[slot] = ev.fn;
    }
    ev.seq = this.place(ev.slot, time, priority);
    return ev;
  }

  cancel(event: ScheduledEvent): void {
    const ev = event as Ev;
    if (ev.cancelled) return;
    ev.cancelled = true;
    if (ev.slot >= 0) this.removeAt(this.slotPos[ev.slot] as number);
  }

  /**
   * Queues fn(arg) at (time, priority), ordered as push() would be; returns the slot naming
   * the entry while it is queued (for cancelCall).
   */
  pushCall(time: number, priority: number, fn: (arg: never) => void, arg: unknown): number {
    const slot = this.takeSlot();
    this.slotEv[slot] = CALL;
    this.slotFn[slot] = fn as () => void;
    this.slotArg[slot] = arg;
    this.insert(slot, time, priority);
    return slot;
  }

  /** Unqueues a call that is still queued (its slot is only its own until then). */
  cancelCall(slot: number): void {
    const i = this.slotPos[slot] as number;
    if (i >= 0) this.removeAt(i);
  }

  /** A pinned slot that runs fn whenever it comes due; not queued until setTimer(). */
  reserveTimer(fn: () => void): number {
    const slot = this.takeSlot();
    this.slotFn[slot] = fn;
    this.slotEv[slot] = undefined;
    this.slotPos[slot] = -1;
    return slot;
  }

  /** Queues the timer at `time` or moves it there, with a fresh sequence number. */
  setTimer(timer: number, time: number, priority: number): void {
    this.place(timer, time, priority);
  }

  clearTimer(timer: number): void {
    const i = this.slotPos[timer] as number;
    if (i >= 0) this.removeAt(i);
  }

  timerQueued(timer: number): boolean {
    return (this.slotPos[timer] as number) >= 0;
  }

  /** Time of the next event, or Infinity. */
  peekTime(): number {
    return this.n > 0 ? (this.h[0] as number) : Number.POSITIVE_INFINITY;
  }

  pop(): ScheduledEvent | undefined {
    if (this.n === 0) return undefined;
    const h = this.h;
    const slot = h[3] as number;
    let ev = this.slotEv[slot];
    // A timer or a call has no event object: describe it in a fresh one.
    if (ev === undefined || ev === CALL) {
      const fn = this.slotFn[slot] as (arg: unknown) => void;
      const arg = this.slotArg[slot];
      ev = new Ev(
        h[0] as number,
        h[1] as number,
        h[2] as number,
        ev === CALL ? () => fn(arg) : (fn as () => void),
        false,
        -1,
      );
    }
    this.removeAt(0);
    // Marked so a later cancel() of a fired event is a no-op.
    ev.cancelled = true;
    return ev;
  }

  /** Takes the next entry off and returns its callback (time in poppedTime); for Env. */
  popNext(): (() => void) | undefined {
    if (this.n === 0) return undefined;
    const h = this.h;
    const slot = h[3] as number;
    this.poppedTime = h[0] as number;
    this.poppedArg = this.slotArg[slot];
    const fn = this.slotFn[slot];
    const ev = this.slotEv[slot];
    this.removeAt(0);
    if (ev !== undefined) ev.cancelled = true;
    return fn;
  }

  private takeSlot(): number {
    if (this.nFree > 0) return this.freeSlots[--this.nFree] as number;
    const slot = this.nextSlot++;
    if (slot >= this.slotPos.length) this.growSlots();
    this.slotEv.push(undefined);
    this.slotFn.push(undefined);
    this.slotArg.push(undefined);
    return slot;
  }

  /** Queues the (unqueued) slot; returns its sequence number. */
  private insert(slot: number, time: number, priority: number): number {
    const seq = this.seq++;
    if (4 * (this.n + 1) > this.h.length) this.growHeap();
    this.siftUp(this.n++, time, priority, seq, slot);
    return seq;
  }

  /** Queues the slot or moves it if queued; returns its new sequence number. */
  private place(slot: number, time: number, priority: number): number {
    const i = this.slotPos[slot] as number;
    if (i < 0) return this.insert(slot, time, priority);
    const seq = this.seq++;
    const h = this.h;
    const o = 4 * i;
    const oldT = h[o] as number;
    // The new key is later than the old one (fresh seq) unless time or priority went down.
    if (time < oldT || (time === oldT && priority < (h[o + 1] as number)))
      this.siftUp(i, time, priority, seq, slot);
    else this.siftDown(i, time, priority, seq, slot);
    return seq;
  }

  /** Takes the entry at heap index i out; frees its slot unless it is a timer. */
  private removeAt(i: number): void {
    const h = this.h;
    const slot = h[4 * i + 3] as number;
    this.slotPos[slot] = -1;
    const ev = this.slotEv[slot];
    if (ev !== undefined) {
      ev.slot = -1;
      this.slotEv[slot] = undefined;
      this.slotFn[slot] = undefined;
      this.slotArg[slot] = undefined;
      this.freeSlots[this.nFree++] = slot;
    }
    const last = --this.n;
    if (i === last) return;
    // Move the last entry into the hole, then restore order in whichever direction.
    const o = 4 * last;
    const t = h[o] as number;
    const p = h[o + 1] as number;
    const s = h[o + 2] as number;
    const ls = h[o + 3] as number;
    if (i > 0) {
      const u = 4 * ((i - 1) >> 2);
      const tu = h[u] as number;
      if (
        tu > t ||
        (tu === t && ((h[u + 1] as number) > p || ((h[u + 1] as number) === p && (h[u + 2] as number) > s)))
      ) {
        this.siftUp(i, t, p, s, ls);
        return;
      }
    }
    this.siftDown(i, t, p, s, ls);
  }
  /** Places (t, p, s, slot) at hole i or above. */
  private siftUp(i: number, t: number, p: number, s: number, slot: number): void {
    const h = this.h;
    while (i > 0) {
      const up = (i - 1) >> 2;
      const u = 4 * up;
      const tu = h[u] as number;
      if (tu < t) break;
      if (tu === t) {
        const pu = h[u + 1] as number;
        if (pu < p || (pu === p && (h[u + 2] as number) < s)) break;
      }
      this.moveEntry(up, i);
      i = up;
    }
    this.put(i, t, p, s, slot);
  }

  /** Places (t, p, s, slot) at hole i or below. */
  private siftDown(i: number, t: number, p: number, s: number, slot: number): void {
    const h = this.h;
    const n = this.n;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      // Smallest of up to four children.
      let c = first;
      let cb = 4 * c;
      let tc = h[cb] as number;
      const end = Math.min(first + 4, n);
      for (let k = first + 1; k < end; k++) {
        const kb = 4 * k;
        const tk = h[kb] as number;
        if (
          tk < tc ||
          (tk === tc &&
            ((h[kb + 1] as number) < (h[cb + 1] as number) ||
              ((h[kb + 1] as number) === (h[cb + 1] as number) &&
                (h[kb + 2] as number) < (h[cb + 2] as number))))
        ) {
          c = k;
          cb = kb;
          tc = tk;
        }
      }
      if (tc > t) break;
      if (tc === t) {
        const pc = h[cb + 1] as number;
        if (pc > p || (pc === p && (h[cb + 2] as number) > s)) break;
      }
      this.moveEntry(c, i);
      i = c;
    }
    this.put(i, t, p, s, slot);
  }

  /** Copies the entry at heap index `from` to index `to` (the hole), keeping its slot's position. */
  private moveEntry(from: number, to: number): void {
    const h = this.h;
    const f = 4 * from;
    const slot = h[f + 3] as number;
    this.put(to, h[f] as number, h[f + 1] as number, h[f + 2] as number, slot);
  }

  private put(i: number, t: number, p: number, s: number, slot: number): void {
    const h = this.h;
    const o = 4 * i;
    h[o] = t;
    h[o + 1] = p;
    h[o + 2] = s;
    h[o + 3] = slot;
    this.slotPos[slot] = i;
  }

  private growHeap(): void {
    const h = new Float64Array(this.h.length * 2);
    h.set(this.h);
    this.h = h;
  }

  private growSlots(): void {
    const size = this.slotPos.length * 2;
    const pos = new Int32Array(size);
    pos.fill(-1);
    pos.set(this.slotPos);
    this.slotPos = pos;
    const free = new Int32Array(size);
    free.set(this.freeSlots);
    this.freeSlots = free;
  }
}
