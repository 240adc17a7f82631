/**
 * TEST ORACLE, not product code: the per-flow flow network (sim/net/flow-network.ts at
 * commit 25df984, before the grouped solver came back), copied verbatim apart from this
 * header, its class name and its imports, so random-topology tests can compare the grouped
 * solver against it.
 */
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
 */
import { type Env, Priority } from '../../sim/kernel';
import { KeyedMinHeap } from '../../sim/net/min-heap';

/** Links per flow at most (NIC + backend + spare for richer topologies). */
const MAX_PATH = 4;
/** Relative tolerance for "this link is full" and "this rate did not change". */
const EPS = 1e-9;

export type FlowDone = (flow: number) => void;

export class OracleFlowNetwork {
  private readonly env: Env;

  // Links
  private nLinks = 0;
  // One 64-byte record per link (a flow's visit touches most of these fields, so they
  // share a cache line): doubles [cap, usage, peak] at LD[8l..], then ints at LI[16l+6..]
  // [mark, loc, locEpoch, sat] (views of the same buffer).
  private linkBuf = new ArrayBuffer(16 * 64);
  private LD = new Float64Array(this.linkBuf);
  private LI = new Int32Array(this.linkBuf);
  private lFlows: number[][] = [];

  // Flows (ids recycled through `freeIds`)
  private fCapacity = 0;
  // One 128-byte record per flow id: what a visit reads sits in the first 64 bytes.
  // Doubles at FD[16f..]: [rate, new, left, t, cap]; ints at FI[32f+10..]: [mark, timer,
  // -, nLinks, links x4, active, -, pos x4] (pos: the flow's index in each link's list).
  private flowBuf = new ArrayBuffer(0);
  private FD = new Float64Array(0);
  private FI = new Int32Array(0);
  private fDone: Array<FlowDone | undefined> = [];
  private freeIds: number[] = [];
  private nextId = 0;
  private live = 0;

  // Recompute bookkeeping (scratch buffers reused across recomputes)
  private dirtyLinks: number[] = [];
  private dirtyFlows: number[] = [];
  private scheduled = false;
  private readonly recomputeTimer: number;
  private epoch = 0;
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
  private locRem = new Float64Array(16);
  private locN = new Int32Array(16);
  private locVer = new Int32Array(16);
  private locLink = new Int32Array(16);
  /** Recomputations run and flows they visited: the cost of the hot path, for benchmarks. */
  readonly stats = { recomputes: 0, flowsVisited: 0, extensions: 0, rescheduled: 0 };

  constructor(env: Env) {
    this.env = env;
    this.recomputeTimer = env.reserveTimer(() => this.recompute());
    this.growFlows(1024);
  }

  addLink(capacity: number): number {
    if (!(capacity > 0)) throw new RangeError(`link capacity must be > 0, got ${capacity}`);
    const id = this.nLinks++;
    if (id >= this.linkBuf.byteLength / 64) this.growLinks(id * 2);
    this.LD[8 * id + 0] = capacity;
    this.lFlows.push([]);
    return id;
  }

  linkCapacity(link: number): number {
    return this.LD[8 * link + 0] as number;
  }
  /** Sum of the current rates of the flows on the link. */
  linkUsage(link: number): number {
    return this.LD[8 * link + 1] as number;
  }
  /** Highest usage the link has carried so far. */
  linkPeak(link: number): number {
    return this.LD[8 * link + 2] as number;
  }
  linkFlowCount(link: number): number {
    return (this.lFlows[link] as number[]).length;
  }
  get activeFlows(): number {
    return this.live;
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
    this.FI[32 * f + 18] = 1;
    this.FI[32 * f + 13] = links.length;
    for (let j = 0; j < links.length; j++) {
      const l = links[j] as number;
      const list = this.lFlows[l] as number[];
      this.FI[32 * f + 14 + j] = l;
      this.FI[32 * f + 20 + j] = list.length;
      list.push(f);
    }
    this.FD[16 * f + 0] = 0;
    this.FD[16 * f + 2] = bytes;
    this.FD[16 * f + 3] = this.env.now;
    this.FD[16 * f + 4] = cap;
    this.fDone[f] = onDone;
    this.dirtyFlows.push(f);
    this.requestRecompute();
    return f;
  }

  /** Changes a flow's rate cap (Infinity removes it). */
  setCap(flow: number, cap: number): void {
    if (!this.FI[32 * flow + 18]) throw new RangeError(`flow ${flow} is not active`);
    if (!(cap > 0)) throw new RangeError(`flow cap must be > 0, got ${cap}`);
    if (this.FD[16 * flow + 4] === cap) return;
    this.FD[16 * flow + 4] = cap;
    this.dirtyFlows.push(flow);
    this.requestRecompute();
  }

  rate(flow: number): number {
    return this.FI[32 * flow + 18] ? (this.FD[16 * flow + 0] as number) : 0;
  }

  remaining(flow: number): number {
    if (!this.FI[32 * flow + 18]) return 0;
    return Math.max(
      0,
      (this.FD[16 * flow + 2] as number) -
        (this.FD[16 * flow + 0] as number) * (this.env.now - (this.FD[16 * flow + 3] as number)),
    );
  }

  private requestRecompute(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.env.setTimer(this.recomputeTimer, 0, Priority.LATE);
  }

  /**
   * Stops a flow before its last byte (a download cancelled mid-way): its onDone never runs
   * and its bandwidth goes back to the others. Returns the bytes it had not delivered.
   */
  cancelFlow(flow: number): number {
    if (!this.FI[32 * flow + 18]) throw new RangeError(`flow ${flow} is not active`);
    const left = this.remaining(flow);
    const timer = this.FI[32 * flow + 11] as number;
    if (timer >= 0) this.env.clearTimer(timer);
    this.detach(flow);
    return left;
  }

  private complete(f: number): void {
    this.detach(f)?.(f);
  }

  /** Takes a flow off its links and frees its id; returns its completion callback. */
  private detach(f: number): FlowDone | undefined {
    const rate = this.FD[16 * f + 0] as number;
    const n = this.FI[32 * f + 13] as number;
    for (let j = 0; j < n; j++) {
      const l = this.FI[32 * f + 14 + j] as number;
      this.removeFromLink(l, f, j);
      this.LD[8 * l + 1] = Math.max(0, (this.LD[8 * l + 1] as number) - rate);
      // Only a saturated link passes the freed bandwidth on to other flows.
      if (this.LI[16 * l + 9]) this.dirtyLinks.push(l);
    }
    const done = this.fDone[f];
    this.FI[32 * f + 18] = 0;
    this.FD[16 * f + 0] = 0;
    this.fDone[f] = undefined;
    this.freeIds.push(f);
    this.live--;
    this.requestRecompute();
    return done;
  }

  private removeFromLink(l: number, f: number, slot: number): void {
    const list = this.lFlows[l] as number[];
    const pos = this.FI[32 * f + 20 + slot] as number;
    const last = list.pop() as number;
    if (pos < list.length) {
      list[pos] = last;
      // Find which of `last`'s path entries points at this link, and fix its position.
      const n = this.FI[32 * last + 13] as number;
      for (let j = 0; j < n; j++) {
        if (this.FI[32 * last + 14 + j] === l) {
          this.FI[32 * last + 20 + j] = pos;
          break;
        }
      }
    }
  }

  private recompute(): void {
    this.scheduled = false;
    this.stats.recomputes++;
    const epoch = ++this.epoch;
    const LI = this.LI;
    const FI = this.FI;
    this.nQueue = 0;
    this.nComp = 0;
    const dl = this.dirtyLinks;
    for (let i = 0; i < dl.length; i++) {
      const l = dl[i] as number;
      if (LI[16 * l + 6] !== epoch && LI[16 * l + 9]) {
        LI[16 * l + 6] = epoch;
        this.pushQueue(l);
      }
    }
    const df = this.dirtyFlows;
    for (let i = 0; i < df.length; i++) {
      const f = df[i] as number;
      if (FI[32 * f + 10] === epoch || !FI[32 * f + 18]) continue;
      FI[32 * f + 10] = epoch;
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
      LI[16 * grow + 6] = epoch;
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
    const FI = this.FI;
    const LI = this.LI;
    let qi = 0;
    let fi = from;
    while (qi < this.nQueue || fi < this.nComp) {
      while (qi < this.nQueue) {
        const list = this.lFlows[this.queueBuf[qi++] as number] as number[];
        for (let i = 0; i < list.length; i++) {
          const f = list[i] as number;
          if (FI[32 * f + 10] !== epoch) {
            FI[32 * f + 10] = epoch;
            this.pushComp(f);
          }
        }
      }
      while (fi < this.nComp) {
        const f = this.compBuf[fi++] as number;
        const n = FI[32 * f + 13] as number;
        for (let j = 0; j < n; j++) {
          const l = FI[32 * f + 14 + j] as number;
          if (LI[16 * l + 6] !== epoch && LI[16 * l + 9]) {
            LI[16 * l + 6] = epoch;
            this.pushQueue(l);
          }
        }
      }
    }
    this.nQueue = 0;
  }

  /**
   * Progressive filling over the component. Component links (mark === epoch) carry only
   * component flows; edge links enter with capacity minus what outside flows use.
   * New rates land in fNew; the component's and edge links land in compLinks/edgeLinks.
   * Returns an edge link the fill saturated (to grow into), or -1.
   */
  private fill(epoch: number): number {
    const FI = this.FI;
    const FD = this.FD;
    const LI = this.LI;
    const LD = this.LD;
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
      const n = FI[32 * f + 13] as number;
      for (let j = 0; j < n; j++) {
        const l = FI[32 * f + 14 + j] as number;
        let k: number;
        const inComp = LI[16 * l + 6] === epoch;
        if (LI[16 * l + 8] === epoch) k = LI[16 * l + 7] as number;
        else {
          // First sight of this link in this fill: give it a local index (locals are
          // sized to the link count, a component never has more).
          LI[16 * l + 8] = epoch;
          k = nLoc++;
          LI[16 * l + 7] = k;
          locLink[k] = l;
          if (inComp) {
            compLinks[nCL++] = l;
            locRem[k] = LD[8 * l + 0] as number;
          } else {
            edgeLinks[nEL++] = l;
            locRem[k] = (LD[8 * l + 0] as number) - (LD[8 * l + 1] as number);
          }
          locN[k] = 0;
          locVer[k] = 0;
        }
        locN[k] = (locN[k] as number) + 1;
        // Edge links: give back what this component flow currently uses.
        if (!inComp) locRem[k] = (locRem[k] as number) + (FD[16 * f + 0] as number);
      }
      FD[16 * f + 1] = -1;
      if ((FD[16 * f + 4] as number) < Number.POSITIVE_INFINITY) capBuf[nCapped++] = f;
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
      while (ci < nCapped && (FD[16 * (capBuf[ci] as number) + 1] as number) >= 0) ci++;
      const linkLevel = heap.topKey();
      const capFlow = ci < nCapped ? (capBuf[ci] as number) : -1;
      const capLevel = capFlow >= 0 ? (FD[16 * capFlow + 4] as number) : Number.POSITIVE_INFINITY;
      if (capFlow < 0 && heap.size === 0) throw new Error('flow with no finite constraint');
      if (capLevel <= linkLevel) {
        this.freeze(capFlow, capLevel);
        unfrozen--;
        continue;
      }
      const k = heap.topItem();
      heap.pop();
      const l = locLink[k] as number;
      if (LI[16 * l + 6] !== epoch) {
        // An edge link filled up: outside flows on it may now have to give way. Stop here;
        // the caller grows the component and fills again.
        grow = l;
        break;
      }
      const list = this.lFlows[l] as number[];
      for (let i = 0; i < list.length; i++) {
        const f = list[i] as number;
        if (FI[32 * f + 10] === epoch && (FD[16 * f + 1] as number) < 0) {
          this.freeze(f, linkLevel);
          unfrozen--;
        }
      }
    }
    if (grow >= 0) {
      // Invalidate local indices so the next fill starts clean.
      for (let k = 0; k < nLoc; k++) LI[16 * (locLink[k] as number) + 8] = 0;
    }
    return grow;
  }

  /** Fixes flow f at `rate` and takes it out of its links' shares. */
  private freeze(f: number, rate: number): void {
    this.FD[16 * f + 1] = rate;
    const n = this.FI[32 * f + 13] as number;
    const locRem = this.locRem;
    const locN = this.locN;
    const locVer = this.locVer;
    for (let j = 0; j < n; j++) {
      const l = this.FI[32 * f + 14 + j] as number;
      const k = this.LI[16 * l + 7] as number;
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
    const FD = this.FD;
    if (n <= 12) {
      for (let i = 1; i < n; i++) {
        const f = capBuf[i] as number;
        const c = FD[16 * f + 4] as number;
        let j = i - 1;
        while (j >= 0) {
          const g = capBuf[j] as number;
          const cg = FD[16 * g + 4] as number;
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
      const c = FD[16 * (capBuf[i] as number) + 4] as number;
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
      const c = FD[16 * f + 4] as number;
      let r = 0;
      while (vals[r] !== c) r++;
      key[i] = r * SHIFT + f;
    }
    key.subarray(0, n).sort();
    for (let i = 0; i < n; i++) capBuf[i] = (key[i] as number) % SHIFT;
  }

  private sortCappedGeneric(n: number): void {
    const FD = this.FD;
    const a = Array.from(this.capBuf.subarray(0, n));
    a.sort((x, y) => (FD[16 * x + 4] as number) - (FD[16 * y + 4] as number) || x - y);
    for (let i = 0; i < n; i++) this.capBuf[i] = a[i] as number;
  }

  /** Commits the fill: settle progress, reschedule completions, update usage and peaks. */
  private apply(): void {
    const now = this.env.now;
    const comp = this.compBuf;
    const nComp = this.nComp;
    const FD = this.FD;
    const FI = this.FI;
    const LD = this.LD;
    for (let i = 0; i < nComp; i++) {
      const f = comp[i] as number;
      const old = FD[16 * f + 0] as number;
      const next = FD[16 * f + 1] as number;
      const changed = Math.abs(next - old) > EPS * Math.max(old, next);
      // Unchanged and already scheduled: nothing to do. (A flow's timer is queued from its
      // first apply until it fires, unless its rate is 0.)
      const timer0 = FI[32 * f + 11] as number;
      if (!changed && timer0 >= 0 && this.env.timerQueued(timer0)) continue;
      const left = Math.max(0, (FD[16 * f + 2] as number) - old * (now - (FD[16 * f + 3] as number)));
      FD[16 * f + 2] = left;
      FD[16 * f + 3] = now;
      FD[16 * f + 0] = next;
      const n = FI[32 * f + 13] as number;
      for (let j = 0; j < n; j++) {
        const l = FI[32 * f + 14 + j] as number;
        LD[8 * l + 1] = (LD[8 * l + 1] as number) + (next - old);
      }
      this.stats.rescheduled++;
      if (next > 0) {
        let timer = timer0;
        if (timer < 0) {
          timer = this.env.reserveTimer(() => this.complete(f));
          FI[32 * f + 11] = timer;
        }
        this.env.setTimer(timer, left / next, Priority.NORMAL);
      } else if (timer0 >= 0) {
        this.env.clearTimer(timer0);
      }
    }
    // Component links carry only component flows: recompute usage exactly (no drift).
    for (let i = 0; i < this.nCompLinks; i++) {
      const l = this.compLinks[i] as number;
      const list = this.lFlows[l] as number[];
      let u = 0;
      for (let j = 0; j < list.length; j++) u += FD[16 * (list[j] as number)] as number;
      LD[8 * l + 1] = u;
      this.touchLink(l);
    }
    for (let i = 0; i < this.nEdgeLinks; i++) this.touchLink(this.edgeLinks[i] as number);
  }

  private touchLink(l: number): void {
    const u = this.LD[8 * l + 1] as number;
    if (u > (this.LD[8 * l + 2] as number)) this.LD[8 * l + 2] = u;
    this.LI[16 * l + 9] = u >= (this.LD[8 * l + 0] as number) * (1 - EPS) ? 1 : 0;
  }

  private growLinks(n: number): void {
    const buf = new ArrayBuffer(n * 64);
    new Uint8Array(buf).set(new Uint8Array(this.linkBuf));
    this.linkBuf = buf;
    this.LD = new Float64Array(buf);
    this.LI = new Int32Array(buf);
    // Per-fill locals and link lists: a component never touches more links than exist.
    this.locRem = new Float64Array(n);
    this.locN = new Int32Array(n);
    this.locVer = new Int32Array(n);
    this.locLink = new Int32Array(n);
    this.compLinks = new Int32Array(n);
    this.edgeLinks = new Int32Array(n);
  }

  private growFlows(n: number): void {
    const buf = new ArrayBuffer(n * 128);
    new Uint8Array(buf).set(new Uint8Array(this.flowBuf));
    const old = this.fCapacity;
    this.flowBuf = buf;
    this.FD = new Float64Array(buf);
    this.FI = new Int32Array(buf);
    // No completion timer reserved yet for the new ids.
    for (let f = old; f < n; f++) this.FI[32 * f + 11] = -1;
    this.fCapacity = n;
  }
}
