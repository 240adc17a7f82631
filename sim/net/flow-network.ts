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
  private lLocEpoch = new Int32Array(16);
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
  /** 1 while the flow's completion event is queued (the old `fEvent[f] !== undefined`). */
  private fQueued = new Uint8Array(0);
  /** One completion event and callback per flow id, kept and moved for the id's lifetime. */
  private fEvent: Array<EventHandle | undefined> = [];
  private fFire: Array<(() => void) | undefined> = [];
  private fDone: Array<FlowDone | undefined> = [];
  private freeIds: number[] = [];
  private nextId = 0;
  private live = 0;

  // Meters
  private nMeters = 0;
  private mThreshold = new Float64Array(16);
  private mAcc = new Float64Array(16);
  private mRate = new Float64Array(16);
  private mT = new Float64Array(16);
  private mFired = new Uint8Array(16);
  /** Apply pass that last touched the meter, and the order of that touch within it. */
  private mApply = new Int32Array(16);
  private mLast = new Int32Array(16);
  private mEvent: Array<EventHandle | undefined> = [];
  private mFire: Array<() => void> = [];
  private mOnReach: Array<() => void> = [];

  // Recompute bookkeeping (scratch buffers reused across recomputes)
  private dirtyLinks: number[] = [];
  private dirtyFlows: number[] = [];
  private scheduled = false;
  private recomputeEvent: EventHandle | undefined;
  private readonly recomputeFn = (): void => this.recompute();
  private epoch = 0;
  private applyPass = 0;
  private heap = new KeyedMinHeap();
  private compBuf = new Int32Array(1024);
  private nComp = 0;
  private queueBuf = new Int32Array(64);
  private nQueue = 0;
  private capBuf = new Int32Array(1024);
  private capKey = new Float64Array(1024);
  private capVals = new Float64Array(8);
  private compLinks = new Int32Array(16);
  private nCompLinks = 0;
  private edgeLinks = new Int32Array(16);
  private nEdgeLinks = 0;
  private touchedMeters: number[] = [];
  private locRem = new Float64Array(16);
  private locN = new Int32Array(16);
  private locVer = new Int32Array(16);
  private locLink = new Int32Array(16);
  /** Recomputations run and flows they visited: the cost of the hot path, for benchmarks. */
  readonly stats = { recomputes: 0, flowsVisited: 0, extensions: 0, rescheduled: 0 };

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
    const id = this.nMeters++;
    if (id >= this.mThreshold.length) this.growMeters(id * 2);
    this.mThreshold[id] = threshold;
    this.mAcc[id] = 0;
    this.mRate[id] = 0;
    this.mT[id] = this.env.now;
    this.mFired[id] = threshold <= 0 ? 1 : 0;
    this.mEvent.push(undefined);
    this.mFire.push(() => this.fireMeter(id));
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
    for (let j = 0; j < links.length; j++) {
      const l = links[j] as number;
      if (!(l >= 0 && l < this.nLinks)) throw new RangeError(`unknown link ${l}`);
    }
    const f = this.freeIds.pop() ?? this.nextId++;
    if (f >= this.fCapacity) this.growFlows(this.fCapacity * 2);
    this.live++;
    this.fActive[f] = 1;
    this.fNLinks[f] = links.length;
    for (let j = 0; j < links.length; j++) {
      const l = links[j] as number;
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
    this.fQueued[f] = 0;
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
    // One event object reused for every recompute (it has always fired when we get here).
    if (this.recomputeEvent === undefined)
      this.recomputeEvent = this.env.schedule(0, this.recomputeFn, Priority.LATE);
    else this.env.reschedule(this.recomputeEvent, 0, Priority.LATE);
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
    if (m >= 0 && !this.mFired[m]) {
      this.meterDelta(m, -rate);
      this.scheduleMeter(m);
    }
    const done = this.fDone[f];
    this.fActive[f] = 0;
    this.fRate[f] = 0;
    this.fQueued[f] = 0;
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
    const lMark = this.lMark;
    const lSat = this.lSat;
    const fMark = this.fMark;
    const fActive = this.fActive;
    this.nQueue = 0;
    this.nComp = 0;
    const dl = this.dirtyLinks;
    for (let i = 0; i < dl.length; i++) {
      const l = dl[i] as number;
      if (lMark[l] !== epoch && lSat[l]) {
        lMark[l] = epoch;
        this.pushQueue(l);
      }
    }
    const df = this.dirtyFlows;
    for (let i = 0; i < df.length; i++) {
      const f = df[i] as number;
      if (fMark[f] === epoch || !fActive[f]) continue;
      fMark[f] = epoch;
      this.pushComp(f);
    }
    dl.length = 0;
    df.length = 0;

    // Grow the component through saturated links, fill, and grow again if the fill
    // saturated an edge link (then flows outside may be affected too).
    let scanned = 0;
    for (;;) {
      // Members already scanned have had their saturated links queued; only scan new ones.
      this.explore(epoch, scanned);
      scanned = this.nComp;
      const grow = this.fill(epoch);
      if (grow < 0) break;
      this.stats.extensions++;
      lMark[grow] = epoch;
      this.pushQueue(grow);
    }
    this.stats.flowsVisited += this.nComp;
    this.apply();
  }

  private pushQueue(l: number): void {
    if (this.nQueue === this.queueBuf.length) {
      const b = new Int32Array(this.queueBuf.length * 2);
      b.set(this.queueBuf);
      this.queueBuf = b;
    }
    this.queueBuf[this.nQueue++] = l;
  }

  private pushComp(f: number): void {
    if (this.nComp === this.compBuf.length) {
      const b = new Int32Array(this.compBuf.length * 2);
      b.set(this.compBuf);
      this.compBuf = b;
    }
    this.compBuf[this.nComp++] = f;
  }

  /** BFS: every flow on a queued link joins; every saturated link of a member joins the queue. */
  private explore(epoch: number, from: number): void {
    const fMark = this.fMark;
    const lMark = this.lMark;
    const lSat = this.lSat;
    const fLinks = this.fLinks;
    const fNLinks = this.fNLinks;
    let qi = 0;
    let fi = from;
    while (qi < this.nQueue || fi < this.nComp) {
      while (qi < this.nQueue) {
        const list = this.lFlows[this.queueBuf[qi++] as number] as number[];
        for (let i = 0; i < list.length; i++) {
          const f = list[i] as number;
          if (fMark[f] !== epoch) {
            fMark[f] = epoch;
            this.pushComp(f);
          }
        }
      }
      while (fi < this.nComp) {
        const f = this.compBuf[fi++] as number;
        const n = fNLinks[f] as number;
        for (let j = 0; j < n; j++) {
          const l = fLinks[f * MAX_PATH + j] as number;
          if (lMark[l] !== epoch && lSat[l]) {
            lMark[l] = epoch;
            this.pushQueue(l);
          }
        }
      }
    }
    this.nQueue = 0;
  }

  /**
   * Progressive filling over the component. Component links (lMark === epoch) carry only
   * component flows; edge links enter with capacity minus what outside flows use.
   * New rates land in fNew; the component's and edge links land in compLinks/edgeLinks.
   * Returns an edge link the fill saturated (to grow into), or -1.
   */
  private fill(epoch: number): number {
    const fLinks = this.fLinks;
    const fNLinks = this.fNLinks;
    const fRate = this.fRate;
    const fNew = this.fNew;
    const fCap = this.fCap;
    const fMark = this.fMark;
    const lMark = this.lMark;
    const lLoc = this.lLoc;
    const lLocEpoch = this.lLocEpoch;
    const lCap = this.lCap;
    const lUsage = this.lUsage;
    const locRem = this.locRem;
    const locN = this.locN;
    const locVer = this.locVer;
    const locLink = this.locLink;
    const compLinks = this.compLinks;
    const edgeLinks = this.edgeLinks;
    const comp = this.compBuf;
    const nComp = this.nComp;
    let nCL = 0;
    let nEL = 0;
    let nLoc = 0;
    let nCapped = 0;
    if (this.capBuf.length < nComp) {
      this.capBuf = new Int32Array(this.compBuf.length);
      this.capKey = new Float64Array(this.compBuf.length);
    }
    const capBuf = this.capBuf;
    for (let i = 0; i < nComp; i++) {
      const f = comp[i] as number;
      const n = fNLinks[f] as number;
      for (let j = 0; j < n; j++) {
        const l = fLinks[f * MAX_PATH + j] as number;
        let k: number;
        const inComp = lMark[l] === epoch;
        if (lLocEpoch[l] === epoch) k = lLoc[l] as number;
        else {
          // First sight of this link in this fill: give it a local index (locals are
          // sized to the link count, a component never has more).
          lLocEpoch[l] = epoch;
          k = nLoc++;
          lLoc[l] = k;
          locLink[k] = l;
          if (inComp) {
            compLinks[nCL++] = l;
            locRem[k] = lCap[l] as number;
          } else {
            edgeLinks[nEL++] = l;
            locRem[k] = (lCap[l] as number) - (lUsage[l] as number);
          }
          locN[k] = 0;
          locVer[k] = 0;
        }
        locN[k] = (locN[k] as number) + 1;
        // Edge links: give back what this component flow currently uses.
        if (!inComp) locRem[k] = (locRem[k] as number) + (fRate[f] as number);
      }
      fNew[f] = -1;
      if ((fCap[f] as number) < Number.POSITIVE_INFINITY) capBuf[nCapped++] = f;
    }
    this.nCompLinks = nCL;
    this.nEdgeLinks = nEL;
    const heap = this.heap;
    heap.clear();
    for (let k = 0; k < nLoc; k++) {
      const rem = Math.max(0, locRem[k] as number);
      locRem[k] = rem;
      heap.push(rem / (locN[k] as number), k, 0);
    }
    // Flows with a finite cap, smallest first (ties by id).
    this.sortCapped(nCapped);
    let ci = 0;
    let unfrozen = nComp;
    let grow = -1;
    while (unfrozen > 0) {
      while (heap.size > 0) {
        const top = heap.topItem();
        if (locVer[top] === heap.topVersion() && locN[top] !== 0) break;
        heap.pop();
      }
      while (ci < nCapped && (fNew[capBuf[ci] as number] as number) >= 0) ci++;
      const linkLevel = heap.topKey();
      const capFlow = ci < nCapped ? (capBuf[ci] as number) : -1;
      const capLevel = capFlow >= 0 ? (fCap[capFlow] as number) : Number.POSITIVE_INFINITY;
      if (capFlow < 0 && heap.size === 0) throw new Error('flow with no finite constraint');
      if (capLevel <= linkLevel) {
        this.freeze(capFlow, capLevel);
        unfrozen--;
        continue;
      }
      const k = heap.topItem();
      heap.pop();
      const l = locLink[k] as number;
      if (lMark[l] !== epoch) {
        // An edge link filled up: outside flows on it may now have to give way. Stop here;
        // the caller grows the component and fills again.
        grow = l;
        break;
      }
      const list = this.lFlows[l] as number[];
      for (let i = 0; i < list.length; i++) {
        const f = list[i] as number;
        if (fMark[f] === epoch && (fNew[f] as number) < 0) {
          this.freeze(f, linkLevel);
          unfrozen--;
        }
      }
    }
    if (grow >= 0) {
      // Invalidate local indices so the next fill starts clean.
      for (let k = 0; k < nLoc; k++) lLocEpoch[locLink[k] as number] = 0;
    }
    return grow;
  }

  /** Fixes flow f at `rate` and takes it out of its links' shares. */
  private freeze(f: number, rate: number): void {
    this.fNew[f] = rate;
    const n = this.fNLinks[f] as number;
    const locRem = this.locRem;
    const locN = this.locN;
    const locVer = this.locVer;
    for (let j = 0; j < n; j++) {
      const k = this.lLoc[this.fLinks[f * MAX_PATH + j] as number] as number;
      const left = (locN[k] as number) - 1;
      locN[k] = left;
      const rem = Math.max(0, (locRem[k] as number) - rate);
      locRem[k] = rem;
      const ver = (locVer[k] as number) + 1;
      locVer[k] = ver;
      if (left > 0) this.heap.push(rem / left, k, ver);
    }
  }

  /**
   * Sorts capBuf[0..n) by (cap, flow id). The order is total, so any correct sort gives
   * the same sequence; caps take a handful of values (a model's stream rates), so flows
   * are ranked by cap value and sorted natively as numbers.
   */
  private sortCapped(n: number): void {
    if (n < 2) return;
    const capBuf = this.capBuf;
    const fCap = this.fCap;
    if (n <= 12) {
      for (let i = 1; i < n; i++) {
        const f = capBuf[i] as number;
        const c = fCap[f] as number;
        let j = i - 1;
        while (j >= 0) {
          const g = capBuf[j] as number;
          const cg = fCap[g] as number;
          if (cg < c || (cg === c && g < f)) break;
          capBuf[j + 1] = g;
          j--;
        }
        capBuf[j + 1] = f;
      }
      return;
    }
    const vals = this.capVals;
    let d = 0;
    for (let i = 0; i < n; i++) {
      const c = fCap[capBuf[i] as number] as number;
      let r = 0;
      while (r < d && vals[r] !== c) r++;
      if (r === d) {
        if (d === vals.length) {
          this.sortCappedGeneric(n);
          return;
        }
        vals[d++] = c;
      }
    }
    if (d === 1) {
      capBuf.subarray(0, n).sort();
      return;
    }
    // Rank the distinct caps, then sort rank * 2^31 + id (exact in a double).
    for (let i = 1; i < d; i++) {
      const v = vals[i] as number;
      let j = i - 1;
      while (j >= 0 && (vals[j] as number) > v) {
        vals[j + 1] = vals[j] as number;
        j--;
      }
      vals[j + 1] = v;
    }
    const key = this.capKey;
    const SHIFT = 2147483648;
    for (let i = 0; i < n; i++) {
      const f = capBuf[i] as number;
      const c = fCap[f] as number;
      let r = 0;
      while (vals[r] !== c) r++;
      key[i] = r * SHIFT + f;
    }
    key.subarray(0, n).sort();
    for (let i = 0; i < n; i++) capBuf[i] = (key[i] as number) % SHIFT;
  }

  private sortCappedGeneric(n: number): void {
    const fCap = this.fCap;
    const a = Array.from(this.capBuf.subarray(0, n));
    a.sort((x, y) => (fCap[x] as number) - (fCap[y] as number) || x - y);
    for (let i = 0; i < n; i++) this.capBuf[i] = a[i] as number;
  }

  /** Commits the fill: settle progress, reschedule completions, update usage, peaks and meters. */
  private apply(): void {
    const now = this.env.now;
    const comp = this.compBuf;
    const nComp = this.nComp;
    const fRate = this.fRate;
    const fNew = this.fNew;
    const fLeft = this.fLeft;
    const fT = this.fT;
    const fLinks = this.fLinks;
    const fNLinks = this.fNLinks;
    const fMeter = this.fMeter;
    const fQueued = this.fQueued;
    const lUsage = this.lUsage;
    const pass = ++this.applyPass;
    let touchOrder = 0;
    const touched = this.touchedMeters;
    for (let i = 0; i < nComp; i++) {
      const f = comp[i] as number;
      const old = fRate[f] as number;
      const next = fNew[f] as number;
      const changed = Math.abs(next - old) > EPS * Math.max(old, next);
      if (!changed && fQueued[f]) continue;
      const left = Math.max(0, (fLeft[f] as number) - old * (now - (fT[f] as number)));
      fLeft[f] = left;
      fT[f] = now;
      fRate[f] = next;
      const n = fNLinks[f] as number;
      for (let j = 0; j < n; j++) {
        const l = fLinks[f * MAX_PATH + j] as number;
        lUsage[l] = (lUsage[l] as number) + (next - old);
      }
      const m = fMeter[f] as number;
      if (m >= 0 && next !== old && !this.mFired[m]) {
        // Meter events are moved once per pass, after all its flows are settled, in the
        // order of each meter's last change (the order separate moves would have left).
        this.meterDelta(m, next - old);
        if (this.mApply[m] !== pass) {
          this.mApply[m] = pass;
          touched.push(m);
        }
        this.mLast[m] = touchOrder++;
      }
      this.stats.rescheduled++;
      if (next > 0) {
        const ev = this.fEvent[f];
        if (ev === undefined) {
          let fire = this.fFire[f];
          if (fire === undefined) {
            fire = () => this.complete(f);
            this.fFire[f] = fire;
          }
          this.fEvent[f] = this.env.schedule(left / next, fire, Priority.NORMAL);
        } else {
          this.env.reschedule(ev, left / next, Priority.NORMAL);
        }
        fQueued[f] = 1;
      } else if (fQueued[f]) {
        this.env.cancel(this.fEvent[f]);
        fQueued[f] = 0;
      }
    }
    // Component links carry only component flows: recompute usage exactly (no drift).
    for (let i = 0; i < this.nCompLinks; i++) {
      const l = this.compLinks[i] as number;
      const list = this.lFlows[l] as number[];
      let u = 0;
      for (let j = 0; j < list.length; j++) u += fRate[list[j] as number] as number;
      lUsage[l] = u;
      this.touchLink(l);
    }
    for (let i = 0; i < this.nEdgeLinks; i++) this.touchLink(this.edgeLinks[i] as number);
    if (touched.length > 0) {
      if (touched.length > 1) {
        const mLast = this.mLast;
        for (let i = 1; i < touched.length; i++) {
          const m = touched[i] as number;
          const o = mLast[m] as number;
          let j = i - 1;
          while (j >= 0 && (mLast[touched[j] as number] as number) > o) {
            touched[j + 1] = touched[j] as number;
            j--;
          }
          touched[j + 1] = m;
        }
      }
      for (let i = 0; i < touched.length; i++) this.scheduleMeter(touched[i] as number);
      touched.length = 0;
    }
  }

  private touchLink(l: number): void {
    const u = this.lUsage[l] as number;
    if (u > (this.lPeak[l] as number)) this.lPeak[l] = u;
    this.lSat[l] = u >= (this.lCap[l] as number) * (1 - EPS) ? 1 : 0;
  }

  /** Settles the meter's bytes up to now and changes its rate (the meter is not fired). */
  private meterDelta(m: number, delta: number): void {
    const now = this.env.now;
    this.mAcc[m] = (this.mAcc[m] as number) + (this.mRate[m] as number) * (now - (this.mT[m] as number));
    this.mT[m] = now;
    this.mRate[m] = Math.max(0, (this.mRate[m] as number) + delta);
  }

  /** (Re)schedules the meter's threshold event for its current rate, or drops it at rate 0. */
  private scheduleMeter(m: number): void {
    const rate = this.mRate[m] as number;
    const ev = this.mEvent[m];
    if (rate > EPS) {
      const wait = Math.max(0, ((this.mThreshold[m] as number) - (this.mAcc[m] as number)) / rate);
      if (ev === undefined) this.mEvent[m] = this.env.schedule(wait, this.mFire[m] as () => void, Priority.URGENT);
      else this.env.reschedule(ev, wait, Priority.URGENT);
    } else if (ev !== undefined) {
      this.env.cancel(ev);
    }
  }

  private fireMeter(m: number): void {
    if (this.mFired[m]) return;
    this.mFired[m] = 1;
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
    // Per-fill locals and link lists: a component never touches more links than exist.
    this.locRem = new Float64Array(n);
    this.locN = new Int32Array(n);
    this.locVer = new Int32Array(n);
    this.locLink = new Int32Array(n);
    this.compLinks = new Int32Array(n);
    this.edgeLinks = new Int32Array(n);
  }

  private growMeters(n: number): void {
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
    this.mThreshold = f64(this.mThreshold);
    this.mAcc = f64(this.mAcc);
    this.mRate = f64(this.mRate);
    this.mT = f64(this.mT);
    const fired = new Uint8Array(n);
    fired.set(this.mFired);
    this.mFired = fired;
    this.mApply = i32(this.mApply);
    this.mLast = i32(this.mLast);
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
    this.fQueued = u8(this.fQueued, n);
    this.fCapacity = n;
  }
}
