/**
 * Runs a registered model and packs its result into the result envelope (DESIGN.md). The
 * model streams its raw records through `io.raw` as each point completes, so an
 * interrupted sweep still leaves the finished points on disk.
 */
import type { Infer, Schema } from '../../lib/config/schema';
import type { Envelope } from '../../lib/results/envelope';
import type { ModelDef, ModelIo } from './model';

/** Drops raw records and progress: for callers that want only the envelope (benches, tests). */
export const QUIET_IO: ModelIo = { raw: () => {}, progress: () => {} };

export function simulate<S extends Schema>(
  def: ModelDef<S>,
  params: Infer<S>,
  seed: number,
  io: ModelIo = QUIET_IO,
): Envelope {
  const started = performance.now();
  const result = def.run(params, seed, io);
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
