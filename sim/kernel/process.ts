/**
 * SimPy-style processes on top of the callback kernel, built only on Env's public API
 * (schedule/cancel). A process is a generator that yields events and is resumed with
 * their value when they are processed (or has their error thrown in when they fail):
 *
 *   function* customer(env: ProcessEnv) { yield env.timeout(2); const item = yield store.get(); }
 *   env.process(customer(env));
 *
 * Semantics follow SimPy 4: an event is triggered (succeed/fail), which queues it for the
 * current instant; when the loop reaches it, its callbacks run (the waiting processes
 * resume). A failed event that nobody waits on, and an exception escaping a process that
 * nobody waits on, are thrown out of env.run(): failures are never silent. Interrupts and
 * process starts are URGENT, as in SimPy.
 *
 * The callback API stays the hot path for the network models. This layer allocates one
 * event object per yield and nothing else: events are queued as kernel calls (one shared
 * function called with the event: no closure, no handle) and a waiting process is kept as
 * itself rather than as a closure.
 */
import { Env, Priority } from './env';

type Callback = (ev: SimEvent<unknown>) => void;
/** A waiting process is kept as itself, not as a closure that resumes it: one object less per process. */
type Waiter = Callback | Process<unknown>;

const PENDING = 0;
/** Succeeded or failed, queued to be processed. */
const TRIGGERED = 1;
/** Its callbacks ran. */
const PROCESSED = 2;

/** Something a process can wait on (yield). */
export class SimEvent<T = unknown> {
  readonly env: Env;
  /** PENDING, TRIGGERED or PROCESSED. */
  protected state = PENDING;
  protected okFlag = true;
  protected val: unknown = undefined;
  /** Set once someone handled the failure (a waiting process had it thrown in). */
  defused = false;
  // Most events have exactly one waiter: keep it in a field, extras in an array.
  private cb: Waiter | null = null;
  private cbs: Waiter[] | null = null;
  /** The kernel call of a queued timeout (so an interrupt can unqueue it); -1 otherwise. */
  private call = -1;

  constructor(env: Env) {
    this.env = env;
  }

  get triggered(): boolean {
    return this.state !== PENDING;
  }
  get processed(): boolean {
    return this.state === PROCESSED;
  }
  /** True when succeeded (only meaningful once triggered). */
  get ok(): boolean {
    return this.okFlag;
  }
  /** The value it succeeded with, or the error it failed with. */
  get value(): T {
    if (this.state === PENDING) throw new Error('event value is not available yet');
    return this.val as T;
  }

  succeed(value?: T, priority: number = Priority.NORMAL): this {
    if (this.state !== PENDING) throw new Error('event has already been triggered');
    this.val = value;
    this.trigger(priority);
    return this;
  }

  fail(error: unknown, priority: number = Priority.NORMAL): this {
    if (this.state !== PENDING) throw new Error('event has already been triggered');
    this.okFlag = false;
    this.val = error;
    this.trigger(priority);
    return this;
  }

  /** Runs fn when the event is processed (at once, later in this instant, if it already was). */
  addCallback(fn: Waiter): void {
    if (this.state === PROCESSED) {
      this.env.schedule(0, () => notify(fn, this as SimEvent<unknown>), Priority.URGENT);
      return;
    }
    if (this.cb === null) this.cb = fn;
    else if (this.cbs === null) this.cbs = [fn];
    else this.cbs.push(fn);
  }

  /** Removes a callback added earlier; true if it was there. */
  removeCallback(fn: Waiter): boolean {
    if (this.cb === fn) {
      this.cb = this.cbs !== null && this.cbs.length > 0 ? (this.cbs.shift() as Waiter) : null;
      return true;
    }
    if (this.cbs !== null) {
      const i = this.cbs.indexOf(fn);
      if (i >= 0) {
        this.cbs.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** A timeout: already triggered, processed `delay` seconds from now. */
  static timeout<T>(env: Env, delay: number, value?: T): SimEvent<T> {
    const ev = new SimEvent<T>(env);
    ev.val = value;
    ev.state = TRIGGERED;
    ev.call = env.scheduleCall(delay, SimEvent.fire, ev);
    return ev;
  }

  /** Unqueues a timeout nobody waits on any more (an interrupt made it pointless); true if dropped. */
  dropIfUnwatched(): boolean {
    // While TRIGGERED a timeout is still queued, so its call id is still its own.
    if (this.cb !== null || this.state !== TRIGGERED || this.call < 0) return false;
    this.env.cancelCall(this.call);
    this.call = -1;
    this.state = PROCESSED;
    return true;
  }

  protected trigger(priority: number): void {
    this.state = TRIGGERED;
    this.env.scheduleCall(0, SimEvent.fire, this as SimEvent<unknown>, priority);
  }

  /**
   * What the kernel calls when an event's turn comes: one function for every event, so
   * queueing one allocates no closure and no handle.
   */
  protected static fire(ev: SimEvent<unknown>): void {
    ev.runCallbacks();
  }

  /** Called by the kernel when the event's turn comes. */
  protected runCallbacks(): void {
    this.state = PROCESSED;
    const cb = this.cb;
    const cbs = this.cbs;
    this.cb = null;
    this.cbs = null;
    if (cb !== null) notify(cb, this as SimEvent<unknown>);
    if (cbs !== null)
      for (let i = 0; i < cbs.length; i++) notify(cbs[i] as Waiter, this as SimEvent<unknown>);
    if (!this.okFlag && !this.defused) throw this.val;
  }
}

function notify(w: Waiter, ev: SimEvent<unknown>): void {
  if (typeof w === 'function') w(ev);
  else w.resume(ev);
}

/**
 * An event that succeeds `delay` seconds after it is created. A plain SimEvent (made by
 * SimEvent.timeout), not a subclass: one object shape for the common events keeps the
 * kernel's property accesses monomorphic, which is most of the cost of a yield.
 */
export type Timeout<T = undefined> = SimEvent<T>;

/** What a process gets thrown in when interrupted; `cause` is what interrupt() was given. */
export class Interrupt extends Error {
  constructor(override readonly cause: unknown) {
    super(`process interrupted: ${String(cause)}`);
    this.name = 'Interrupt';
  }
}

export type ProcessGenerator<R = void> = Generator<SimEvent<unknown>, R, unknown>;

/**
 * A running generator. It is an event itself: it succeeds with the generator's return
 * value, or fails with what the generator threw, so `yield proc` waits for it to end.
 */
export class Process<R = unknown> extends SimEvent<R> {
  private readonly gen: ProcessGenerator<R>;
  /** The event the process waits on (null while running or when done). */
  private target: SimEvent<unknown> | null = null;

  constructor(env: Env, gen: ProcessGenerator<R>) {
    super(env);
    this.gen = gen;
    // Started by an URGENT event at the current instant, as SimPy's Initialize.
    env.scheduleCall(0, Process.start, this as Process<unknown>, Priority.URGENT);
  }

  private static start(p: Process<unknown>): void {
    p.step(true, undefined);
  }

  get isAlive(): boolean {
    return this.state === PENDING;
  }

  /**
   * Throws an Interrupt(cause) into the process at its current yield, later in this
   * instant (URGENT). The event it was waiting on no longer resumes it; a timeout nobody
   * else waits on is unqueued.
   */
  interrupt(cause?: unknown): void {
    if (this.state !== PENDING) throw new Error('cannot interrupt a process that has ended');
    const ev = new SimEvent<unknown>(this.env);
    ev.defused = true;
    ev.fail(new Interrupt(cause), Priority.URGENT);
    ev.addCallback(() => {
      if (this.state !== PENDING) return; // ended before the interrupt arrived
      const target = this.target;
      if (target !== null) {
        target.removeCallback(this as Process<unknown>);
        target.dropIfUnwatched();
      }
      this.resume(ev);
    });
  }

  /** Resumes the process with the outcome of `from` (the event it waited on, processed). */
  resume(from: SimEvent<unknown>): void {
    if (!from.ok) from.defused = true;
    this.step(from.ok, from.value);
  }

  /** Runs the generator from its current yield, sending `value` in (or throwing it). */
  private step(ok: boolean, value: unknown): void {
    if (this.state !== PENDING) return; // interrupted to death before it started
    this.target = null;
    for (;;) {
      let r: IteratorResult<SimEvent<unknown>, R>;
      try {
        r = ok ? this.gen.next(value) : this.gen.throw(value);
      } catch (err) {
        this.fail(err);
        return;
      }
      if (r.done) {
        this.succeed(r.value);
        return;
      }
      const next = r.value;
      if (!(next instanceof SimEvent)) {
        // Thrown back in at the offending yield, so the stack points at it.
        ok = false;
        value = new TypeError(`a process yielded ${String(next)}, not an event`);
        continue;
      }
      if (next.processed) {
        // Already processed: carry on at once with its outcome (as SimPy does).
        ok = next.ok;
        value = next.value;
        if (!ok) next.defused = true;
        continue;
      }
      this.target = next;
      next.addCallback(this as Process<unknown>);
      return;
    }
  }
}

/** Succeeds when `need(done, total)` holds over the events' outcomes; fails with the first failure. */
export class Condition extends SimEvent<unknown[]> {
  private readonly events: readonly SimEvent<unknown>[];
  private done = 0;

  constructor(
    env: Env,
    events: readonly SimEvent<unknown>[],
    need: (done: number, total: number) => boolean,
  ) {
    super(env);
    this.events = events;
    if (events.length === 0 || need(0, events.length)) {
      this.succeed([]);
      return;
    }
    const check = (ev: SimEvent<unknown>): void => {
      if (this.state !== PENDING) {
        if (!ev.ok) ev.defused = true;
        return;
      }
      if (!ev.ok) {
        ev.defused = true;
        this.fail(ev.value);
        return;
      }
      this.done++;
      if (need(this.done, this.events.length)) this.succeed(this.values());
    };
    for (const ev of events) ev.addCallback(check);
  }

  /** Values of the events processed so far, in the order given. */
  private values(): unknown[] {
    const out: unknown[] = [];
    for (const ev of this.events) if (ev.processed && ev.ok) out.push(ev.value);
    return out;
  }
}

/**
 * An Env with SimPy's factories for processes and events: `env.process(gen)`,
 * `yield env.timeout(s)`, `env.event()`, `env.allOf/anyOf`. The callback API (schedule,
 * at, timers) is inherited unchanged, so models can mix processes with plain callbacks
 * on the same clock.
 */
export class ProcessEnv extends Env {
  process<R>(gen: ProcessGenerator<R>): Process<R> {
    return new Process(this, gen);
  }

  timeout<T = undefined>(delay: number, value?: T): Timeout<T> {
    return SimEvent.timeout(this, delay, value);
  }

  event<T = unknown>(): SimEvent<T> {
    return new SimEvent<T>(this);
  }

  /** Succeeds when all events have succeeded, with their values in order. */
  allOf(events: readonly SimEvent<unknown>[]): Condition {
    return new Condition(this, events, (done, total) => done === total);
  }

  /** Succeeds when any event has succeeded, with the values of those processed so far. */
  anyOf(events: readonly SimEvent<unknown>[]): Condition {
    return new Condition(this, events, (done) => done > 0);
  }
}
