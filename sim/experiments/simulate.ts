/**
 * Runs a registered model and packs its result into the result envelope (DESIGN.md). The
 * model streams its raw records through `io.raw` as each point completes, so an
 * interrupted sweep still leaves the finished points on disk.
 */
import type { Infer, Schema } from '../../lib/config/schema';
import type { Envelope } from '../../lib/results/envelope';
import type { ModelDef, ModelIo, ModelResult } from './model';
import { type JobsOptions, runWithJobs } from './sweep-jobs';

/** Drops raw records and progress: for callers that want only the envelope (benches, tests). */
export const QUIET_IO: ModelIo = { raw: () => {}, progress: () => {} };

export function simulate<S extends Schema>(
  def: ModelDef<S>,
  params: Infer<S>,
  seed: number,
  io: ModelIo = QUIET_IO,
): Envelope {
  const started = performance.now();
  return envelopeOf(def, params, seed, def.run(params, seed, io), started);
}

/**
 * simulate with the points of the model's sweep on `jobs` threads (sweep-jobs.ts): the same
 * envelope and the same io calls in the same order as simulate, `runtime` aside.
 */
export async function simulateJobs<S extends Schema>(
  def: ModelDef<S>,
  params: Infer<S>,
  seed: number,
  io: ModelIo,
  jobs: number,
  opts?: JobsOptions,
): Promise<Envelope> {
  const started = performance.now();
  const ref = { name: def.name, ...(def.module !== undefined && { module: def.module }) };
  const { result, onWorkers } = await runWithJobs<ModelResult>(
    def as ModelDef,
    ref,
    params,
    seed,
    io,
    jobs,
    opts,
  );
  const env = envelopeOf(def, params, seed, result, started);
  if (jobs > 1) Object.assign(env.runtime, { jobs, pointsOnWorkers: onWorkers });
  return env;
}

function envelopeOf<S extends Schema>(
  def: ModelDef<S>,
  params: Infer<S>,
  seed: number,
  result: ModelResult,
  started: number,
): Envelope {
  const env: Envelope = {
    tool: 'stampede',
    kind: 'sim',
    name: def.name,
    seed,
    params: params as Record<string, unknown>,
    metrics: result.metrics,
    points: result.points,
    runtime: { wallMs: Math.round(performance.now() - started), events: result.events },
  };
  if (result.reference) env.reference = result.reference;
  return env;
}
