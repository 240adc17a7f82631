/**
 * The lab machine's own serving, for the lab run's twin (lib/k6/cache-stampede/model.ts): on
 * the shared 2-core box, k6 with N VUs, the front, the registry, storage and the upstream
 * process all take CPU for every HTTP request and every byte through loopback, which the
 * protocol's own times (round trips, bytes at the configured rates: milliseconds) leave out
 * and which are most of a lab pull (seconds at 40 VUs, half a minute at 500).
 *
 * The mechanism: every HTTP request of the run (a VU's ping, token, manifest, blob, data
 * hop; a front's upstream request; the import's writes into the registry; the waiting
 * wave's gate polls) queues FIFO for one of `servers` (the machine's cores, recorded) and
 * holds it for requestS + bytes / bps (both fitted on a hydrated wave, which touches no
 * upstream: on its pull P50/P90 and its payloads' seconds per MB, model.ts). Which requests
 * a blob takes follows the lab's front (simulate.ts, lab.spool): from the front's spool, one
 * 200 with the bytes, until the import has written it; then a 307 and the hop to storage. Alone, a request costs
 * exactly that, so one VU's pull is the protocol's time plus the sum of its requests'; with
 * N VUs they queue, which is what a burst of N measures. FIFO rather than processor sharing:
 * it spreads the pulls' ends over the last round of requests, as the lab's P90/P50 of
 * 1.1-1.2 show, where equal jobs under processor sharing would all end together.
 */
import type { ProcessEnv, SimEvent } from '../../kernel/process';
import { Resource } from '../../kernel/resource';
import type { CacheStampedeParams } from './params';

export interface LabServingCount {
  /** HTTP requests served, and the machine time they held (s). */
  requests: number;
  busyS: number;
}

export class LabServing {
  private readonly servers: Resource;
  readonly count: LabServingCount = { requests: 0, busyS: 0 };

  constructor(
    private readonly env: ProcessEnv,
    private readonly p: CacheStampedeParams['lab'],
  ) {
    this.servers = new Resource(env, p.servers);
  }

  /** Machine time of one request carrying `bytes`. */
  costS(bytes: number): number {
    return this.p.requestS + (this.p.bps > 0 ? bytes / this.p.bps : 0);
  }

  /** One HTTP request carrying `bytes`: succeeds once a server has handled it. */
  serve(bytes: number): SimEvent<undefined> {
    const ev = this.env.event<undefined>();
    const req = this.servers.request();
    req.addCallback(() => {
      const s = this.costS(bytes);
      this.count.requests++;
      this.count.busyS += s;
      this.env.schedule(s, () => {
        this.servers.release(req);
        ev.succeed(undefined);
      });
    });
    return ev;
  }
}
