/**
 * The future-event list: a binary min-heap ordered by (time, priority, sequence), as in
 * SimPy's core. The sequence number makes ties FIFO, which is what makes a run
 * deterministic.
 *
 * The heap is indexed: keys live in typed arrays (no pointer chasing while sifting) and
 * every live event knows its heap position, so cancel() removes the entry at once and
 * reschedule() moves a live event to a new time in place (O(log n), no allocation). The
 * network model moves completion events constantly; with lazy deletion most of the heap
 * was dead entries that still had to be sifted past and compacted away.
 *
 * reschedule() takes a fresh sequence number, exactly as cancel() followed by push()
 * would, so the pop order is the same as with a cancel-and-push.
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

export class EventQueue {
  // Heap order, parallel arrays: key (time, priority, seq) and the slot of the event.
  private hTime = new Float64Array(1024);
  private hPrio = new Float64Array(1024);
  private hSeq = new Float64Array(1024);
  private hSlot = new Int32Array(1024);
  private n = 0;
  // Slots: stable small integers for queued events (recycled), with their heap position.
  private slotPos = new Int32Array(1024);
  private slotEv: Array<Ev | undefined> = [];
  private freeSlots = new Int32Array(1024);
  private nFree = 0;
  private nextSlot = 0;
  private seq = 0;

  get size(): number {
    return this.n;
  }

  push(time: number, priority: number, fn: () => void): ScheduledEvent {
    const ev = new Ev(time, priority, 0, fn, false, -1);
    this.insert(ev);
    return ev;
  }

  /**
   * Moves `ev` to `time` (and `priority`) with a fresh sequence number: the same order as
   * cancel(ev) then push(), but in place and without a new event. Works on fired or
   * cancelled events too (they are queued again, un-cancelled).
   */
  reschedule(event: ScheduledEvent, time: number, priority: number = event.priority): ScheduledEvent {
    const ev = event as Ev;
    if (ev.slot < 0) {
      ev.time = time;
      ev.priority = priority;
      ev.cancelled = false;
      this.insert(ev);
      return ev;
    }
    const seq = this.seq++;
    const oldT = ev.time;
    const oldP = ev.priority;
    ev.time = time;
    ev.priority = priority;
    ev.seq = seq;
    const i = this.slotPos[ev.slot] as number;
    this.hTime[i] = time;
    this.hPrio[i] = priority;
    this.hSeq[i] = seq;
    // The new key is later than the old one unless time or priority went down.
    if (time < oldT || (time === oldT && priority < oldP)) this.siftUp(i);
    else this.siftDown(i);
    return ev;
  }

  cancel(event: ScheduledEvent): void {
    const ev = event as Ev;
    if (ev.cancelled) return;
    ev.cancelled = true;
    if (ev.slot >= 0) this.removeAt(this.slotPos[ev.slot] as number);
  }

  /** Time of the next event, or Infinity. */
  peekTime(): number {
    return this.n > 0 ? (this.hTime[0] as number) : Number.POSITIVE_INFINITY;
  }

  pop(): ScheduledEvent | undefined {
    if (this.n === 0) return undefined;
    const ev = this.slotEv[this.hSlot[0] as number] as Ev;
    this.removeAt(0);
    // Marked so a later cancel() of a fired event is a no-op.
    ev.cancelled = true;
    return ev;
  }

  private insert(ev: Ev): void {
    let slot: number;
    if (this.nFree > 0) slot = this.freeSlots[--this.nFree] as number;
    else {
      slot = this.nextSlot++;
      if (slot >= this.slotPos.length) this.growSlots();
      this.slotEv.push(undefined);
    }
    ev.slot = slot;
    ev.seq = this.seq++;
    this.slotEv[slot] = ev;
    if (this.n === this.hTime.length) this.growHeap();
    const i = this.n++;
    this.hTime[i] = ev.time;
    this.hPrio[i] = ev.priority;
    this.hSeq[i] = ev.seq;
    this.hSlot[i] = slot;
    this.slotPos[slot] = i;
    this.siftUp(i);
  }

  /** Takes the entry at heap index i out and frees its slot. */
  private removeAt(i: number): void {
    const slot = this.hSlot[i] as number;
    const ev = this.slotEv[slot] as Ev;
    ev.slot = -1;
    this.slotEv[slot] = undefined;
    this.freeSlots[this.nFree++] = slot;
    const last = --this.n;
    if (i === last) return;
    // Move the last entry into the hole, then restore order in whichever direction.
    const t = this.hTime[last] as number;
    const p = this.hPrio[last] as number;
    const s = this.hSeq[last] as number;
    const ls = this.hSlot[last] as number;
    this.hTime[i] = t;
    this.hPrio[i] = p;
    this.hSeq[i] = s;
    this.hSlot[i] = ls;
    this.slotPos[ls] = i;
    if (i > 0 && this.less(i, (i - 1) >> 1)) this.siftUp(i);
    else this.siftDown(i);
  }

  private less(a: number, b: number): boolean {
    const ta = this.hTime[a] as number;
    const tb = this.hTime[b] as number;
    if (ta !== tb) return ta < tb;
    const pa = this.hPrio[a] as number;
    const pb = this.hPrio[b] as number;
    if (pa !== pb) return pa < pb;
    return (this.hSeq[a] as number) < (this.hSeq[b] as number);
  }

  private siftUp(i: number): void {
    const hTime = this.hTime;
    const hPrio = this.hPrio;
    const hSeq = this.hSeq;
    const hSlot = this.hSlot;
    const slotPos = this.slotPos;
    const t = hTime[i] as number;
    const p = hPrio[i] as number;
    const s = hSeq[i] as number;
    const sl = hSlot[i] as number;
    while (i > 0) {
      const up = (i - 1) >> 1;
      const tu = hTime[up] as number;
      if (tu < t) break;
      if (tu === t) {
        const pu = hPrio[up] as number;
        if (pu < p || (pu === p && (hSeq[up] as number) < s)) break;
      }
      hTime[i] = tu;
      hPrio[i] = hPrio[up] as number;
      hSeq[i] = hSeq[up] as number;
      const su = hSlot[up] as number;
      hSlot[i] = su;
      slotPos[su] = i;
      i = up;
    }
    hTime[i] = t;
    hPrio[i] = p;
    hSeq[i] = s;
    hSlot[i] = sl;
    slotPos[sl] = i;
  }

  private siftDown(i: number): void {
    const hTime = this.hTime;
    const hPrio = this.hPrio;
    const hSeq = this.hSeq;
    const hSlot = this.hSlot;
    const slotPos = this.slotPos;
    const n = this.n;
    const t = hTime[i] as number;
    const p = hPrio[i] as number;
    const s = hSeq[i] as number;
    const sl = hSlot[i] as number;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      const r = l + 1;
      if (r < n) {
        const tr = hTime[r] as number;
        const tl = hTime[l] as number;
        if (
          tr < tl ||
          (tr === tl &&
            ((hPrio[r] as number) < (hPrio[l] as number) ||
              ((hPrio[r] as number) === (hPrio[l] as number) && (hSeq[r] as number) < (hSeq[l] as number))))
        )
          c = r;
      }
      const tc = hTime[c] as number;
      if (tc > t) break;
      if (tc === t) {
        const pc = hPrio[c] as number;
        if (pc > p || (pc === p && (hSeq[c] as number) > s)) break;
      }
      hTime[i] = tc;
      hPrio[i] = hPrio[c] as number;
      hSeq[i] = hSeq[c] as number;
      const sc = hSlot[c] as number;
      hSlot[i] = sc;
      slotPos[sc] = i;
      i = c;
    }
    hTime[i] = t;
    hPrio[i] = p;
    hSeq[i] = s;
    hSlot[i] = sl;
    slotPos[sl] = i;
  }

  private growHeap(): void {
    const size = this.hTime.length * 2;
    const t = new Float64Array(size);
    t.set(this.hTime);
    this.hTime = t;
    const p = new Float64Array(size);
    p.set(this.hPrio);
    this.hPrio = p;
    const s = new Float64Array(size);
    s.set(this.hSeq);
    this.hSeq = s;
    const sl = new Int32Array(size);
    sl.set(this.hSlot);
    this.hSlot = sl;
  }

  private growSlots(): void {
    const size = this.slotPos.length * 2;
    const pos = new Int32Array(size);
    pos.set(this.slotPos);
    this.slotPos = pos;
    const free = new Int32Array(size);
    free.set(this.freeSlots);
    this.freeSlots = free;
  }
}
