/**
 * Flow-level bandwidth sharing: every transfer is a fluid flow across a few links (a
 * node's NIC, a storage backend's egress, ...) with an optional per-flow rate cap, and
 * rates are the max-min fair allocation, computed by progressive filling.
 *
 * Why the cost of an event does not grow with the flows on a saturated link:
 *
 * - Links that can never saturate drop out. A link is *safe* while every flow on it has a
 *   finite cap and the caps sum below its capacity: then no fill can ever make it a
 *   bottleneck, and the solver ignores it. A link turns *unsafe* (for good) the first time
 *   that stops holding; its flows are then regrouped once.
 * - Flows are grouped into classes: same cap, same set of unsafe links. Max-min treats
 *   such flows symmetrically, so they always get the same rate; the water-filling runs
 *   over classes weighted by their member counts (a backend hit by 25,000 flows of two
 *   cap values is two units, not 25,000).
 * - Each class keeps a progress clock (bytes delivered per member since it was made) and
 *   its members in a min-heap by the clock value at which they finish. A rate change
 *   settles the clock and moves one timer (the class's earliest finisher), not one per flow.
 *
 * As before, a change can only move the rates of classes connected to it through saturated
 * links: each change marks what it touched dirty, one recompute per instant (scheduled
 * LATE, after every event of that instant) explores the component reachable through
 * saturated links, and unsaturated links at its edge enter the water-filling with their
 * residual capacity; if the fill saturates such an edge link, the component grows and the
 * fill is redone, which keeps the result exact.
 */
import { type Env, Priority } from '../kernel';
import { KeyedMinHeap } from './min-heap';

/** Links per flow at most (NIC + backend + spare for richer topologies). */
const MAX_PATH = 4;
/** Relative tolerance for "this link is full". */
const EPS = 1e-9;
/** A link stays safe while its flows' caps sum below capacity by at least this fraction. */
const SAFE_MARGIN = 1e-6;
/** Radix of numeric class keys: capId * 2^42 + (link+1) * 2^21 + (link+1) stays below 2^53. */
const KEY_BASE = 2 ** 21;

export type FlowDone = (flow: number) => void;

export class FlowNetwork {
  private readonly env: Env;

  // Links
  private nLinks = 0;
  private lCap: number[] = [];
  /** Sum of the rates of the flows on the link (kept for unsafe links only). */
  private lUsage: number[] = [];
  private lPeak: number[] = [];
  /** Sum of the finite caps of the link's flows, and how many of them are uncapped. */
  private lCapSum: number[] = [];
  private lUncapped: number[] = [];
  private lUnsafe: number[] = [];
  private lSat: number[] = [];
  /** Recompute epoch that put the link in the component; fill-local index and its epoch. */
  private lMark: number[] = [];
  private lLoc: number[] = [];
  private lLocEpoch: number[] = [];
  /** Flows on the link (with each flow's position kept in fLinkPos). */
  private lFlows: number[][] = [];
  /** Classes crossing an unsafe link (with each class's position kept in cLinkPos). */
  private lClasses: number[][] = [];
  /**
   * Safe links: the summed caps of their flows in link-less classes (which run at their
   * cap), and how many flows sit in classes with links (whose rate varies).
   */
  private lFixed: number[] = [];
  private lVar: number[] = [];
  private peakDirty: number[] = [];
  private lPeakMark: number[] = [];

  // Flows (ids recycled)
  private fClass: number[] = [];
  /** Class clock value at which the flow has delivered its last byte. */
  private fTag: number[] = [];
  private fHeapPos: number[] = [];
  private fCap: number[] = [];
  private fLinks: number[][] = [];
  private fLinkPos: number[][] = [];
  private fDone: Array<FlowDone | undefined> = [];
  private fActive: number[] = [];
  /** The flow's group (-1: none): see `groupRemaining`. */
  private fGroup: number[] = [];
  private freeIds: number[] = [];
  private nextId = 0;
  private live = 0;

  // Groups: per group, the sum of its members' end tags and, per class holding members,
  // how many (a group's flows sit in a few classes: those of its links and caps).
  private gEnd: number[] = [];
  private gMembers: number[] = [];
  private gClasses: number[][] = [];
  private gCounts: number[][] = [];

  // Classes (ids recycled; each keeps its timer)
  private classOf = new Map<number | string, number>();
  private cKey: Array<number | string> = [];
  /** Small ids for the distinct caps (class keys). */
  private capIds = new Map<number, number>();
  private scratch: number[] = [0, 0, 0, 0];
  private cM: number[] = [];
  private cCap: number[] = [];
  private cRate: number[] = [];
  private cNew: number[] = [];
  /** Progress clock: bytes per member delivered up to cT. */
  private cV: number[] = [];
  private cT: number[] = [];
  private cMark: number[] = [];
  private cTimer: number[] = [];
  private cLinks: number[][] = [];
  private cLinkPos: number[][] = [];
  /** Members, a binary min-heap by (fTag, flow id). */
  private cHeap: number[][] = [];
  private cLive: number[] = [];
  private freeClasses: number[] = [];
  private nClasses = 0;

  // Recompute bookkeeping (scratch buffers reused across recomputes)
  private dirtyLinks: number[] = [];
  private dirtyClasses: number[] = [];
  private scheduled = false;
  private readonly recomputeTimer: number;
  private epoch = 0;
  private heap = new KeyedMinHeap();
  private comp: number[] = [];
  private queue: number[] = [];
  private capped: number[] = [];
  private compLinks: number[] = [];
  private edgeLinks: number[] = [];
  private locRem: number[] = [];
  private locN: number[] = [];
  private locVer: number[] = [];
  private locLink: number[] = [];
  /**
   * The cost of the hot path, for benchmarks: recomputes; classes the solver visited
   * (the unit of the water-filling); flows touched one by one (joins, leaves, regroupings,
   * completions: work per flow that is O(log n) each); class timers moved; edge extensions.
   */
  readonly stats = {
    recomputes: 0,
    classesVisited: 0,
    flowsVisited: 0,
    regrouped: 0,
    extensions: 0,
    rescheduled: 0,
  };

  constructor(env: Env) {
    this.env = env;
    this.recomputeTimer = env.reserveTimer(() => this.recompute());
  }

  addLink(capacity: number): number {
    if (!(capacity > 0)) throw new RangeError(`link capacity must be > 0, got ${capacity}`);
    const id = this.nLinks++;
    this.lCap.push(capacity);
    this.lUsage.push(0);
    this.lPeak.push(0);
    this.lCapSum.push(0);
    this.lUncapped.push(0);
    this.lUnsafe.push(0);
    this.lSat.push(0);
    this.lMark.push(0);
    this.lLoc.push(0);
    this.lLocEpoch.push(0);
    this.lFlows.push([]);
    this.lClasses.push([]);
    this.lFixed.push(0);
    this.lVar.push(0);
    this.lPeakMark.push(0);
    this.locRem.push(0);
    this.locN.push(0);
    this.locVer.push(0);
    this.locLink.push(0);
    return id;
  }

  linkCapacity(link: number): number {
    return this.lCap[link] as number;
  }
  /** Sum of the current rates of the flows on the link. */
  linkUsage(link: number): number {
    if (this.lUnsafe[link]) return this.lUsage[link] as number;
    let u = this.lFixed[link] as number;
    if ((this.lVar[link] as number) > 0) {
      const list = this.lFlows[link] as number[];
      for (let i = 0; i < list.length; i++) {
        const c = this.fClass[list[i] as number] as number;
        if ((this.cLinks[c] as number[]).length > 0) u += this.cRate[c] as number;
      }
    }
    return u;
  }
  /**
   * Highest usage the link has carried so far, as seen after each instant's recompute.
   * Exact for links that can saturate and for links whose flows all run at their caps; a
   * link that cannot saturate and carries flows held back elsewhere is sampled when its
   * own flows start or end (following every rate change there would cost a visit per flow).
   */
  linkPeak(link: number): number {
    return this.lPeak[link] as number;
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
    group = -1,
  ): number {
    if (links.length === 0 || links.length > MAX_PATH)
      throw new RangeError(`a flow crosses 1..${MAX_PATH} links`);
    if (!(bytes >= 0)) throw new RangeError(`flow size must be >= 0, got ${bytes}`);
    if (!(cap > 0)) throw new RangeError(`flow cap must be > 0, got ${cap}`);
    for (let j = 0; j < links.length; j++) {
      const l = links[j] as number;
      if (!(l >= 0 && l < this.nLinks)) throw new RangeError(`unknown link ${l}`);
    }
    if (!(Number.isInteger(group) && group >= -1))
      throw new RangeError(`flow group must be an integer >= -1, got ${group}`);
    const f = this.freeIds.pop() ?? this.nextId++;
    this.live++;
    this.fActive[f] = 1;
    this.fGroup[f] = group;
    while (this.gEnd.length <= group) {
      this.gEnd.push(0);
      this.gMembers.push(0);
      this.gClasses.push([]);
      this.gCounts.push([]);
    }
    this.fClass[f] = -1;
    this.fCap[f] = cap;
    // A recycled id keeps its two small arrays when its path has as many links (no
    // allocation per flow in the steady state; shrinking an array's length is slow in V8).
    const n = links.length;
    let path = this.fLinks[f] as number[] | undefined;
    let pos = this.fLinkPos[f] as number[] | undefined;
    if (path === undefined || path.length !== n) path = new Array<number>(n);
    if (pos === undefined || pos.length !== n) pos = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      const l = links[j] as number;
      const list = this.lFlows[l] as number[];
      path[j] = l;
      pos[j] = list.length;
      list.push(f);
    }
    this.fLinks[f] = path;
    this.fLinkPos[f] = pos;
    this.fDone[f] = onDone;
    this.addCaps(f, cap);
    this.joinClass(f, bytes);
    this.requestRecompute();
    return f;
  }

  /** Changes a flow's rate cap (Infinity removes it). */
  setCap(flow: number, cap: number): void {
    if (!this.fActive[flow]) throw new RangeError(`flow ${flow} is not active`);
    if (!(cap > 0)) throw new RangeError(`flow cap must be > 0, got ${cap}`);
    if (this.fCap[flow] === cap) return;
    const left = this.remaining(flow);
    this.leaveClass(flow);
    this.removeCaps(flow, this.fCap[flow] as number);
    this.fCap[flow] = cap;
    this.addCaps(flow, cap);
    this.joinClass(flow, left);
    this.requestRecompute();
  }

  rate(flow: number): number {
    return this.fActive[flow] ? (this.cRate[this.fClass[flow] as number] as number) : 0;
  }

  remaining(flow: number): number {
    if (!this.fActive[flow]) return 0;
    const c = this.fClass[flow] as number;
    return Math.max(0, (this.fTag[flow] as number) - this.clock(c));
  }

  /**
   * Bytes the flows of `group` (startFlow's last argument) still have to deliver, summed:
   * O(classes the group's flows sit in), not O(flows), so a model can meter the bytes a set
   * of flows delivered (e.g. all reads of one copy) every sampling tick without visiting each.
   */
  groupRemaining(group: number): number {
    if (!(group >= 0 && group < this.gEnd.length)) return 0;
    const cs = this.gClasses[group] as number[];
    const ns = this.gCounts[group] as number[];
    let r = this.gEnd[group] as number;
    for (let i = 0; i < cs.length; i++) r -= (ns[i] as number) * this.clock(cs[i] as number);
    return Math.max(0, r);
  }

  /** Flows in flight in `group`. */
  groupFlows(group: number): number {
    return group >= 0 && group < this.gMembers.length ? (this.gMembers[group] as number) : 0;
  }

  /** f (in class c, end tag already set) enters (+1) or leaves (-1) its group's sums. */
  private groupMove(f: number, c: number, sign: 1 | -1): void {
    const g = this.fGroup[f] as number;
    if (g < 0) return;
    const members = (this.gMembers[g] as number) + sign;
    this.gMembers[g] = members;
    // An empty group restarts from an exact 0 (no float dust carried over).
    this.gEnd[g] = members === 0 ? 0 : (this.gEnd[g] as number) + sign * (this.fTag[f] as number);
    const cs = this.gClasses[g] as number[];
    const ns = this.gCounts[g] as number[];
    let i = cs.indexOf(c);
    if (i < 0) {
      i = cs.length;
      cs.push(c);
      ns.push(0);
    }
    const n = (ns[i] as number) + sign;
    if (n === 0) {
      cs[i] = cs[cs.length - 1] as number;
      ns[i] = ns[ns.length - 1] as number;
      cs.pop();
      ns.pop();
    } else ns[i] = n;
  }

  /**
   * Stops a flow before its last byte (a download cancelled mid-way): its onDone never runs
   * and its bandwidth goes back to the others. Returns the bytes it had not delivered.
   */
  cancelFlow(flow: number): number {
    if (!this.fActive[flow]) throw new RangeError(`flow ${flow} is not active`);
    const left = this.remaining(flow);
    this.detach(flow);
    return left;
  }

  private requestRecompute(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.env.setTimer(this.recomputeTimer, 0, Priority.LATE);
  }

  /** The class's progress clock now. */
  private clock(c: number): number {
    return (this.cV[c] as number) + (this.cRate[c] as number) * (this.env.now - (this.cT[c] as number));
  }

  private settle(c: number): void {
    this.cV[c] = this.clock(c);
    this.cT[c] = this.env.now;
  }

  // --- Safety of links -------------------------------------------------------------

  private addCaps(f: number, cap: number): void {
    const path = this.fLinks[f] as number[];
    for (let j = 0; j < path.length; j++) {
      const l = path[j] as number;
      if (cap === Number.POSITIVE_INFINITY) this.lUncapped[l] = (this.lUncapped[l] as number) + 1;
      else this.lCapSum[l] = (this.lCapSum[l] as number) + cap;
    }
    for (let j = 0; j < path.length; j++) {
      const l = path[j] as number;
      if (
        !this.lUnsafe[l] &&
        ((this.lUncapped[l] as number) > 0 ||
          (this.lCapSum[l] as number) >= (this.lCap[l] as number) * (1 - SAFE_MARGIN))
      )
        this.makeUnsafe(l);
    }
  }

  private removeCaps(f: number, cap: number): void {
    const path = this.fLinks[f] as number[];
    for (let j = 0; j < path.length; j++) {
      const l = path[j] as number;
      if (cap === Number.POSITIVE_INFINITY) this.lUncapped[l] = (this.lUncapped[l] as number) - 1;
      else this.lCapSum[l] = (this.lCapSum[l] as number) - cap;
    }
  }

  /** The link may saturate from now on: the solver sees it, and its flows regroup. */
  private makeUnsafe(l: number): void {
    // Its flows were held below its capacity (their caps sum below it), so it is not
    // saturated; usage builds up again as they rejoin classes that name it.
    this.lUnsafe[l] = 1;
    this.lUsage[l] = 0;
    this.lSat[l] = 0;
    const list = (this.lFlows[l] as number[]).slice();
    for (let i = 0; i < list.length; i++) {
      const f = list[i] as number;
      if ((this.fClass[f] as number) < 0) continue; // the flow being started
      const left = this.remaining(f);
      this.leaveClass(f);
      this.joinClass(f, left);
      this.stats.regrouped++;
    }
  }

  // --- Classes --------------------------------------------------------------------

  /** Puts flow f (with `left` bytes to go) into the class of its cap and unsafe links. */
  private joinClass(f: number, left: number): void {
    const path = this.fLinks[f] as number[];
    const cap = this.fCap[f] as number;
    // The class key: cap and sorted unsafe links, packed in a number when it fits
    // (allocation-free, the common case), else a string.
    const u = this.scratch;
    let n = 0;
    for (let j = 0; j < path.length; j++) {
      const l = path[j] as number;
      if (!this.lUnsafe[l]) continue;
      let i = n++;
      while (i > 0 && (u[i - 1] as number) > l) {
        u[i] = u[i - 1] as number;
        i--;
      }
      u[i] = l;
    }
    let capId = this.capIds.get(cap);
    if (capId === undefined) {
      capId = this.capIds.size;
      this.capIds.set(cap, capId);
    }
    let key: number | string;
    if (n <= 2 && capId < 2048 && this.nLinks < KEY_BASE - 1)
      key =
        capId * KEY_BASE * KEY_BASE +
        (n > 0 ? (u[0] as number) + 1 : 0) * KEY_BASE +
        (n > 1 ? (u[1] as number) + 1 : 0);
    else key = `${cap}|${u.slice(0, n).join(',')}`;
    let c = this.classOf.get(key);
    if (c === undefined) c = this.newClass(key, cap, u.slice(0, n));
    this.settle(c);
    this.fClass[f] = c;
    this.fTag[f] = (this.cV[c] as number) + left;
    this.groupMove(f, c, 1);
    this.heapPush(c, f);
    this.cM[c] = (this.cM[c] as number) + 1;
    // It runs at the class's rate from now on (until this instant's recompute says otherwise).
    const rate = this.cRate[c] as number;
    for (let j = 0; j < n; j++) {
      const l = u[j] as number;
      this.lUsage[l] = (this.lUsage[l] as number) + rate;
    }
    this.stats.flowsVisited++;
    this.dirtyClasses.push(c);
    if (n === 0) this.safeLinksChanged(f, cap);
    else this.safeLinksChanged(f, 0, 1);
  }

  /** Takes flow f out of its class (usage on its unsafe links follows at the recompute). */
  private leaveClass(f: number): void {
    const c = this.fClass[f] as number;
    this.groupMove(f, c, -1);
    this.heapRemove(c, f);
    this.cM[c] = (this.cM[c] as number) - 1;
    this.stats.flowsVisited++;
    const rate = this.cRate[c] as number;
    const cl = this.cLinks[c] as number[];
    for (let j = 0; j < cl.length; j++) {
      const l = cl[j] as number;
      this.lUsage[l] = Math.max(0, (this.lUsage[l] as number) - rate);
      // Only a saturated link passes the freed bandwidth on to other classes.
      if (this.lSat[l]) this.dirtyLinks.push(l);
    }
    if (cl.length === 0) this.safeLinksChanged(f, -(this.fCap[f] as number));
    else this.safeLinksChanged(f, 0, -1);
    this.fClass[f] = -1;
    this.dirtyClasses.push(c);
  }

  /** Book-keeping of f's safe links for linkUsage/linkPeak. */
  private safeLinksChanged(f: number, fixed: number, vars = 0): void {
    const path = this.fLinks[f] as number[];
    for (let j = 0; j < path.length; j++) {
      const l = path[j] as number;
      if (this.lUnsafe[l]) continue;
      this.lFixed[l] = (this.lFixed[l] as number) + fixed;
      this.lVar[l] = (this.lVar[l] as number) + vars;
      if (this.lPeakMark[l] !== 1) {
        this.lPeakMark[l] = 1;
        this.peakDirty.push(l);
      }
    }
  }

  private newClass(key: number | string, cap: number, links: number[]): number {
    let c = this.freeClasses.pop();
    if (c === undefined) {
      c = this.nClasses++;
      const id = c;
      this.cTimer[c] = this.env.reserveTimer(() => this.classDue(id));
      this.cHeap[c] = [];
      this.cMark[c] = 0;
    }
    this.classOf.set(key, c);
    this.cKey[c] = key;
    this.cM[c] = 0;
    this.cCap[c] = cap;
    this.cRate[c] = 0;
    this.cNew[c] = 0;
    this.cV[c] = 0;
    this.cT[c] = this.env.now;
    this.cLive[c] = 1;
    this.cLinks[c] = links;
    const pos: number[] = [];
    for (let j = 0; j < links.length; j++) {
      const list = this.lClasses[links[j] as number] as number[];
      pos.push(list.length);
      list.push(c);
    }
    this.cLinkPos[c] = pos;
    return c;
  }

  /** Drops an empty class (from the recompute, so no dirty list still names it). */
  private freeClass(c: number): void {
    this.classOf.delete(this.cKey[c] as number | string);
    this.env.clearTimer(this.cTimer[c] as number);
    const links = this.cLinks[c] as number[];
    const pos = this.cLinkPos[c] as number[];
    for (let j = 0; j < links.length; j++) {
      const l = links[j] as number;
      const list = this.lClasses[l] as number[];
      const at = pos[j] as number;
      const last = list.pop() as number;
      if (at < list.length) {
        list[at] = last;
        const ll = this.cLinks[last] as number[];
        for (let k = 0; k < ll.length; k++)
          if (ll[k] === l) {
            (this.cLinkPos[last] as number[])[k] = at;
            break;
          }
      }
    }
    this.cLive[c] = 0;
    this.cRate[c] = 0;
    this.freeClasses.push(c);
  }

  /**
   * The class's earliest finisher is due: it and every member with the same tag complete,
   * each detached and told in turn (so a flow id is never reused before its onDone ran).
   */
  private classDue(c: number): void {
    const heap = this.cHeap[c] as number[];
    if (heap.length === 0) return;
    const tag = this.fTag[heap[0] as number] as number;
    while (heap.length > 0 && this.fTag[heap[0] as number] === tag) {
      const f = heap[0] as number;
      const done = this.fDone[f];
      this.fDone[f] = undefined;
      this.detach(f);
      done?.(f);
    }
  }

  /** Takes a flow off its links and its class and frees its id. */
  private detach(f: number): void {
    this.leaveClass(f);
    const path = this.fLinks[f] as number[];
    const pos = this.fLinkPos[f] as number[];
    for (let j = 0; j < path.length; j++) this.removeFromLink(path[j] as number, pos[j] as number);
    this.removeCaps(f, this.fCap[f] as number);
    this.fActive[f] = 0;
    this.freeIds.push(f);
    this.live--;
    this.requestRecompute();
  }

  private removeFromLink(l: number, at: number): void {
    const list = this.lFlows[l] as number[];
    const last = list.pop() as number;
    if (at < list.length) {
      list[at] = last;
      const lp = this.fLinks[last] as number[];
      for (let j = 0; j < lp.length; j++)
        if (lp[j] === l) {
          (this.fLinkPos[last] as number[])[j] = at;
          break;
        }
    }
  }

  // --- Member heaps (by tag, then flow id, so ties resolve the same way every run) -----

  private before(a: number, b: number): boolean {
    const ta = this.fTag[a] as number;
    const tb = this.fTag[b] as number;
    return ta < tb || (ta === tb && a < b);
  }

  private heapPush(c: number, f: number): void {
    const h = this.cHeap[c] as number[];
    h.push(f);
    this.siftUp(h, h.length - 1);
  }

  private heapRemove(c: number, f: number): void {
    const h = this.cHeap[c] as number[];
    const i = this.fHeapPos[f] as number;
    const last = h.pop() as number;
    if (i < h.length) {
      h[i] = last;
      this.fHeapPos[last] = i;
      this.siftUp(h, i);
      this.siftDown(h, this.fHeapPos[last] as number);
    }
    this.fHeapPos[f] = -1;
  }

  private siftUp(h: number[], i: number): void {
    const x = h[i] as number;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const y = h[p] as number;
      if (!this.before(x, y)) break;
      h[i] = y;
      this.fHeapPos[y] = i;
      i = p;
    }
    h[i] = x;
    this.fHeapPos[x] = i;
  }

  private siftDown(h: number[], i: number): void {
    const n = h.length;
    const x = h[i] as number;
    for (;;) {
      const a = 2 * i + 1;
      if (a >= n) break;
      let m = a;
      if (a + 1 < n && this.before(h[a + 1] as number, h[a] as number)) m = a + 1;
      const y = h[m] as number;
      if (!this.before(y, x)) break;
      h[i] = y;
      this.fHeapPos[y] = i;
      i = m;
    }
    h[i] = x;
    this.fHeapPos[x] = i;
  }

  // --- The solver -------------------------------------------------------------------

  private recompute(): void {
    this.scheduled = false;
    this.stats.recomputes++;
    const epoch = ++this.epoch;
    const queue = this.queue;
    const comp = this.comp;
    queue.length = 0;
    comp.length = 0;
    const dl = this.dirtyLinks;
    for (let i = 0; i < dl.length; i++) {
      const l = dl[i] as number;
      if (this.lMark[l] !== epoch && this.lSat[l]) {
        this.lMark[l] = epoch;
        queue.push(l);
      }
    }
    const dc = this.dirtyClasses;
    for (let i = 0; i < dc.length; i++) {
      const c = dc[i] as number;
      if (this.cMark[c] === epoch || !this.cLive[c]) continue;
      if (this.cM[c] === 0) {
        this.cMark[c] = epoch;
        this.freeClass(c);
        continue;
      }
      this.cMark[c] = epoch;
      comp.push(c);
    }
    dl.length = 0;
    dc.length = 0;

    // Grow the component through saturated links, fill, and grow again if the fill
    // saturated an edge link (then classes outside may be affected too).
    let scanned = 0;
    for (;;) {
      this.explore(epoch, scanned);
      scanned = comp.length;
      const grow = this.fill(epoch);
      if (grow < 0) break;
      this.stats.extensions++;
      this.lMark[grow] = epoch;
      queue.push(grow);
    }
    this.stats.classesVisited += comp.length;
    this.apply();
    const pd = this.peakDirty;
    for (let i = 0; i < pd.length; i++) {
      const l = pd[i] as number;
      this.lPeakMark[l] = 0;
      if (this.lUnsafe[l]) continue;
      const u = this.linkUsage(l);
      if (u > (this.lPeak[l] as number)) this.lPeak[l] = u;
    }
    pd.length = 0;
  }

  /** BFS: every class on a queued link joins; every saturated link of a member joins the queue. */
  private explore(epoch: number, from: number): void {
    const queue = this.queue;
    const comp = this.comp;
    let qi = 0;
    let ci = from;
    while (qi < queue.length || ci < comp.length) {
      while (qi < queue.length) {
        const list = this.lClasses[queue[qi++] as number] as number[];
        for (let i = 0; i < list.length; i++) {
          const c = list[i] as number;
          if (this.cMark[c] !== epoch) {
            this.cMark[c] = epoch;
            comp.push(c);
          }
        }
      }
      while (ci < comp.length) {
        const cl = this.cLinks[comp[ci++] as number] as number[];
        for (let j = 0; j < cl.length; j++) {
          const l = cl[j] as number;
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
   * Progressive filling over the component's classes, each weighted by its member count.
   * Component links (mark === epoch) carry only component classes; edge links enter with
   * capacity minus what outside classes use. New rates land in cNew. Returns an edge link
   * the fill saturated (to grow into), or -1.
   */
  private fill(epoch: number): number {
    const { locRem, locN, locVer, locLink, comp, compLinks, edgeLinks, capped } = this;
    compLinks.length = 0;
    edgeLinks.length = 0;
    capped.length = 0;
    let nLoc = 0;
    for (let i = 0; i < comp.length; i++) {
      const c = comp[i] as number;
      const m = this.cM[c] as number;
      const cl = this.cLinks[c] as number[];
      for (let j = 0; j < cl.length; j++) {
        const l = cl[j] as number;
        let k: number;
        const inComp = this.lMark[l] === epoch;
        if (this.lLocEpoch[l] === epoch) k = this.lLoc[l] as number;
        else {
          this.lLocEpoch[l] = epoch;
          k = nLoc++;
          this.lLoc[l] = k;
          locLink[k] = l;
          if (inComp) {
            compLinks.push(l);
            locRem[k] = this.lCap[l] as number;
          } else {
            edgeLinks.push(l);
            locRem[k] = (this.lCap[l] as number) - (this.lUsage[l] as number);
          }
          locN[k] = 0;
          locVer[k] = 0;
        }
        locN[k] = (locN[k] as number) + m;
        // Edge links: give back what this component class currently uses.
        if (!inComp) locRem[k] = (locRem[k] as number) + m * (this.cRate[c] as number);
      }
      this.cNew[c] = -1;
      if ((this.cCap[c] as number) < Number.POSITIVE_INFINITY) capped.push(c);
    }
    const heap = this.heap;
    heap.clear();
    for (let k = 0; k < nLoc; k++) {
      const rem = Math.max(0, locRem[k] as number);
      locRem[k] = rem;
      heap.push(rem / (locN[k] as number), k, 0);
    }
    // Classes with a finite cap, smallest first (ties by id).
    const cCap = this.cCap;
    capped.sort((a, b) => (cCap[a] as number) - (cCap[b] as number) || a - b);
    let ci = 0;
    let unfrozen = comp.length;
    let grow = -1;
    while (unfrozen > 0) {
      while (heap.size > 0) {
        const top = heap.topItem();
        if (locVer[top] === heap.topVersion() && locN[top] !== 0) break;
        heap.pop();
      }
      while (ci < capped.length && (this.cNew[capped[ci] as number] as number) >= 0) ci++;
      const linkLevel = heap.topKey();
      const capClass = ci < capped.length ? (capped[ci] as number) : -1;
      const capLevel = capClass >= 0 ? (cCap[capClass] as number) : Number.POSITIVE_INFINITY;
      if (capClass < 0 && heap.size === 0) throw new Error('flow with no finite constraint');
      if (capLevel <= linkLevel) {
        this.freeze(capClass, capLevel);
        unfrozen--;
        continue;
      }
      const k = heap.topItem();
      heap.pop();
      const l = locLink[k] as number;
      if (this.lMark[l] !== epoch) {
        // An edge link filled up: outside classes on it may now have to give way. Stop
        // here; the caller grows the component and fills again.
        grow = l;
        break;
      }
      const list = this.lClasses[l] as number[];
      for (let i = 0; i < list.length; i++) {
        const c = list[i] as number;
        if (this.cMark[c] === epoch && (this.cNew[c] as number) < 0) {
          this.freeze(c, linkLevel);
          unfrozen--;
        }
      }
    }
    if (grow >= 0) {
      // Invalidate local indices so the next fill starts clean.
      for (let k = 0; k < nLoc; k++) this.lLocEpoch[locLink[k] as number] = 0;
    }
    return grow;
  }

  /** Fixes class c at `rate` and takes its members out of their links' shares. */
  private freeze(c: number, rate: number): void {
    this.cNew[c] = rate;
    const m = this.cM[c] as number;
    const cl = this.cLinks[c] as number[];
    const { locRem, locN, locVer } = this;
    for (let j = 0; j < cl.length; j++) {
      const k = this.lLoc[cl[j] as number] as number;
      const left = (locN[k] as number) - m;
      locN[k] = left;
      const rem = Math.max(0, (locRem[k] as number) - m * rate);
      locRem[k] = rem;
      const ver = (locVer[k] as number) + 1;
      locVer[k] = ver;
      if (left > 0) this.heap.push(rem / left, k, ver);
    }
  }

  /** Commits the fill: settle clocks, move class timers, update usage and peaks. */
  private apply(): void {
    const comp = this.comp;
    for (let i = 0; i < comp.length; i++) {
      const c = comp[i] as number;
      const old = this.cRate[c] as number;
      const next = this.cNew[c] as number;
      const m = this.cM[c] as number;
      this.settle(c);
      this.cRate[c] = next;
      for (let j = 0, cl = this.cLinks[c] as number[]; j < cl.length; j++) {
        const l = cl[j] as number;
        if (this.lMark[l] !== this.epoch) this.lUsage[l] = (this.lUsage[l] as number) + m * (next - old);
      }
      const heap = this.cHeap[c] as number[];
      const timer = this.cTimer[c] as number;
      if (next > 0 && heap.length > 0) {
        const wait = Math.max(0, ((this.fTag[heap[0] as number] as number) - (this.cV[c] as number)) / next);
        this.env.setTimer(timer, wait, Priority.NORMAL);
        this.stats.rescheduled++;
      } else this.env.clearTimer(timer);
    }
    // Component links carry only component classes: recompute usage exactly (no drift).
    const compLinks = this.compLinks;
    for (let i = 0; i < compLinks.length; i++) {
      const l = compLinks[i] as number;
      const list = this.lClasses[l] as number[];
      let u = 0;
      for (let j = 0; j < list.length; j++) {
        const c = list[j] as number;
        u += (this.cM[c] as number) * (this.cRate[c] as number);
      }
      this.lUsage[l] = u;
      this.touchLink(l);
    }
    const edgeLinks = this.edgeLinks;
    for (let i = 0; i < edgeLinks.length; i++) this.touchLink(edgeLinks[i] as number);
  }

  private touchLink(l: number): void {
    const u = this.lUsage[l] as number;
    if (u > (this.lPeak[l] as number)) this.lPeak[l] = u;
    this.lSat[l] = u >= (this.lCap[l] as number) * (1 - EPS) ? 1 : 0;
  }
}
