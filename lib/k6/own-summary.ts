/**
 * A scenario's own summary over the generic k6 envelope: its metrics merged in, its points
 * (one per strategy, say) in place of the one generic point, and its derived records appended
 * to raw.ndjson so a report rebuilt from the raw stream has them. A summary that throws costs
 * only itself: the generic envelope is kept and the failure is said on stderr.
 */
import { appendFileSync } from 'node:fs';
import type { Io } from '../cli/command';
import type { Envelope } from '../results/envelope';
import type { ScenarioDef, SummaryInput } from './scenario';

export function withOwnSummary<P>(
  def: ScenarioDef<P>,
  generic: Envelope,
  run: Omit<SummaryInput<P>, 'envelope'> & { rawPath: string },
  io: Io,
): Envelope {
  if (!def.summarize) return generic;
  try {
    const { rawPath, ...input } = run;
    const own = def.summarize({ ...input, envelope: generic });
    for (const note of own.notes ?? []) io.err(note);
    if (own.raw?.length) appendFileSync(rawPath, own.raw.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const metrics = { ...generic.metrics, ...own.metrics };
    const points = own.points ?? generic.points.map((p, i) => (i === 0 ? { ...p, metrics } : p));
    return { ...generic, metrics, points };
  } catch (e) {
    io.err(`${def.name}: summary of its own failed: ${(e as Error).message}`);
    return generic;
  }
}
