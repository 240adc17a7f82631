/**
 * Benchmark: the 5-point copy sweep at 1,000 nodes under the acr-copies-2026 preset.
 * Target: < 2 s wall. Run: npx tsx bench/sim-sweep.ts [repeats]
 */
import { resolve } from '../lib/config/schema';
import { copySweepSchema } from '../sim/experiments/params';
import { loadPreset } from '../sim/experiments/presets';
import { runModel } from '../sim/experiments/run-model';

const repeats = Number(process.argv[2] ?? 3);
const params = resolve(copySweepSchema, [{ source: 'preset', tree: loadPreset('acr-copies-2026').params }]);
const walls: number[] = [];
let events = 0;
for (let i = 0; i < repeats; i++) {
  const t = performance.now();
  const env = runModel('copy-sweep', params, 1);
  walls.push(performance.now() - t);
  events = env.runtime.events;
}
const rssMiB = process.resourceUsage().maxRSS / 1024;
console.log(
  `sim-sweep: 5 points x ${params.workload.nodes} nodes, ${events} events; wall ms per sweep: ${walls.map((w) => w.toFixed(0)).join(', ')} (best ${Math.min(...walls).toFixed(0)}); peak RSS ${rssMiB.toFixed(0)} MiB`,
);
