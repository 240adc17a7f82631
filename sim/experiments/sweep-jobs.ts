/**
 * `--jobs N`: the points of a model's sweep on worker threads, results identical to a serial
 * run. Models stay synchronous and unaware of it: a model run with jobs goes in three passes
 * over its own `run`, steered through the one `runSweep` call it makes.
 *
 *  1. discover: `run` is called until it reaches runSweep, which stops it and hands back the
 *     sweep's parameters, axis and per-point function (nothing is written; the model's io is muted).
 *  2. compute: the points are claimed one at a time from a shared counter by this thread
 *     (with the discovered function) and by N-1 workers (each runs the model again up to its
 *     runSweep, then computes the points it claims). Each point's result and the io it made
 *     (raw records, progress) come back here.
 *  3. replay: `run` is called once more; its runSweep returns the computed results, replaying
 *     each point's io and calling onStep in point order, exactly as a serial sweep would. The
 *     rest of the model (tables, metrics over points) runs on those results unchanged.
 *
 * What this asks of a model (runSweep's contract): `run` is a function of (params, seed)
 * up to its first runSweep call, and a point's work reaches the outside only through its
 * return value and the model's io (a counter bumped inside the point closure is bumped in
 * another thread). Results cross threads by structured clone (plain data, typed arrays, Maps).
 * Only the first runSweep call of a run is spread; later calls run serially. With --jobs, raw
 * records reach raw.ndjson when the sweep ends, not as each point finishes.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InputError, RunError } from '../../lib/errors';
import type { ModelDef, ModelIo } from './model';
import { type SweepAxis, withParam } from './sweep';

/** The io calls a point made, in order, so they can be replayed in point order. */
export type IoCall = ['raw', readonly unknown[]] | ['progress', number, number, string];

export interface PointOutcome {
  index: number;
  result: unknown;
  io: IoCall[];
}

/** A sweep as runSweep sees it: what pass 1 hands back and what the workers compute. */
export interface FoundSweep {
  params: unknown;
  axis: SweepAxis;
  run: (params: unknown, step: { label: string; value: unknown; index: number }) => unknown;
}

/** How runSweep behaves in the current pass (undefined: serial, as without --jobs). */
export type SweepMode =
  | { kind: 'discover' }
  | {
      kind: 'worker';
      claim: () => number;
      done: (o: PointOutcome) => void;
      capture: (into: IoCall[] | undefined) => void;
    }
  | { kind: 'replay'; outcomes: PointOutcome[]; io: ModelIo; expect: string };

let mode: SweepMode | undefined;

/** runSweep's view of the pass; it clears the mode so a second sweep in one run is serial. */
export function takeSweepMode(): SweepMode | undefined {
  const m = mode;
  mode = undefined;
  return m;
}

/** Thrown by runSweep to stop a model run once the sweep has been found or computed. */
export class SweepStop {
  constructor(readonly found?: FoundSweep) {}
}

/** A failure of a sweep point on a worker, or of a worker itself. */
export class SweepJobsError extends RunError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SIM_JOBS_FAILED', message, options);
  }
}

/** The most threads --jobs may ask for: more than the machine has only costs memory. */
export const MAX_JOBS = Math.max(2, availableParallelism() * 4);

/** --jobs N: an integer 1..MAX_JOBS (default 1, serial). */
export function parseJobs(raw: string | undefined): number {
  if (raw === undefined) return 1;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_JOBS)
    throw new InputError(
      '--jobs',
      `an integer 1..${MAX_JOBS} (threads running sweep points; 1 = serial)`,
      raw,
    );
  return Number(raw);
}

/** The key a replay pass checks its sweep against: the same params and axis as discovered. */
export const sweepKey = (params: unknown, axis: SweepAxis) =>
  JSON.stringify([params, axis.path, axis.values, axis.labels]);

/** An io whose calls go wherever `to` points at the moment (muted, a buffer, the real io). */
export function switchableIo(): { io: ModelIo; to: (sink: ModelIo | IoCall[] | undefined) => void } {
  let sink: ModelIo | IoCall[] | undefined;
  return {
    to: (s) => {
      sink = s;
    },
    io: {
      raw(records) {
        if (Array.isArray(sink)) sink.push(['raw', records]);
        else sink?.raw(records);
      },
      progress(done, total, label) {
        if (Array.isArray(sink)) sink.push(['progress', done, total, label]);
        else sink?.progress(done, total, label);
      },
    },
  };
}

export function replayIo(calls: readonly IoCall[], io: ModelIo): void {
  for (const c of calls)
    if (c[0] === 'raw') io.raw(c[1]);
    else io.progress(c[1], c[2], c[3]);
}

/** Calls `run` with runSweep in `m`'s mode; returns the found sweep when it stopped there. */
function inMode<R>(m: SweepMode, run: () => R): { value?: R; found?: FoundSweep; stopped: boolean } {
  mode = m;
  try {
    return { value: run(), stopped: false };
  } catch (e) {
    if (e instanceof SweepStop) return { found: e.found, stopped: true };
    throw e;
  } finally {
    mode = undefined;
  }
}

/** Where a worker finds the model: the registry's built-ins, or an exported def in `module`. */
export interface ModelRef {
  name: string;
  /** file URL of a module exporting the ModelDef (a plug-in outside the built-in registry). */
  module?: string;
}

export interface WorkerData {
  model: ModelRef;
  params: unknown;
  seed: number;
  counter: SharedArrayBuffer;
}

/** Messages from a worker: one per point it computed, then done (or an error). */
export type WorkerMessage =
  | { type: 'point'; outcome: PointOutcome }
  | { type: 'done' }
  | { type: 'error'; message: string; stack?: string };

export interface JobsOptions {
  /** Whether this thread computes points too (default true); false leaves them all to workers (tests). */
  computeHere?: boolean;
}

export interface JobsResult<R> {
  result: R;
  /** Points computed on worker threads (the rest ran on this one). */
  onWorkers: number;
}

/** Set to true by the CLI bundle's build (scripts/build-cli.mjs); undeclared under tsx and vitest. */
declare const __STAMPEDE_BUNDLE__: boolean | undefined;

/**
 * The worker's entry. The bundled CLI starts the worker bundle the same build made (this
 * file's URL is its source's, so the path is relative to the checkout); the sources, and a
 * plug-in model in a TypeScript module of the user's, go through tsx (sweep-worker.mjs).
 */
export function workerEntry(ref: ModelRef): URL {
  const bundled = typeof __STAMPEDE_BUNDLE__ !== 'undefined' && __STAMPEDE_BUNDLE__;
  return bundled && !ref.module
    ? new URL('../../dist/stampede-sweep-worker.mjs', import.meta.url)
    : new URL('./sweep-worker.mjs', import.meta.url);
}

/**
 * Runs `def` with its sweep points spread over `jobs` threads (this one and jobs-1 workers).
 * The model's result is what `def.run(params, seed, io)` returns serially; the io calls come
 * in the same order. A model that makes no runSweep call just runs (once).
 */
export async function runWithJobs<R>(
  def: ModelDef,
  ref: ModelRef,
  params: unknown,
  seed: number,
  io: ModelIo,
  jobs: number,
  opts: JobsOptions = {},
): Promise<JobsResult<R>> {
  const run = def.run as (p: unknown, s: number, io: ModelIo) => R;
  const sw = switchableIo();
  if (jobs <= 1) return { result: run(params, seed, io), onWorkers: 0 };

  // 1. discover. The io is held back: if the model stops at a sweep, the replay pass emits
  // again what it wrote before; if it makes no runSweep call, this was the run: let it out.
  const held: IoCall[] = [];
  sw.to(held);
  const first = inMode({ kind: 'discover' }, () => run(params, seed, sw.io));
  if (!first.stopped || !first.found) {
    replayIo(held, io);
    return { result: first.value as R, onWorkers: 0 };
  }
  held.length = 0;
  const found = first.found;
  const n = found.axis.values.length;

  // 2. compute
  const counter = new SharedArrayBuffer(4);
  const next = new Int32Array(counter);
  const claim = () => Atomics.add(next, 0, 1);
  const outcomes: PointOutcome[] = new Array(n);
  let got = 0;
  let onWorkers = 0;
  const here = opts.computeHere ?? true;
  const workers: Worker[] = [];
  let failed: Error | undefined;
  let wake: () => void = () => {};
  const settle = () => wake();
  const data: WorkerData = { model: ref, params, seed, counter };
  for (let w = 0; w < Math.min(jobs, n) - (here ? 1 : 0); w++) {
    const worker = new Worker(workerEntry(ref), { workerData: data });
    let finished = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'point') {
        outcomes[m.outcome.index] = m.outcome;
        got++;
        onWorkers++;
        // Live progress while the sweep runs; the points' own io is replayed in pass 3.
        io.progress(got, n, `${got} of ${n} points (--jobs ${jobs})`);
      } else if (m.type === 'done') finished = true;
      else failed ??= new SweepJobsError(`a sweep point failed on a worker: ${m.message}`);
      settle();
    });
    worker.on('error', (e) => {
      failed ??= new SweepJobsError(`a sweep worker failed: ${e.message}`, { cause: e });
      settle();
    });
    worker.on('exit', (code) => {
      if (!finished)
        failed ??= new SweepJobsError(`a sweep worker exited (code ${code}) before its points were done`);
      settle();
    });
    workers.push(worker);
  }
  try {
    for (let k = here ? claim() : n; k < n && !failed; k = claim()) {
      const calls: IoCall[] = [];
      sw.to(calls);
      const value = found.axis.values[k];
      const result = found.run(withParam(found.params, found.axis.path, value), {
        label: found.axis.labels[k] as string,
        value,
        index: k,
      });
      sw.to(undefined);
      outcomes[k] = { index: k, result, io: calls };
      got++;
      io.progress(got, n, `${got} of ${n} points (--jobs ${jobs})`);
      // Let the workers' messages in between two points.
      await new Promise<void>((r) => setImmediate(r));
    }
    while (got < n && !failed)
      await new Promise<void>((r) => {
        wake = r;
      });
  } finally {
    for (const w of workers) void w.terminate();
  }
  if (failed) throw failed;

  // 3. replay
  sw.to(io);
  const replay = inMode({ kind: 'replay', outcomes, io, expect: sweepKey(found.params, found.axis) }, () =>
    run(params, seed, sw.io),
  );
  return { result: replay.value as R, onWorkers };
}

/** The worker side: run the model up to its sweep, then compute claimed points until none are left. */
export function computeClaimed(
  def: ModelDef,
  params: unknown,
  seed: number,
  counter: SharedArrayBuffer,
  post: (m: WorkerMessage) => void,
): void {
  const next = new Int32Array(counter);
  const sw = switchableIo();
  const run = def.run as (p: unknown, s: number, io: ModelIo) => unknown;
  const r = inMode(
    {
      kind: 'worker',
      claim: () => Atomics.add(next, 0, 1),
      done: (outcome) => post({ type: 'point', outcome }),
      capture: (into) => sw.to(into),
    },
    () => run(params, seed, sw.io),
  );
  if (!r.stopped) throw new Error(`model ${def.name} made no runSweep call in the worker`);
}
