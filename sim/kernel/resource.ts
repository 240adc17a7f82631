/**
 * A FIFO resource with `capacity` slots (SimPy's Resource): request() returns an event
 * that succeeds when a slot is granted, release() frees it for the longest waiter.
 *
 *   const req = server.request();
 *   yield req;               // queued until a slot is free
 *   yield env.timeout(service);
 *   server.release(req);
 *
 * Releasing a request that was never granted withdraws it from the queue (what a process
 * does when it gives up waiting, e.g. after an interrupt).
 */
import type { Env } from './env';
import { SimEvent } from './process';

export class Request extends SimEvent<Request> {
  /** Set while the request holds a slot. */
  granted = false;
  constructor(
    env: Env,
    readonly resource: Resource,
  ) {
    super(env);
  }
}

export class Resource {
  readonly env: Env;
  readonly capacity: number;
  /** Requests holding a slot. */
  private holders = 0;
  // FIFO of waiting requests: an array with a moving head (compacted when half is dead),
  // so a queue of a million costs no shifting.
  private waiting: Array<Request | null> = [];
  private head = 0;
  private nWaiting = 0;

  constructor(env: Env, capacity = 1) {
    if (!(Number.isInteger(capacity) && capacity >= 1))
      throw new RangeError(`resource capacity must be an integer >= 1, got ${capacity}`);
    this.env = env;
    this.capacity = capacity;
  }

  /** Slots in use. */
  get count(): number {
    return this.holders;
  }
  /** Requests waiting for a slot. */
  get queueLength(): number {
    return this.nWaiting;
  }

  request(): Request {
    const req = new Request(this.env, this);
    if (this.holders < this.capacity && this.nWaiting === 0) this.grant(req);
    else {
      this.waiting.push(req);
      this.nWaiting++;
    }
    return req;
  }

  /** Frees the request's slot (or withdraws it from the queue if it was not granted yet). */
  release(req: Request): void {
    if (req.resource !== this) throw new Error('request belongs to another resource');
    if (!req.granted) {
      const i = this.waiting.indexOf(req, this.head);
      if (i >= 0) {
        this.waiting[i] = null;
        this.nWaiting--;
      }
      return;
    }
    req.granted = false;
    this.holders--;
    while (this.holders < this.capacity && this.nWaiting > 0) {
      const next = this.waiting[this.head];
      this.waiting[this.head++] = null;
      if (next === null || next === undefined) continue;
      this.nWaiting--;
      this.grant(next);
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }

  private grant(req: Request): void {
    this.holders++;
    req.granted = true;
    req.succeed(req);
  }
}
