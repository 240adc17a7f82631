/**
 * `stampede run copy-sweep`: the cold-pull scenario once per point (lib/k6/copy-sweep/run-sweep.ts).
 * It has no k6 entry of its own: each point is a cold-pull run in its own directory.
 */
import { defineScenario } from '../scenario';
import { type CopySweepRunParams, copySweepRunSchema } from './params';
import { runCopySweep } from './run-sweep';

export const copySweepScenario = defineScenario<CopySweepRunParams>({
  name: 'copy-sweep',
  summary:
    'cold-pull once per copy count (lab) or per VU count and image (registry URL): one envelope of points',
  help: `Lab: for each copy count and VU count, sets the lab's copies (lab storage --copies), seeds
a fresh image (every point pulls cold) and runs cold-pull; with ceilingBps the backends'
egress ceiling is set first, so low copy counts throttle (503 ServerBusy). Registry URL:
one point per VU count and image. Each point is a cold-pull run directory under
<out>/points/ (raw k6 data streamed to disk: a killed sweep keeps its finished points, also
listed in <out>/points.ndjson); <out>/summary.json has one point per run, in the shape of
\`stampede sim copy-sweep\`'s, and the sweet spot. Calibrate the simulator on it with
\`stampede sim calibrate --target <out>\`.`,
  schema: copySweepRunSchema,
  script: 'cold-pull',
  labOnly: ['copies', 'layers', 'ceilingBps'],
  maxDurationS: (p) => p.maxDurationS,
  sweep: runCopySweep,
  verdict(envelope) {
    const failed = envelope.points.filter(
      (p) => ((p.metrics as { pulls?: { failed: number } }).pulls?.failed ?? 1) > 0 || !p.metrics.pullS,
    );
    return {
      exitCode: failed.length > 0 || envelope.points.length === 0 ? 1 : 0,
      line: `${envelope.points.length} points, ${failed.length} with failed pulls`,
    };
  },
});
