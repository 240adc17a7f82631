/**
 * A FIFO store of items (SimPy's Store): put(item) succeeds once there is room (at once
 * when the store is unbounded), get() succeeds with the oldest item once there is one.
 * Waiting getters and putters are served in the order they arrived.
 */
import type { Env } from './env';
import { SimEvent } from './process';

class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  peek(): T {
    return this.items[this.head] as T;
  }
  shift(): T {
    const x = this.items[this.head] as T;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}

export class Store<T> {
  readonly env: Env;
  readonly capacity: number;
  private readonly stock = new Fifo<T>();
  private readonly getters = new Fifo<SimEvent<T>>();
  private readonly putters = new Fifo<{ ev: SimEvent<undefined>; item: T }>();

  constructor(env: Env, capacity = Number.POSITIVE_INFINITY) {
    if (!(capacity >= 1)) throw new RangeError(`store capacity must be >= 1, got ${capacity}`);
    this.env = env;
    this.capacity = capacity;
  }

  /** Items held now. */
  get size(): number {
    return this.stock.length;
  }
  /** Processes waiting to get / to put. */
  get waitingGets(): number {
    return this.getters.length;
  }
  get waitingPuts(): number {
    return this.putters.length;
  }

  put(item: T): SimEvent<undefined> {
    const ev = new SimEvent<undefined>(this.env);
    this.putters.push({ ev, item });
    this.settle();
    return ev;
  }

  get(): SimEvent<T> {
    const ev = new SimEvent<T>(this.env);
    this.getters.push(ev);
    this.settle();
    return ev;
  }

  /** Moves items in as room allows and out as getters wait, oldest first, until neither can. */
  private settle(): void {
    for (;;) {
      let moved = false;
      while (this.putters.length > 0 && this.stock.length < this.capacity) {
        const { ev, item } = this.putters.shift();
        this.stock.push(item);
        ev.succeed(undefined);
        moved = true;
      }
      while (this.getters.length > 0 && this.stock.length > 0) {
        this.getters.shift().succeed(this.stock.shift());
        moved = true;
      }
      if (!moved) return;
    }
  }
}
