/**
 * Requests a client marked with an `x-stampede-trace` header, as a region's front saw them:
 * when each arrived and when its answer was finished, on the lab's clock (the one the
 * replicator stamps its landings with), and the status it answered. The push-pull race marks
 * its pullers' manifest GETs, so "did this pull reach the replica before the tag landed
 * there?" is read off one clock instead of pairing k6's send instant with the lab's landing.
 * Only marked requests are kept, in a bounded ring: other traffic costs a header lookup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../../clock';
import { TRACE_HEADER } from '../../oci/trace-header';
import { Ring } from '../replication/status';

export { TRACE_HEADER };

/** What a trace id may be: short, printable, no separators a log or a query would split on. */
const TRACE_ID = /^[A-Za-z0-9._:/-]{1,128}$/;
const CAP = 4096;

export interface TracedRequest {
  /** The header's value (the client's id for this request). */
  id: string;
  /** The front's region. */
  region: string;
  method: string;
  /** Path as the client sent it, without the query. */
  path: string;
  /** The request reached the front (lab clock, ms epoch). */
  arrivedMs: number;
  /** The front handed it to the registry (lab clock, ms epoch; null: it never did, e.g. refused at the front). */
  forwardedMs: number | null;
  /** The front finished its answer (lab clock, ms epoch); the registry read what it answered before this. */
  answeredMs: number;
  /** Status answered; 0 when the connection closed before an answer was finished. */
  status: number;
}

export class TraceLog {
  private readonly ring: Ring<TracedRequest>;
  private readonly pending = new WeakMap<IncomingMessage, { forwardedMs: number | null }>();
  constructor(
    private readonly region: string,
    private readonly clock: Clock = systemClock,
    cap = CAP,
  ) {
    this.ring = new Ring(cap);
  }

  /** Call as the request arrives: a marked request is recorded once its answer is finished (or abandoned). */
  observe(req: IncomingMessage, res: ServerResponse): void {
    const id = req.headers[TRACE_HEADER];
    if (typeof id !== 'string' || !TRACE_ID.test(id)) return;
    const arrivedMs = this.clock.now();
    const raw = req.url ?? '/';
    const qi = raw.indexOf('?');
    const mark = { forwardedMs: null as number | null };
    this.pending.set(req, mark);
    let done = false;
    const end = (finished: boolean) => {
      if (done) return;
      done = true;
      this.ring.push({
        id,
        region: this.region,
        method: req.method ?? 'GET',
        path: qi < 0 ? raw : raw.slice(0, qi),
        arrivedMs,
        forwardedMs: mark.forwardedMs,
        answeredMs: this.clock.now(),
        status: finished ? res.statusCode : 0,
      });
    };
    res.once('finish', () => end(true));
    res.once('close', () => end(res.writableFinished));
  }

  /** Call as the front hands a request to the registry: the registry cannot have read anything for it before. */
  forwarded(req: IncomingMessage): void {
    const mark = this.pending.get(req);
    if (mark && mark.forwardedMs === null) mark.forwardedMs = this.clock.now();
  }

  /** Records of requests that arrived at or after `sinceMs`, oldest first. */
  since(sinceMs: number): TracedRequest[] {
    return this.ring.toArray().filter((t) => t.arrivedMs >= sinceMs);
  }
}
