/**
 * The lab machine's own serving, for the lab run's twin (lib/k6/cache-stampede/model.ts): on
 * the shared 2-core box, k6 with N VUs and the lab's processes take CPU for every HTTP
 * request and every byte through loopback, which the protocol's own times (round trips,
 * bytes at the configured rates: milliseconds) leave out and which are most of a lab pull
 * (seconds at 40 VUs, tens of seconds at 500).
 *
 * The mechanism: every request queues at the process that serves it in the lab, with that
 * process's own cost, as the lab is built (lib/lab/supervisor.ts):
 * - the supervisor, one Node process with one event loop (FIFO, one server): the region's
 *   front (the 401 challenge, the token, each manifest and blob request's handling, and what
 *   it answers itself from its spool or memory) and the upstream's front, lab.requestS per
 *   request; the storage backends, lab.storageS per hop after a 307 (a VU's first request
 *   to that backend: a new connection, the blob's file opened and streamed);
 * - the region's registry, its own process (docker-registry, Go: as many threads as the
 *   machine's lab.servers cores, modelled as processor sharing, each request at most one
 *   core): every manifest or blob request through the front asks it first whether the
 *   object is here (lib/lab/cache/serve.ts localHead), then, when it is, the front proxies
 *   the manifest GET to it or HEADs the blob before the 307 (lib/lab/front/server.ts
 *   blobRedirect). The front reaches it through a keep-alive pool of REGISTRY_POOL
 *   connections (FIFO beyond them); the hydrator's writes (per blob HEAD, HEAD, POST, PUT,
 *   then the manifest PUT) use their own connections and wait for no pool. Each request is
 *   lab.registryS of work;
 * - the upstream's registry, one more docker-registry process behind the upstream's front:
 *   lab.registryS per request, its own cores;
 * - k6, the receiver of every payload: it reads each body and sha256-hashes each blob
 *   (verifyDigest), bytes / lab.bps of work per payload, processor-shared on the machine's
 *   lab.servers cores with every other VU receiving (Go), at most one core each: a VU's
 *   bytes cost it in proportion to the VUs receiving with it, not behind a FIFO of all
 *   the run's bytes (lab.bps 0: bytes free);
 * - the wave gate, served by the run's own process (lib/k6/cache-stampede/gate.ts): its
 *   polls queue there (one server, lab.requestS), not at the lab's front or registry.
 * The costs are fitted on the hydrated wave (model.ts), which the per-step times identify:
 * the token flow is the front's alone, the manifest and the 307 wait for the registry, the
 * config blob's hop (90 B) is the storage backend's, the payloads' time over their sizes is
 * k6's per byte.
 * Alone, a request costs exactly its service, so one VU's pull is the protocol's time plus
 * the sum of its requests'; with N VUs they queue, which is what a burst of N measures.
 */
import type { ProcessEnv, SimEvent } from '../../kernel/process';
import { Resource } from '../../kernel/resource';
import { FlowNetwork } from '../../net/flow-network';
import type { CacheStampedeParams } from './params';

/** The front's keep-alive pool to its registry (lib/lab/front/server.ts: `connections: 256`). */
export const REGISTRY_POOL = 256;
/** The supervisor is one Node process: one event loop serves its requests one at a time. */
const SUPERVISOR_LOOPS = 1;

/** Requests one process served and the time they held it (s; for the registries, core-seconds of work). */
export interface ProcessCount {
  requests: number;
  busyS: number;
}

export interface LabServingCount extends ProcessCount {
  /** By process: the supervisor (front, storage, the upstream's front), the region's registry, the upstream's, k6 receiving, the gate. */
  supervisor: ProcessCount;
  k6: ProcessCount;
  registry: ProcessCount;
  upstreamRegistry: ProcessCount;
  gate: ProcessCount;
}

const zero = (): ProcessCount => ({ requests: 0, busyS: 0 });

export class LabServing {
  private readonly supervisor: Resource;
  private readonly gateLoop: Resource;
  private readonly pool: Resource;
  private readonly net: FlowNetwork;
  private readonly registryLink: number;
  private readonly upstreamLink: number;
  private readonly k6Link: number;
  readonly count: LabServingCount = {
    requests: 0,
    busyS: 0,
    supervisor: zero(),
    k6: zero(),
    registry: zero(),
    upstreamRegistry: zero(),
    gate: zero(),
  };

  constructor(
    private readonly env: ProcessEnv,
    private readonly p: CacheStampedeParams['lab'],
  ) {
    this.supervisor = new Resource(env, SUPERVISOR_LOOPS);
    this.gateLoop = new Resource(env, 1);
    this.pool = new Resource(env, REGISTRY_POOL);
    this.net = new FlowNetwork(env);
    this.registryLink = this.net.addLink(p.servers);
    this.upstreamLink = this.net.addLink(p.servers);
    this.k6Link = this.net.addLink(p.servers);
  }

  private tally(c: ProcessCount, s: number, request: boolean): void {
    if (request) {
      c.requests++;
      this.count.requests++;
    }
    c.busyS += s;
    this.count.busyS += s;
  }

  /** FIFO on `r` for `s` seconds. */
  private hold(r: Resource, c: ProcessCount, s: number, request: boolean): SimEvent<undefined> {
    const ev = this.env.event<undefined>();
    const req = r.request();
    req.addCallback(() => {
      this.tally(c, s, request);
      this.env.schedule(s, () => {
        r.release(req);
        ev.succeed(undefined);
      });
    });
    return ev;
  }

  /** One HTTP request the supervisor serves (front, storage backend, upstream front). */
  serve(): SimEvent<undefined> {
    return this.hold(this.supervisor, this.count.supervisor, this.p.requestS, true);
  }

  /** One storage hop, served by a storage backend in the supervisor. */
  storage(): SimEvent<undefined> {
    return this.hold(this.supervisor, this.count.supervisor, this.p.storageS, true);
  }

  /** k6 reading (and hashing) one payload of `bytes`: bytes / lab.bps of work on the cores it shares. */
  receive(bytes: number): SimEvent<undefined> {
    const s = this.p.bps > 0 ? bytes / this.p.bps : 0;
    return this.work(this.k6Link, this.count.k6, s, false);
  }

  /** One request of the wave gate (the run's own process). */
  gate(): SimEvent<undefined> {
    return this.hold(this.gateLoop, this.count.gate, this.p.requestS, true);
  }

  /** `s` core-seconds of work on a process's cores, shared by every job in it (at most one core each). */
  private work(link: number, c: ProcessCount, s: number, request = true): SimEvent<undefined> {
    const ev = this.env.event<undefined>();
    this.tally(c, s, request);
    if (s > 0) this.net.startFlow([link], s, () => ev.succeed(undefined), 1);
    else this.env.schedule(0, () => ev.succeed(undefined));
    return ev;
  }

  /**
   * One request to the region's registry: from the front through its pool (`viaPool`), or
   * from the hydrator on its own connections.
   */
  registry(viaPool = true): SimEvent<undefined> {
    if (!viaPool) return this.work(this.registryLink, this.count.registry, this.p.registryS);
    const ev = this.env.event<undefined>();
    const slot = this.pool.request();
    slot.addCallback(() => {
      const w = this.work(this.registryLink, this.count.registry, this.p.registryS);
      w.addCallback(() => {
        this.pool.release(slot);
        ev.succeed(undefined);
      });
    });
    return ev;
  }

  /** One request to the upstream's registry (behind the upstream's front). */
  upstreamRegistry(): SimEvent<undefined> {
    return this.work(this.upstreamLink, this.count.upstreamRegistry, this.p.registryS);
  }
}
