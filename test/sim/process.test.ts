/**
 * The process layer's semantics (SimPy 4's): timeouts, events, interrupts, conditions,
 * the FIFO resource, the store, and failures that are never silent.
 */
import { describe, expect, it } from 'vitest';
import { Interrupt, ProcessEnv, type ProcessGenerator, Resource, Store } from '../../sim/kernel';

describe('processes', () => {
  it('a timeout resumes the process with its value at the right time', () => {
    const env = new ProcessEnv();
    const seen: Array<[number, unknown]> = [];
    env.process(
      (function* (): ProcessGenerator {
        const a = yield env.timeout(1.5, 'a');
        seen.push([env.now, a]);
        const b = yield env.timeout(0);
        seen.push([env.now, b]);
        const c = yield env.timeout(2, 42);
        seen.push([env.now, c]);
      })(),
    );
    env.run();
    expect(seen).toEqual([
      [1.5, 'a'],
      [1.5, undefined],
      [3.5, 42],
    ]);
  });

  it('waits on an event another process succeeds, and on another process ending', () => {
    const env = new ProcessEnv();
    const go = env.event<string>();
    const log: string[] = [];
    const child = env.process(
      (function* (): ProcessGenerator<number> {
        const v = yield go;
        log.push(`child got ${String(v)} at ${env.now}`);
        yield env.timeout(1);
        return 7;
      })(),
    );
    env.process(
      (function* (): ProcessGenerator {
        yield env.timeout(2);
        go.succeed('go');
        const r = yield child;
        log.push(`parent saw ${String(r)} at ${env.now}`);
      })(),
    );
    env.run();
    expect(log).toEqual(['child got go at 2', 'parent saw 7 at 3']);
    expect(child.isAlive).toBe(false);
    expect(child.value).toBe(7);
  });

  it('an interrupt mid-timeout resumes the process at once with the cause; the timeout never fires', () => {
    const env = new ProcessEnv();
    const log: string[] = [];
    const sleeper = env.process(
      (function* (): ProcessGenerator {
        try {
          yield env.timeout(10);
          log.push(`woke at ${env.now}`);
        } catch (err) {
          expect(err).toBeInstanceOf(Interrupt);
          log.push(`interrupted at ${env.now} by ${String((err as Interrupt).cause)}`);
        }
        yield env.timeout(1);
        log.push(`done at ${env.now}`);
      })(),
    );
    env.process(
      (function* (): ProcessGenerator {
        yield env.timeout(3);
        sleeper.interrupt('preempted');
      })(),
    );
    env.run();
    expect(log).toEqual(['interrupted at 3 by preempted', 'done at 4']);
    // The 10 s timeout was unqueued: the run ended at 4, not 10.
    expect(env.now).toBe(4);
  });

  it('an interrupt not caught ends the process with the Interrupt, which propagates', () => {
    const env = new ProcessEnv();
    const p = env.process(
      (function* (): ProcessGenerator {
        yield env.timeout(5);
      })(),
    );
    env.schedule(1, () => p.interrupt('stop'));
    expect(() => env.run()).toThrow(Interrupt);
    expect(p.isAlive).toBe(false);
    expect(p.ok).toBe(false);
  });

  it('a timeout shared with another waiter still fires for it after an interrupt', () => {
    const env = new ProcessEnv();
    const t = env.timeout(5, 'shared');
    const log: string[] = [];
    const a = env.process(
      (function* (): ProcessGenerator {
        try {
          yield t;
        } catch {
          log.push(`a interrupted at ${env.now}`);
        }
      })(),
    );
    env.process(
      (function* (): ProcessGenerator {
        log.push(`b got ${String(yield t)} at ${env.now}`);
      })(),
    );
    env.schedule(1, () => a.interrupt());
    env.run();
    expect(log).toEqual(['a interrupted at 1', 'b got shared at 5']);
  });

  it('an exception inside a process surfaces from env.run()', () => {
    const env = new ProcessEnv();
    env.process(
      (function* (): ProcessGenerator {
        yield env.timeout(1);
        throw new Error('boom in process');
      })(),
    );
    expect(() => env.run()).toThrow('boom in process');
    expect(env.now).toBe(1);
  });

  it('a failed event is thrown into its waiter, which may handle it; unhandled it surfaces', () => {
    const env = new ProcessEnv();
    const ev = env.event();
    let caught: unknown;
    env.process(
      (function* (): ProcessGenerator {
        try {
          yield ev;
        } catch (err) {
          caught = err;
        }
      })(),
    );
    env.schedule(1, () => ev.fail(new Error('bad event')));
    env.run();
    expect((caught as Error).message).toBe('bad event');

    const env2 = new ProcessEnv();
    env2.event().fail(new Error('nobody waits'));
    expect(() => env2.run()).toThrow('nobody waits');
  });

  it('a process that yields something other than an event gets a TypeError thrown in', () => {
    const env = new ProcessEnv();
    env.process(
      (function* (): ProcessGenerator {
        yield 5 as never;
      })(),
    );
    expect(() => env.run()).toThrow(TypeError);
  });

  it('allOf waits for every event, anyOf for the first', () => {
    const env = new ProcessEnv();
    const log: string[] = [];
    env.process(
      (function* (): ProcessGenerator {
        const all = yield env.allOf([env.timeout(2, 'x'), env.timeout(1, 'y')]);
        log.push(`all ${JSON.stringify(all)} at ${env.now}`);
        const any = yield env.anyOf([env.timeout(5, 'slow'), env.timeout(1, 'fast')]);
        log.push(`any ${JSON.stringify(any)} at ${env.now}`);
      })(),
    );
    env.run();
    expect(log).toEqual(['all ["x","y"] at 2', 'any ["fast"] at 3']);
  });
});

describe('Resource', () => {
  it('grants slots in FIFO order and reports its queue', () => {
    const env = new ProcessEnv();
    const res = new Resource(env, 2);
    const order: string[] = [];
    const user = function* (name: string, arrive: number, hold: number): ProcessGenerator {
      yield env.timeout(arrive);
      const req = res.request();
      yield req;
      order.push(`${name}@${env.now}`);
      yield env.timeout(hold);
      res.release(req);
    };
    env.process(user('a', 0, 4));
    env.process(user('b', 0, 2));
    env.process(user('c', 1, 1));
    env.process(user('d', 1.5, 1));
    env.process(user('e', 1.2, 1));
    env.run(1.6);
    expect(res.count).toBe(2);
    expect(res.queueLength).toBe(3);
    env.run();
    // b frees a slot at 2 (c, the first waiter), c at 3 (e arrived before d), a at 4 (d).
    expect(order).toEqual(['a@0', 'b@0', 'c@2', 'e@3', 'd@4']);
    expect(res.count).toBe(0);
    expect(res.queueLength).toBe(0);
  });

  it('a waiter withdrawn by release() before its grant is skipped', () => {
    const env = new ProcessEnv();
    const res = new Resource(env, 1);
    const held = res.request();
    const gaveUp = res.request();
    const next = res.request();
    expect(res.queueLength).toBe(2);
    res.release(gaveUp);
    expect(res.queueLength).toBe(1);
    res.release(held);
    expect(next.granted).toBe(true);
    expect(gaveUp.granted).toBe(false);
  });
});

describe('Store', () => {
  it('get blocks until a put, items come out FIFO', () => {
    const env = new ProcessEnv();
    const store = new Store<string>(env);
    const got: Array<[number, string]> = [];
    env.process(
      (function* (): ProcessGenerator {
        for (let i = 0; i < 3; i++) {
          const item = (yield store.get()) as string;
          got.push([env.now, item]);
        }
      })(),
    );
    env.process(
      (function* (): ProcessGenerator {
        yield env.timeout(2);
        store.put('first');
        store.put('second');
        yield env.timeout(1);
        store.put('third');
      })(),
    );
    env.run(1);
    expect(got).toEqual([]);
    expect(store.waitingGets).toBe(1);
    env.run();
    expect(got).toEqual([
      [2, 'first'],
      [2, 'second'],
      [3, 'third'],
    ]);
  });

  it('a bounded store makes put wait for room', () => {
    const env = new ProcessEnv();
    const store = new Store<number>(env, 1);
    const putDone: number[] = [];
    env.process(
      (function* (): ProcessGenerator {
        for (let i = 0; i < 3; i++) {
          yield store.put(i);
          putDone.push(env.now);
        }
      })(),
    );
    env.process(
      (function* (): ProcessGenerator {
        for (let i = 0; i < 3; i++) {
          yield env.timeout(5);
          expect(yield store.get()).toBe(i);
        }
      })(),
    );
    env.run();
    expect(putDone).toEqual([0, 5, 10]);
    expect(store.size).toBe(0);
  });
});
