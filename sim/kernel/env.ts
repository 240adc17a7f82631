/**
 * The simulation environment: a clock and the event queue. Like SimPy's Environment it
 * knows nothing about what it simulates; models schedule callbacks and the loop runs
 * them in (time, priority, sequence) order. No I/O, no wall clock, no Math.random.
 */
import { EventQueue, type ScheduledEvent } from './event-queue';

/** Lower runs first among events at the same instant. */
export const Priority = { URGENT: 0, NORMAL: 1, LATE: 2 } as const;

export type EventHandle = ScheduledEvent;

export class Env {
  private queue = new EventQueue();
  private clock: number;
  /** Events executed so far (a cost measure reported in results). */
  processed = 0;

  constructor(initialTime = 0) {
    this.clock = initialTime;
  }

  get now(): number {
    return this.clock;
  }

  /** Runs fn after `delay` seconds (0 = later in the current instant). */
  schedule(delay: number, fn: () => void, priority: number = Priority.NORMAL): EventHandle {
    if (!(delay >= 0)) throw new RangeError(`negative or NaN delay: ${delay}`);
    return this.queue.push(this.clock + delay, priority, fn);
  }

  /**
   * Calls fn(arg) after `delay` seconds, ordered as schedule() would be, with no handle
   * object: for one-shot events of objects (the process layer's), whose fn is shared by all
   * of them, so queueing one allocates nothing. Returns the entry's id while it is queued
   * (for cancelCall).
   */
  scheduleCall<T>(delay: number, fn: (arg: T) => void, arg: T, priority: number = Priority.NORMAL): number {
    if (!(delay >= 0)) throw new RangeError(`negative or NaN delay: ${delay}`);
    return this.queue.pushCall(this.clock + delay, priority, fn, arg);
  }

  /** Unqueues a call made by scheduleCall that has not run yet (after it ran, the id is another's). */
  cancelCall(id: number): void {
    this.queue.cancelCall(id);
  }

  /** Runs fn at absolute time `time` (>= now). */
  at(time: number, fn: () => void, priority: number = Priority.NORMAL): EventHandle {
    if (!(time >= this.clock)) throw new RangeError(`time ${time} is in the past (now ${this.clock})`);
    return this.queue.push(time, priority, fn);
  }

  /**
   * Moves a scheduled (or fired, or cancelled) event to `delay` seconds from now, in place:
   * the same order as cancel() then schedule() with the same fn, without allocating.
   * Meant for events a model moves often (a flow's completion); the handle is reused, so
   * nobody else should hold it.
   */
  reschedule(handle: EventHandle, delay: number, priority: number = handle.priority): EventHandle {
    if (!(delay >= 0)) throw new RangeError(`negative or NaN delay: ${delay}`);
    return this.queue.reschedule(handle, this.clock + delay, priority);
  }

  /**
   * A reusable, allocation-free event for something that is moved over and over (a flow's
   * completion): reserve it once with its callback, then setTimer() queues or moves it
   * (ordered as a fresh schedule() would be) and clearTimer() unqueues it. Returns its id.
   */
  reserveTimer(fn: () => void): number {
    return this.queue.reserveTimer(fn);
  }

  /** Queues timer `timer` to run `delay` seconds from now, or moves it there. */
  setTimer(timer: number, delay: number, priority: number = Priority.NORMAL): void {
    if (!(delay >= 0)) throw new RangeError(`negative or NaN delay: ${delay}`);
    this.queue.setTimer(timer, this.clock + delay, priority);
  }

  clearTimer(timer: number): void {
    this.queue.clearTimer(timer);
  }

  timerQueued(timer: number): boolean {
    return this.queue.timerQueued(timer);
  }

  cancel(handle: EventHandle | undefined): void {
    if (handle) this.queue.cancel(handle);
  }

  /** Pending live events. */
  get pending(): number {
    return this.queue.size;
  }

  peek(): number {
    return this.queue.peekTime();
  }

  /** Processes the next event; false when the queue is empty. */
  step(): boolean {
    const q = this.queue;
    const fn = q.popNext();
    if (fn === undefined) return false;
    this.clock = q.poppedTime;
    this.processed++;
    // A call's argument; for the rest undefined, which their () => void ignores.
    (fn as (arg: unknown) => void)(q.poppedArg);
    return true;
  }

  /**
   * Runs until the queue is empty or the next event lies beyond `until`; the clock then
   * stands at `until` (if finite), as in SimPy.
   */
  run(until = Number.POSITIVE_INFINITY): void {
    if (until < this.clock) throw new RangeError(`until ${until} is before now ${this.clock}`);
    for (;;) {
      const next = this.queue.peekTime();
      if (next === Number.POSITIVE_INFINITY || next > until) break;
      this.step();
    }
    if (Number.isFinite(until)) this.clock = until;
  }
}
