/**
 * Flow-level bandwidth sharing: every transfer is a fluid flow across a few links (a
 * node's NIC, a storage backend's egress, ...) with an optional per-flow rate cap, and
 * rates are the max-min fair allocation, computed by progressive filling.
 *
 * Why it scales to 100k nodes: a change (flow start, end, cap change) can only move the
 * rates of flows connected to it through *saturated* links. So each change marks what it
 * touched dirty, one recompute per instant (scheduled LATE, after every event of that
 * instant) explores the component reachable through saturated links, and unsaturated
 * links at its edge enter the water-filling with their residual capacity. If the fill
 * saturates such an edge link, the component grows to include it and the fill is redone,
 * which keeps the result exact. Flows whose rate changed get their completion rescheduled;
 * nothing else is touched. State lives in typed arrays indexed by recycled flow ids.
 *
 * Meters count bytes delivered by a set of flows and fire once when a threshold is
 * reached (the storage model uses them for per-copy cache warm-up).
 */
import { type Env, type EventHandle, Priority } from '../kernel';
import { KeyedMinHeap } from './min-heap';

/** Links per flow at most (NIC + backend + spare for richer topologies). */
const MAX_PATH = 4;
/** Relative tolerance for "this link is full" and "this rate did not change". */
const EPS = 1e-9;

export type FlowDone = (flow: number) => void;

export class FlowNetwork {
  private readonly env: Env;

  // Links
  private nLinks = 0;
  private lCap = new Float64Array(16);
  private lUsage = new Float64Array(16);
  private lPeak = new Float64Array(16);
  private lSat = new Uint8Array(16);
  private lMark = new Int32Array(16);
  private lLoc = new Int32Array(16);
  private lFlows: number[][] = [];

  // Flows (ids recycled through `freeIds`)
  private fCapacity = 0;
  private fLinks = new Int32Array(0);
  private fPos = new Int32Array(0);
  private fNLinks = new Uint8Array(0);
  private fRate = new Float64Array(0);
  private fLeft = new Float64Array(0);
  private fT = new Float64Array(0);
  private fCap = new Float64Array(0);
  private fMeter = new Int32Array(0);
  private fMark = new Int32Array(0);
  private fNew = new Float64Array(0);
  private fActive = new Uint8Array(0);
  private fEvent: Array<EventHandle | undefined> = [];
  private fDone: Array<FlowDone | undefined> = [];
  private freeIds: number[] = [];
  private nextId = 0;
  private live = 0;

  // Meters
  private mThreshold: number[] = [];
  private mAcc: number[] = [];
  private mRate: number[] = [];
  private mT: number[] = [];
  private mFired: boolean[] = [];
  private mEvent: Array<EventHandle | undefined> = [];
  private mOnReach: Array<() => void> = [];

  // Recompute bookkeeping
  private dirtyLinks: number[] = [];
  private dirtyFlows: number[] = [];
  private scheduled = false;
  private epoch = 0;
  private heap = new KeyedMinHeap();
  private locRem = new Float64Array(64);
  private locN = new Int32Array(64);
  private locVer = new Int32Array(64);
  private locLink = new Int32Array(64);
  /** Recomputations run and flows they visited: the cost of the hot path, for benchmarks. */
  readonly stats = { recomputes: 0, flowsVisited: 0, extensions: 0 };

  constructor(env: Env) {
    this.env = env;
    this.growFlows(1024);
  }

  addLink(capacity: number): number {
    if (!(capacity > 0)) throw new RangeError(`link capacity must be > 0, got ${capacity}`);
    const id = this.nLinks++;
    if (id >= this.lCap.length) this.growLinks(id * 2);
    this.lCap[id] = capacity;
    this.lFlows.push([]);
    return id;
  }

  linkCapacity(link: number): number {
    return this.lCap[link] as number;
  }
  /** Sum of the current rates of the flows on the link. */
  linkUsage(link: number): number {
    return this.lUsage[link] as number;
  }
  /** Highest usage the link has carried so far. */
  linkPeak(link: number): number {
    return this.lPeak[link] as number;
  }
  linkFlowCount(link: number): number {
    return (this.lFlows[link] as number[]).length;
  }
  get activeFlows(): number {
    return this.live;
  }

  /** A byte counter over the flows attached to it; onReach runs once when `threshold` bytes were delivered. */
  addMeter(threshold: number, onReach: () => void): number {
    const id = this.mThreshold.length;
    this.mThreshold.push(threshold);
    this.mAcc.push(0);
    this.mRate.push(0);
    this.mT.push(this.env.now);
    this.mFired.push(threshold <= 0);
    this.mEvent.push(undefined);
    this.mOnReach.push(onReach);
    if (threshold <= 0) this.env.schedule(0, onReach, Priority.URGENT);
    return id;
  }

  meterBytes(meter: number): number {
    const acc = this.mAcc[meter] as number;
    return Math.min(
      this.mThreshold[meter] as number,
      acc + (this.mRate[meter] as number) * (this.env.now - (this.mT[meter] as number)),
    );
  }

  /**
   * Starts moving `bytes` across `links` (each at most once), at most `cap` bytes/s.
   * onDone runs at the instant the last byte arrives. Returns the flow id (recycled after).
   */
  startFlow(
    links: readonly number[],
    bytes: number,
    onDone: FlowDone,
    cap = Number.POSITIVE_INFINITY,
    meter = -1,
  ): number {
    if (links.length === 0 || links.length > MAX_PATH)
      throw new RangeError(`a flow crosses 1..${MAX_PATH} links`);
    if (!(bytes >= 0)) throw new RangeError(`flow size must be >= 0, got ${bytes}`);
    if (!(cap > 0)) throw new RangeError(`flow cap must be > 0, got ${cap}`);
    const f = this.freeIds.pop() ?? this.nextId++;
    if (f >= this.fCapacity) this.growFlows(this.fCapacity * 2);
    this.live++;
    this.fActive[f] = 1;
    this.fNLinks[f] = links.length;
    for (let j = 0; j < links.length; j++) {
      const l = links[j] as number;
      if (!(l >= 0 && l < this.nLinks)) throw new RangeError(`unknown link ${l}`);
      const list = this.lFlows[l] as number[];
      this.fLinks[f * MAX_PATH + j] = l;
      this.fPos[f * MAX_PATH + j] = list.length;
      list.push(f);
    }
    this.fRate[f] = 0;
    this.fLeft[f] = bytes;
    this.fT[f] = this.env.now;
    this.fCap[f] = cap;
    this.fMeter[f] = meter;
    this.fDone[f] = onDone;
    this.fEvent[f] = undefined;
    this.dirtyFlows.push(f);
    this.requestRecompute();
    return f;
  }

  /** Changes a flow's rate cap (Infinity removes it). */
  setCap(flow: number, cap: number): void {
    if (!this.fActive[flow]) throw new RangeError(`flow ${flow} is not active`);
    if (!(cap > 0)) throw new RangeError(`flow cap must be > 0, got ${cap}`);
    if (this.fCap[flow] === cap) return;
    this.fCap[flow] = cap;
    this.dirtyFlows.push(flow);
    this.requestRecompute();
  }

  rate(flow: number): number {
    return this.fActive[flow] ? (this.fRate[flow] as number) : 0;
  }

  remaining(flow: number): number {
    if (!this.fActive[flow]) return 0;
    return Math.max(
      0,
      (this.fLeft[flow] as number) -
        (this.fRate[flow] as number) * (this.env.now - (this.fT[flow] as number)),
    );
  }

  private requestRecompute(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.env.schedule(0, () => this.recompute(), Priority.LATE);
  }

  private complete(f: number): void {
    const rate = this.fRate[f] as number;
    const n = this.fNLinks[f] as number;
    for (let j = 0; j < n; j++) {
      const l = this.fLinks[f * MAX_PATH + j] as number;
      this.removeFromLink(l, f * MAX_PATH + j);
      this.lUsage[l] = Math.max(0, (this.lUsage[l] as number) - rate);
      // Only a saturated link passes the freed bandwidth on to other flows.
      if (this.lSat[l]) this.dirtyLinks.push(l);
    }
    const m = this.fMeter[f] as number;
    if (m >= 0) this.adjustMeter(m, -rate);
    const done = this.fDone[f];
    this.fActive[f] = 0;
    this.fRate[f] = 0;
    this.fEvent[f] = undefined;
    this.fDone[f] = undefined;
    this.freeIds.push(f);
    this.live--;
    this.requestRecompute();
    done?.(f);
  }

  private removeFromLink(l: number, slot: number): void {
    const list = this.lFlows[l] as number[];
    const pos = this.fPos[slot] as number;
    const last = list.pop() as number;
    if (pos < list.length) {
      list[pos] = last;
      // Find which of `last`'s path entries points at this link, and fix its position.
      const n = this.fNLinks[last] as number;
      for (let j = 0; j < n; j++) {
        if (this.fLinks[last * MAX_PATH + j] === l) {
          this.fPos[last * MAX_PATH + j] = pos;
          break;
        }
      }
    }
  }

  private recompute(): void {
    this.scheduled = false;
    this.stats.recomputes++;
    const epoch = ++this.epoch;
    const compFlows: number[] = [];
    const queue: number[] = [];
    const addFlow = (f: number) => {
      if (this.fMark[f] === epoch || !this.fActive[f]) return;
      this.fMark[f] = epoch;
      compFlows.push(f);
    };
    for (const l of this.dirtyLinks) {
      if (this.lMark[l] !== epoch && this.lSat[l]) {
        this.lMark[l] = epoch;
        queue.push(l);
      }
    }
    for (const f of this.dirtyFlows) addFlow(f);
    this.dirtyLinks.length = 0;
    this.dirtyFlows.length = 0;

    // Grow the component through saturated links, fill, and grow again if the fill
    // saturated an edge link (then flows outside may be affected too).
    let compLinks: number[] = [];
    let edgeLinks: number[] = [];
    let scanned = 0;
    for (;;) {
      // Members already scanned have had their saturated links queued; only scan new ones.
      this.explore(queue, compFlows, epoch, scanned);
      scanned = compFlows.length;
      const extra = this.fill(compFlows, epoch);
      compLinks = extra.comp;
      edgeLinks = extra.edge;
      if (extra.grow.length === 0) break;
      this.stats.extensions++;
      for (const l of extra.grow) {
        this.lMark[l] = epoch;
        queue.push(l);
      }
    }
    this.stats.flowsVisited += compFlows.length;
    this.apply(compFlows, compLinks, edgeLinks);
  }

  /** BFS: every flow on a queued link joins; every saturated link of a member joins the queue. */
  private explore(queue: number[], compFlows: number[], epoch: number, from: number): void {
    let qi = 0;
    let fi = from;
    while (qi < queue.length || fi < compFlows.length) {
      while (qi < queue.length) {
        const list = this.lFlows[queue[qi++] as number] as number[];
        for (const f of list) {
          if (this.fMark[f] !== epoch) {
            this.fMark[f] = epoch;
            compFlows.push(f);
          }
        }
      }
      while (fi < compFlows.length) {
        const f = compFlows[fi++] as number;
        const n = this.fNLinks[f] as number;
        for (let j = 0; j < n; j++) {
          const l = this.fLinks[f * MAX_PATH + j] as number;
          if (this.lMark[l] !== epoch && this.lSat[l]) {
            this.lMark[l] = epoch;
            queue.push(l);
          }
        }
      }
    }
    queue.length = 0;
  }

  /**
   * Progressive filling over the component. Component links (lMark === epoch) carry only
   * component flows; edge links enter with capacity minus what outside flows use.
   * New rates land in fNew. Returns the edge links the fill saturated (to grow into).
   */
  private fill(compFlows: number[], epoch: number): { comp: number[]; edge: number[]; grow: number[] } {
    const comp: number[] = [];
    const edge: number[] = [];
    let nLoc = 0;
    const touch = (l: number): number => {
      if (this.lLocEpoch[l] === epoch) return this.lLoc[l] as number;
      this.lLocEpoch[l] = epoch;
      const k = nLoc++;
      if (k >= this.locRem.length) this.growLoc(k * 2);
      this.lLoc[l] = k;
      this.locLink[k] = l;
      const inComp = this.lMark[l] === epoch;
      (inComp ? comp : edge).push(l);
      this.locRem[k] = inComp
        ? (this.lCap[l] as number)
        : (this.lCap[l] as number) - (this.lUsage[l] as number);
      this.locN[k] = 0;
      this.locVer[k] = 0;
      return k;
    };
    for (const f of compFlows) {
      const n = this.fNLinks[f] as number;
      for (let j = 0; j < n; j++) {
        const l = this.fLinks[f * MAX_PATH + j] as number;
        const k = touch(l);
        this.locN[k] = (this.locN[k] as number) + 1;
        // Edge links: give back what this component flow currently uses.
        if (this.lMark[l] !== epoch) this.locRem[k] = (this.locRem[k] as number) + (this.fRate[f] as number);
      }
      this.fNew[f] = -1;
    }
    const heap = this.heap;
    heap.clear();
    for (let k = 0; k < nLoc; k++) {
      const rem = Math.max(0, this.locRem[k] as number);
      this.locRem[k] = rem;
      heap.push(rem / (this.locN[k] as number), k, 0);
    }
    // Flows with a finite cap, smallest first.
    const capped = compFlows.filter((f) => Number.isFinite(this.fCap[f] as number));
    capped.sort((a, b) => (this.fCap[a] as number) - (this.fCap[b] as number) || a - b);
    let ci = 0;
    let unfrozen = compFlows.length;
    const grow: number[] = [];
    const freeze = (f: number, rate: number) => {
      this.fNew[f] = rate;
      unfrozen--;
      const n = this.fNLinks[f] as number;
      for (let j = 0; j < n; j++) {
        const k = this.lLoc[this.fLinks[f * MAX_PATH + j] as number] as number;
        const left = (this.locN[k] as number) - 1;
        this.locN[k] = left;
        this.locRem[k] = Math.max(0, (this.locRem[k] as number) - rate);
        const ver = (this.locVer[k] as number) + 1;
        this.locVer[k] = ver;
        if (left > 0) heap.push((this.locRem[k] as number) / left, k, ver);
      }
    };
    while (unfrozen > 0) {
      while (
        heap.size > 0 &&
        (this.locVer[heap.topItem()] !== heap.topVersion() || this.locN[heap.topItem()] === 0)
      )
        heap.pop();
      while (ci < capped.length && (this.fNew[capped[ci] as number] as number) >= 0) ci++;
      const linkLevel = heap.topKey();
      const capFlow = ci < capped.length ? (capped[ci] as number) : -1;
      const capLevel = capFlow >= 0 ? (this.fCap[capFlow] as number) : Number.POSITIVE_INFINITY;
      if (capFlow < 0 && heap.size === 0) throw new Error('flow with no finite constraint');
      if (capLevel <= linkLevel) {
        freeze(capFlow, capLevel);
        continue;
      }
      const k = heap.topItem();
      heap.pop();
      const l = this.locLink[k] as number;
      if (this.lMark[l] !== epoch) {
        // An edge link filled up: outside flows on it may now have to give way. Stop here;
        // the caller grows the component and fills again.
        grow.push(l);
        break;
      }
      for (const f of this.lFlows[l] as number[]) {
        if (this.fMark[f] === epoch && (this.fNew[f] as number) < 0) freeze(f, linkLevel);
      }
    }
    if (grow.length > 0) {
      // Invalidate local indices so the next fill starts clean.
      for (let k = 0; k < nLoc; k++) this.lLocEpoch[this.locLink[k] as number] = 0;
    }
    return { comp, edge, grow };
  }

  private lLocEpoch = new Int32Array(16);

  /** Commits the fill: settle progress, reschedule completions, update usage, peaks and meters. */
  private apply(compFlows: number[], compLinks: number[], edgeLinks: number[]): void {
    const now = this.env.now;
    for (const f of compFlows) {
      const old = this.fRate[f] as number;
      const next = this.fNew[f] as number;
      const changed = Math.abs(next - old) > EPS * Math.max(old, next);
      const fresh = this.fEvent[f] === undefined;
      if (!changed && !fresh) continue;
      const left = Math.max(0, (this.fLeft[f] as number) - old * (now - (this.fT[f] as number)));
      this.fLeft[f] = left;
      this.fT[f] = now;
      this.fRate[f] = next;
      const n = this.fNLinks[f] as number;
      for (let j = 0; j < n; j++) {
        const l = this.fLinks[f * MAX_PATH + j] as number;
        this.lUsage[l] = (this.lUsage[l] as number) + (next - old);
      }
      const m = this.fMeter[f] as number;
      if (m >= 0 && next !== old) this.adjustMeter(m, next - old);
      this.env.cancel(this.fEvent[f]);
      if (next > 0) {
        this.fEvent[f] = this.env.schedule(left / next, () => this.complete(f), Priority.NORMAL);
      } else {
        this.fEvent[f] = undefined;
      }
    }
    // Component links carry only component flows: recompute usage exactly (no drift).
    for (const l of compLinks) {
      let u = 0;
      for (const f of this.lFlows[l] as number[]) u += this.fRate[f] as number;
      this.lUsage[l] = u;
      this.touchLink(l);
    }
    for (const l of edgeLinks) this.touchLink(l);
  }

  private touchLink(l: number): void {
    const u = this.lUsage[l] as number;
    if (u > (this.lPeak[l] as number)) this.lPeak[l] = u;
    this.lSat[l] = u >= (this.lCap[l] as number) * (1 - EPS) ? 1 : 0;
  }

  private adjustMeter(m: number, delta: number): void {
    if (this.mFired[m]) return;
    const now = this.env.now;
    this.mAcc[m] = (this.mAcc[m] as number) + (this.mRate[m] as number) * (now - (this.mT[m] as number));
    this.mT[m] = now;
    const rate = Math.max(0, (this.mRate[m] as number) + delta);
    this.mRate[m] = rate;
    this.env.cancel(this.mEvent[m]);
    this.mEvent[m] = undefined;
    if (rate > EPS) {
      const wait = Math.max(0, ((this.mThreshold[m] as number) - (this.mAcc[m] as number)) / rate);
      this.mEvent[m] = this.env.schedule(wait, () => this.fireMeter(m), Priority.URGENT);
    }
  }

  private fireMeter(m: number): void {
    if (this.mFired[m]) return;
    this.mFired[m] = true;
    this.mAcc[m] = this.mThreshold[m] as number;
    this.mEvent[m] = undefined;
    (this.mOnReach[m] as () => void)();
  }

  private growLinks(n: number): void {
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.lCap = f64(this.lCap);
    this.lUsage = f64(this.lUsage);
    this.lPeak = f64(this.lPeak);
    const sat = new Uint8Array(n);
    sat.set(this.lSat);
    this.lSat = sat;
    this.lMark = i32(this.lMark);
    this.lLoc = i32(this.lLoc);
    this.lLocEpoch = i32(this.lLocEpoch);
  }

  private growFlows(n: number): void {
    const f64 = (a: Float64Array, size: number) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array, size: number) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array, size: number) => {
      const b = new Uint8Array(size);
      b.set(a);
      return b;
    };
    this.fLinks = i32(this.fLinks, n * MAX_PATH);
    this.fPos = i32(this.fPos, n * MAX_PATH);
    this.fNLinks = u8(this.fNLinks, n);
    this.fRate = f64(this.fRate, n);
    this.fLeft = f64(this.fLeft, n);
    this.fT = f64(this.fT, n);
    this.fCap = f64(this.fCap, n);
    this.fMeter = i32(this.fMeter, n);
    this.fMark = i32(this.fMark, n);
    this.fNew = f64(this.fNew, n);
    this.fActive = u8(this.fActive, n);
    this.fCapacity = n;
  }

  private growLoc(n: number): void {
    const rem = new Float64Array(n);
    rem.set(this.locRem);
    this.locRem = rem;
    const cnt = new Int32Array(n);
    cnt.set(this.locN);
    this.locN = cnt;
    const ver = new Int32Array(n);
    ver.set(this.locVer);
    this.locVer = ver;
    const link = new Int32Array(n);
    link.set(this.locLink);
    this.locLink = link;
  }
}
