/**
 * One configuration of `sim cache-stampede`: N nodes pull an image that exists only
 * upstream, through a pull-through cache (the ACR Artifact Cache post's "serve now,
 * hydrate for later"). Mechanisms, each in one place below:
 * - a miss is served through from the upstream; a manifest it served queues an async import
 *   event for the image, carrying that manifest; events for the same image merge into one
 *   job (in every coalescing mode, as the lab's hydrator and ACR's one import event per
 *   image); jobs run on `cache.hydrationWorkers` workers and write what they fetch downstream;
 * - coalescing: off (every miss is its own upstream fetch, kept by nobody), per-front or
 *   global (concurrent misses of one object share one fetch, written through into the cache;
 *   import jobs join a fetch in flight too);
 * - the upstream: latency, per-stream and shared bandwidth, faults, and a token bucket per
 *   client or global that answers 429 with Retry-After (token-bucket.ts);
 * - a breaker per upstream client (breaker.ts);
 * - nodes: manifest, then layers `parallelLayers` at a time; a failed request is retried
 *   after the kubelet-like back-off (../backoff.ts), at least its Retry-After;
 * - pre-warm: node 0 alone, the fleet once the hydration webhook arrives.
 * Pure: parameters, overrides and a seed in, records and counts out.
 */

import { ProcessEnv, type ProcessGenerator, type SimEvent } from '../../kernel/process';
import { Resource } from '../../kernel/resource';
import { createRng, type Rng } from '../../kernel/rng';
import { FlowNetwork } from '../../net/flow-network';
import { backoffDelay } from '../backoff';
import { type Admit, Breaker } from './breaker';
import { CODES } from './codes';
import { LabServing, type LabServingCount } from './lab-serving';
import type { CacheStampedeParams, Coalescing } from './params';
import { TokenBucket } from './token-bucket';

/** The switches a strategy sets over the parameters. */
export interface Design {
  coalescing: Coalescing;
  breaker: boolean;
  prewarm: boolean;
}

export interface Outcome {
  ok: boolean;
  code?: string;
  retryAfterS?: number;
}

type Kind = 'manifest' | 'head' | 'blob';
type Path = 'serve' | 'hydrate';

export interface PullRecord {
  kind: 'pull';
  strategy: string;
  node: number;
  front: number;
  startS: number;
  pullS: number | null;
  ok: boolean;
  code: string | null;
  failedRequests: number;
}

export interface ObjectCount {
  object: string;
  bytes: number;
  /** GETs that reached the upstream (fetches), HEADs apart. */
  requests: number;
  /** Of those, sent for a node (the serving path) and for an import job. */
  serve: number;
  hydrate: number;
  heads: number;
  throttled: number;
}

export interface UpstreamBin {
  kind: 'upstream-bin';
  strategy: string;
  t: number;
  ok: number;
  throttled: number;
  failed: number;
  /** Requests a breaker refused at the front (never reached the upstream). */
  rejected: number;
}

export interface BreakerCount {
  client: string;
  trips: number;
  probes: number;
  rejected: number;
  firstTripS: number | null;
  /** Requests of this client that reached the upstream after it first opened. */
  sentAfterTrip: number;
}

export interface RunResult {
  pulls: PullRecord[];
  upstream: {
    requests: { manifest: number; head: number; blob: number; total: number };
    byPath: { serve: number; hydrate: number };
    bytes: number;
    throttled: number;
    failed: number;
    byObject: ObjectCount[];
  };
  errorsByCode: Record<string, number>;
  hydratedAtS: number | null;
  breakers: BreakerCount[];
  imports: { queued: number; run: number };
  servedFromCache: number;
  staleServed: number;
  joined: number;
  fleetReleasedS: number;
  bins: UpstreamBin[];
  events: number;
  /** With lab.enabled: the requests the lab machine served and the time they held it. */
  lab: LabServingCount | null;
  /**
   * With lab.enabled: every successful client request as k6 times it (its `step` tag), with
   * the bytes it carried: what the lab twin fits per-request and per-byte cost on.
   */
  steps: StepTime[] | null;
}

/**
 * One client request as k6 records it: `ping` (the 401 challenge), `token`, `manifest`,
 * `blob` (a 307 to storage, or a 200 with the bytes when the front serves them itself) and
 * `blob-data` (the hop to storage); `s` from its sending to its last byte.
 */
export interface StepTime {
  step: 'ping' | 'token' | 'manifest' | 'blob' | 'blob-data';
  bytes: number;
  s: number;
}

/** Effectively unlimited bandwidth for a link the flow network needs a finite capacity for. */
const UNLIMITED = 1e15;

interface PullState {
  failures: number;
  code: string | null;
}

class CacheStampede {
  private readonly env = new ProcessEnv();
  private readonly net = new FlowNetwork(this.env);
  private readonly upLink: number;
  private readonly cacheLink: number;
  private readonly sizes: number[];
  private readonly present: boolean[];
  private blobsPresent = 0;
  private manifestHeld = false;
  /**
   * With lab serving: the blobs the import has written into the registry, and its manifest
   * PUT. Until a blob is written the lab's front serves it itself from its spool (a 200 with
   * the bytes, lib/lab/cache/serve.ts); once written, by the 307 to storage.
   */
  private readonly written: boolean[];
  private manifestWritten = false;
  /** The lab serving with the import's writes and the front's spool (lab.spool; off: the ablation). */
  private readonly writes: LabServing | null;
  /** Coalescing domains holding a fetched manifest that is not written downstream yet. */
  private readonly heldIn = new Set<string>();
  private readonly inflight = new Map<string, SimEvent<Outcome>>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly breakerOf = new Map<string, { b: Breaker; sentAfterTrip: number }>();
  private readonly importPending = new Set<string>();
  private readonly workers: Resource;
  private readonly hydrated: SimEvent<undefined>;
  private readonly binMap = new Map<number, UpstreamBin>();
  private readonly r: RunResult;
  /** The lab machine's serving (lab-serving.ts), or null: the protocol's time alone. */
  private readonly lab: LabServing | null;

  constructor(
    private readonly p: CacheStampedeParams,
    private readonly d: Design,
    private readonly strategy: string,
    private readonly spread: readonly number[],
    private readonly rng: Rng,
  ) {
    this.upLink = this.net.addLink(p.upstream.aggregateBps || UNLIMITED);
    this.cacheLink = this.net.addLink(p.cache.bps || UNLIMITED);
    this.sizes = [p.image.manifestBytes, ...p.image.layers];
    this.present = this.sizes.map(() => false);
    this.written = this.sizes.map(() => false);
    this.workers = new Resource(this.env, p.cache.hydrationWorkers);
    this.hydrated = this.env.event<undefined>();
    this.r = {
      pulls: [],
      upstream: {
        requests: { manifest: 0, head: 0, blob: 0, total: 0 },
        byPath: { serve: 0, hydrate: 0 },
        bytes: 0,
        throttled: 0,
        failed: 0,
        byObject: this.sizes.map((bytes, i) => ({
          object: i === 0 ? 'manifest' : `layer ${i - 1}`,
          bytes,
          requests: 0,
          serve: 0,
          hydrate: 0,
          heads: 0,
          throttled: 0,
        })),
      },
      errorsByCode: {},
      hydratedAtS: null,
      breakers: [],
      imports: { queued: 0, run: 0 },
      servedFromCache: 0,
      staleServed: 0,
      joined: 0,
      fleetReleasedS: 0,
      bins: [],
      events: 0,
      lab: null,
      steps: p.lab.enabled ? [] : null,
    };
    this.lab = p.lab.enabled ? new LabServing(this.env, p.lab) : null;
    this.writes = p.lab.spool ? this.lab : null;
    if (p.image.hydrated) {
      // A hydrated wave: every object is downstream before the first node starts.
      this.present.fill(true);
      this.written.fill(true);
      this.manifestWritten = true;
      this.blobsPresent = this.sizes.length - 1;
      this.manifestHeld = true;
      this.r.hydratedAtS = 0;
      this.hydrated.succeed(undefined);
    }
  }

  run(): RunResult {
    const n = this.p.nodes;
    const started = new Set<number>();
    const start = (node: number, delay: number) => {
      started.add(node);
      this.env.process(this.pull(node, delay));
    };
    if (this.d.prewarm) {
      start(0, 0);
      const env = this.env;
      const self = this;
      env.process(
        (function* release(): ProcessGenerator {
          yield env.anyOf([self.hydrated, env.timeout(self.p.prewarm.timeoutS)]);
          if (self.hydrated.triggered) yield env.timeout(self.p.prewarm.webhookDelayS);
          self.r.fleetReleasedS = env.now;
          for (let i = 1; i < n; i++) start(i, self.spread[i] as number);
        })(),
      );
    } else for (let i = 0; i < n; i++) start(i, this.spread[i] as number);
    if (this.lab && this.p.lab.pollers > 0) this.env.process(this.gatePolls(this.lab));

    this.env.run(this.p.run.untilS);

    const done = new Set(this.r.pulls.map((x) => x.node));
    for (let i = 0; i < n; i++)
      if (!done.has(i)) {
        this.r.errorsByCode[CODES.incomplete] = (this.r.errorsByCode[CODES.incomplete] ?? 0) + 1;
        this.r.pulls.push({
          kind: 'pull',
          strategy: this.strategy,
          node: i,
          front: i % this.p.cache.fronts,
          startS: started.has(i) ? Number.NaN : this.p.run.untilS,
          pullS: null,
          ok: false,
          code: CODES.incomplete,
          failedRequests: 0,
        });
      }
    this.r.pulls.sort((a, b) => a.node - b.node);
    for (const [client, { b, sentAfterTrip }] of this.breakerOf)
      this.r.breakers.push({
        client,
        trips: b.trips,
        probes: b.probes,
        rejected: b.rejected,
        firstTripS: b.firstTripS,
        sentAfterTrip,
      });
    this.r.bins = [...this.binMap.values()].sort((a, b) => a.t - b.t);
    this.r.events = this.env.processed;
    this.r.lab = this.lab ? { ...this.lab.count } : null;
    return this.r;
  }

  /**
   * The lab's waiting wave: `pollers` VUs each long-poll the wave gate, one request at the
   * start and one every pollS (gate.ts), on the same machine, until every node has ended.
   */
  private *gatePolls(lab: LabServing): ProcessGenerator {
    const { pollers, pollS } = this.p.lab;
    while (this.r.pulls.length < this.p.nodes) {
      for (let k = 0; k < pollers; k++) lab.serve(0);
      yield this.env.timeout(pollS);
    }
  }

  // --- nodes -------------------------------------------------------------------------

  private step(step: StepTime['step'], bytes: number, s: number): void {
    this.r.steps?.push({ step, bytes, s });
  }

  private *pull(node: number, delay: number): ProcessGenerator {
    const env = this.env;
    if (delay > 0) yield env.timeout(delay);
    const startS = env.now;
    const front = node % this.p.cache.fronts;
    const st: PullState = { failures: 0, code: null };
    if (this.lab) {
      // The token flow before the manifest: GET /v2/ (the 401 challenge), then the token.
      yield this.lab.serve(0);
      this.step('ping', 0, env.now - startS);
      const t = env.now;
      yield this.lab.serve(0);
      this.step('token', 0, env.now - t);
    }
    if (yield* this.get(front, 0, st)) {
      let next = 1;
      const self = this;
      const last = this.sizes.length - 1;
      const worker = function* (): ProcessGenerator {
        while (next <= last && st.code === null) {
          const obj = next++;
          if (!(yield* self.get(front, obj, st))) return;
        }
      };
      const ws = Array.from({ length: Math.min(this.p.client.parallelLayers, last) }, () =>
        env.process(worker()),
      );
      yield env.allOf(ws);
    }
    this.r.pulls.push({
      kind: 'pull',
      strategy: this.strategy,
      node,
      front,
      startS,
      pullS: st.code === null ? env.now - startS : null,
      ok: st.code === null,
      code: st.code,
      failedRequests: st.failures,
    });
    // With the lab's wave gate, a node that ends POSTs /done (after its pull time is taken).
    if (this.lab && this.p.lab.pollers > 0) this.lab.serve(0);
  }

  /** One object for a node, retried after the back-off; false once the node gives up. */
  private *get(front: number, obj: number, st: PullState): Generator<SimEvent<unknown>, boolean, unknown> {
    const c = this.p.client;
    for (;;) {
      // Downstream, a blob is a 307 to storage and a second request there for the bytes (in
      // the lab's registry once the import has written it; until then the front's spool).
      const local = obj > 0 && (this.writes ? this.written[obj] : this.present[obj]) === true;
      const t0 = this.env.now;
      const o = (yield this.request(front, obj)) as Outcome;
      if (this.lab) {
        const bytes = o.ok ? (this.sizes[obj] as number) : 0;
        const t1 = this.env.now;
        if (local && o.ok) {
          // The 307 is the front's alone; the protocol's time (the cache's latency and
          // stream) goes with the hop that carries the bytes.
          yield this.lab.serve(0);
          const t2 = this.env.now;
          this.step('blob', 0, t2 - t1);
          yield this.lab.serve(bytes);
          this.step('blob-data', bytes, t1 - t0 + (this.env.now - t2));
        } else {
          yield this.lab.serve(bytes);
          if (o.ok) this.step(obj === 0 ? 'manifest' : 'blob', bytes, this.env.now - t0);
        }
      }
      if (o.ok) return true;
      const code = o.code ?? 'UNKNOWN';
      this.r.errorsByCode[code] = (this.r.errorsByCode[code] ?? 0) + 1;
      st.failures++;
      if (st.failures >= c.maxAttempts) {
        st.code = code;
        return false;
      }
      let wait = backoffDelay(st.failures - 1, c.retryBaseS, c.retryCapS, c.retryJitter, this.rng);
      if (c.honorRetryAfter && o.retryAfterS !== undefined) wait = Math.max(wait, o.retryAfterS);
      yield this.env.timeout(wait);
    }
  }

  // --- the front ---------------------------------------------------------------------

  /** A node's request to its front: from the cache when present, else through from the upstream. */
  private request(front: number, obj: number): SimEvent<Outcome> {
    if (this.present[obj]) {
      if (obj === 0 && this.p.image.reference === 'tag') {
        // A tag can move: check freshness upstream, but serve what is downstream whatever
        // the upstream says (the post: an upstream failure must not block hydrated content).
        const ev = this.env.event<Outcome>();
        const head = this.upstreamCall(`front-${front}`, 0, 'head', 'serve');
        head.addCallback(() => {
          if (!(head.value as Outcome).ok) this.r.staleServed++;
          const c = this.fromCache(0);
          c.addCallback(() => ev.succeed(c.value));
        });
        return ev;
      }
      return this.fromCache(obj);
    }
    // With coalescing the front keeps a manifest it fetched and serves it again while the
    // blobs are still being hydrated (the manifest is written last).
    if (obj === 0 && this.d.coalescing !== 'off' && this.heldIn.has(this.key(front, 0))) {
      this.queueImport(front);
      return this.fromCache(0);
    }
    const up = this.fetch(`front-${front}`, front, obj, 'serve');
    // Only a manifest the front could serve queues an import (the lab's front enqueues it with
    // the manifest's bytes; a throttled or failed miss has no digest to import).
    if (obj === 0)
      up.addCallback(() => {
        if ((up.value as Outcome).ok) this.queueImport(front);
      });
    return up;
  }

  private fromCache(obj: number): SimEvent<Outcome> {
    const ev = this.env.event<Outcome>();
    this.r.servedFromCache++;
    const cap = this.p.cache.streamBps || Number.POSITIVE_INFINITY;
    this.env.schedule(this.p.cache.latencyMs / 1000, () =>
      this.net.startFlow([this.cacheLink], this.sizes[obj] as number, () => ev.succeed({ ok: true }), cap),
    );
    return ev;
  }

  /**
   * An upstream fetch of one object on behalf of `who` (a front or the importer). With
   * coalescing, a fetch of the same object in flight in the same domain (the front, or
   * everywhere) is joined instead, and a successful fetch is written through downstream.
   */
  private fetch(who: string, front: number, obj: number, path: Path): SimEvent<Outcome> {
    const kind: Kind = obj === 0 ? 'manifest' : 'blob';
    if (this.d.coalescing === 'off') {
      const up = this.upstreamCall(who, obj, kind, path);
      // A naive proxy keeps nothing it streams through; only import jobs write.
      if (path === 'hydrate') up.addCallback(() => (up.value as Outcome).ok && this.markPresent(obj));
      return up;
    }
    const key = this.key(front, obj);
    const shared = this.inflight.get(key);
    if (shared) {
      this.r.joined++;
      return this.join(shared, obj);
    }
    const up = this.upstreamCall(who, obj, kind, path);
    this.inflight.set(key, up);
    // Added before any waiter's: the object is present by the time they resume.
    up.addCallback(() => {
      this.inflight.delete(key);
      if ((up.value as Outcome).ok) {
        if (obj === 0) this.heldIn.add(key);
        this.markPresent(obj);
      }
    });
    return up;
  }

  /** The coalescing domain of an object requested through `front`. */
  private key(front: number, obj: number): string {
    return this.d.coalescing === 'global' ? `${obj}` : `${front}:${obj}`;
  }

  /**
   * A late joiner of a fetch in flight: the front tees the stream, so it gets what has
   * arrived so far at the cache's per-stream rate and the rest as it arrives; it finishes at
   * the fetch's end, or after a whole transfer at that rate from its joining, whichever is
   * later.
   */
  private join(shared: SimEvent<Outcome>, obj: number): SimEvent<Outcome> {
    const ev = this.env.event<Outcome>();
    const ready =
      this.env.now + (this.sizes[obj] as number) / (this.p.cache.streamBps || Number.POSITIVE_INFINITY);
    shared.addCallback(() => {
      const o = shared.value as Outcome;
      if (!o.ok) return void ev.succeed(o);
      const wait = ready - this.env.now;
      if (wait > 0) this.env.schedule(wait, () => ev.succeed(o));
      else ev.succeed(o);
    });
    return ev;
  }

  /**
   * Writes a fetched object downstream. Blobs are present at once; a manifest only once
   * every blob it references is (a registry refuses a manifest whose blobs it lacks, so an
   * import writes blobs first): until then the fetched manifest is held, not served.
   */
  private markPresent(obj: number): void {
    if (obj === 0) this.manifestHeld = true;
    else if (!this.present[obj]) {
      this.present[obj] = true;
      this.blobsPresent++;
    }
    this.checkHydrated();
  }

  /** The image is hydrated once its manifest is held and every blob it references is written. */
  private checkHydrated(): void {
    // With lab serving the image is hydrated when the import's manifest PUT is done.
    if (
      this.manifestHeld &&
      !this.present[0] &&
      this.blobsPresent === this.sizes.length - 1 &&
      (!this.writes || this.manifestWritten)
    ) {
      this.present[0] = true;
      this.r.hydratedAtS = this.env.now;
      this.hydrated.succeed(undefined);
    }
  }

  /** What an import still has to fetch: a held manifest is not fetched again. */
  private needs(obj: number): boolean {
    return obj === 0 ? !this.manifestHeld : !this.present[obj];
  }

  // --- hydration ---------------------------------------------------------------------

  /**
   * A served manifest queues an import event for the image, carrying the manifest (so an
   * import never fetches it again: `HydrationJob.manifest` in lib/lab/cache/hydrator.ts).
   * Events for the same image merge: one job per front (per region with `global`) is queued
   * or running at a time, whatever the coalescing mode; a later event queues a new job only
   * once that one has ended, and its workers skip what is already downstream. (Coalescing
   * decides how misses share upstream fetches, not how many imports run: the lab's hydrator
   * keys its jobs by image in every mode, and ACR queues one import event per image.)
   */
  private queueImport(front: number): void {
    if (this.present[0]) return;
    this.manifestHeld = true;
    this.checkHydrated();
    const key = this.d.coalescing === 'global' ? 'all' : `${front}`;
    if (this.importPending.has(key)) return;
    this.importPending.add(key);
    this.r.imports.queued++;
    this.env.process(this.importJob(front, key));
  }

  private *importJob(front: number, key: string): ProcessGenerator {
    const env = this.env;
    yield env.timeout(this.p.cache.dispatchS);
    const req = this.workers.request();
    yield req;
    // With lab serving every blob not yet in the registry is written, from the spool when the
    // front holds it (the lab's hydrator reads the spool first).
    const todo = this.sizes
      .map((_, i) => i)
      .filter((i) => (this.writes ? i > 0 && !this.written[i] : this.needs(i)));
    if (todo.length > 0) {
      this.r.imports.run++;
      yield env.allOf(todo.map((obj) => env.process(this.importObject(front, obj))));
    }
    if (this.writes && !this.manifestWritten && this.written.every((w, i) => i === 0 || w)) {
      // The manifest last (a registry refuses one whose blobs it lacks).
      yield this.writes.serve(this.sizes[0] as number);
      this.manifestWritten = true;
      this.checkHydrated();
    }
    this.workers.release(req);
    this.importPending.delete(key);
  }

  private *importObject(front: number, obj: number): ProcessGenerator {
    const c = this.p.cache;
    for (let a = 0; a < c.importMaxAttempts; a++) {
      if (!this.needs(obj)) break;
      // The lab's import awaits a fetch in flight whole (its coalescer), no tee.
      const shared =
        this.writes && this.d.coalescing !== 'off' ? this.inflight.get(this.key(front, obj)) : undefined;
      const o = (yield shared ?? this.fetch('importer', front, obj, 'hydrate')) as Outcome;
      if (o.ok) break;
      yield this.env.timeout(Math.max(o.retryAfterS ?? 0, c.importRetryS * 2 ** a));
    }
    if (this.writes && this.present[obj] && !this.written[obj]) {
      // lib/oci/push.ts pushBlob after the hydrator's HEAD: HEAD, POST the upload, PUT the
      // bytes, one after another on the lab machine.
      for (let k = 0; k < 3; k++) yield this.writes.serve(0);
      yield this.writes.serve(this.sizes[obj] as number);
      this.written[obj] = true;
    }
  }

  // --- the upstream ------------------------------------------------------------------

  private faultNow(): CacheStampedeParams['upstream']['fault'] {
    const u = this.p.upstream;
    const t = this.env.now;
    if (t < u.faultStartS || (u.faultEndS > 0 && t >= u.faultEndS)) return 'none';
    return u.fault;
  }

  private bin(field: 'ok' | 'throttled' | 'failed' | 'rejected'): void {
    const i = Math.floor(this.env.now / this.p.run.binS);
    let b = this.binMap.get(i);
    if (!b) {
      b = {
        kind: 'upstream-bin',
        strategy: this.strategy,
        t: i * this.p.run.binS,
        ok: 0,
        throttled: 0,
        failed: 0,
        rejected: 0,
      };
      this.binMap.set(i, b);
    }
    b[field]++;
  }

  /** One request from upstream client `who`; its outcome is decided when it is sent. */
  private upstreamCall(who: string, obj: number, kind: Kind, path: Path): SimEvent<Outcome> {
    const env = this.env;
    const u = this.p.upstream;
    const ev = env.event<Outcome>();
    let br: { b: Breaker; sentAfterTrip: number } | undefined;
    let how: Admit = 'pass';
    if (this.d.breaker) {
      br = this.breakerOf.get(who);
      if (!br) {
        const { failures, windowS, openS } = this.p.breaker;
        br = { b: new Breaker(failures, windowS, openS), sentAfterTrip: 0 };
        this.breakerOf.set(who, br);
      }
      how = br.b.admit(env.now);
      if (how === 'reject') {
        this.bin('rejected');
        return ev.succeed({ ok: false, code: CODES.circuitOpen });
      }
      if (br.b.firstTripS !== null) br.sentAfterTrip++;
    }
    const up = this.r.upstream;
    up.requests[kind]++;
    up.requests.total++;
    up.byPath[path]++;
    const counted = this.r.upstream.byObject[obj] as ObjectCount;
    if (kind === 'head') counted.heads++;
    else {
      counted.requests++;
      counted[path]++;
    }

    const finish = (o: Outcome, bytes = 0) => {
      const done = () => {
        br?.b.record(env.now, how, o.ok);
        ev.succeed(o);
      };
      // The upstream process handles the request on the same lab machine.
      if (this.lab) this.lab.serve(bytes).addCallback(done);
      else done();
    };
    const fault = this.faultNow();
    const slow = fault === 'slow' ? u.slowFactor : 1;
    const latency = (u.latencyMs / 1000) * slow;
    if (fault === 'down' || fault === '5xx') {
      up.failed++;
      this.bin('failed');
      const code = fault === 'down' ? CODES.upstreamDown : CODES.upstreamError;
      env.schedule(latency, () => finish({ ok: false, code }));
      return ev;
    }
    const rl = u.rateLimit;
    if (rl.enabled && (rl.counts === 'all' || kind === 'manifest')) {
      const scope = rl.scope === 'global' ? 'global' : who;
      let bucket = this.buckets.get(scope);
      if (!bucket) {
        bucket = new TokenBucket(rl.burst, rl.perMin);
        this.buckets.set(scope, bucket);
      }
      if (!bucket.take(env.now)) {
        up.throttled++;
        counted.throttled++;
        this.bin('throttled');
        env.schedule(latency, () =>
          finish({ ok: false, code: CODES.throttled, retryAfterS: rl.retryAfterS }),
        );
        return ev;
      }
    }
    this.bin('ok');
    const bytes = kind === 'head' ? 0 : (this.sizes[obj] as number);
    const cap = (u.bps || Number.POSITIVE_INFINITY) / slow;
    env.schedule(latency, () => {
      if (bytes === 0) return finish({ ok: true });
      this.net.startFlow(
        [this.upLink],
        bytes,
        () => {
          up.bytes += bytes;
          finish({ ok: true }, bytes);
        },
        cap,
      );
    });
    return ev;
  }
}

/**
 * Start offsets of the nodes, drawn once per seed so every strategy of a run meets the same
 * arrivals (a paired comparison).
 */
export function arrivalOffsets(p: CacheStampedeParams, rng: Rng): number[] {
  return Array.from({ length: p.nodes }, () => (p.arrivalSpreadS > 0 ? rng.uniform(0, p.arrivalSpreadS) : 0));
}

export function simulateCacheStampede(
  p: CacheStampedeParams,
  design: Design,
  seed: number,
  strategy = 'as-set',
  spread?: readonly number[],
): RunResult {
  const rng = createRng(seed);
  const offsets = spread ?? arrivalOffsets(p, rng.fork(1));
  return new CacheStampede(p, design, strategy, offsets, rng.fork(2)).run();
}
