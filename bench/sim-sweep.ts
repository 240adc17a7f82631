/**
 * Benchmark: the 5-point copy sweep at 1,000 nodes under the acr-copies-2026 preset.
 * Target: < 2 s wall per sweep. Prints wall ms of every sweep, best and median, CPU ms
 * per sweep (median), events and peak RSS. The first sweep includes JIT warm-up.
 * Run: npx tsx bench/sim-sweep.ts [repeats]   (default 5)
 */
import { resolve } from '../lib/config/schema';
import { loadPreset } from '../sim/experiments/presets';
import { simulate } from '../sim/experiments/simulate';
import { copySweepSchema } from '../sim/models/copy-sweep/params';
import { copySweepModel } from '../sim/models/copy-sweep/plugin';

const repeats = Number(process.argv[2] ?? 5);
const params = resolve(copySweepSchema, [
  { source: 'preset', tree: loadPreset('acr-copies-2026', 'copy-sweep').params },
]);
const walls: number[] = [];
const cpus: number[] = [];
let events = 0;
for (let i = 0; i < repeats; i++) {
  const c = process.cpuUsage();
  const t = performance.now();
  const env = simulate(copySweepModel, params, 1);
  walls.push(performance.now() - t);
  const u = process.cpuUsage(c);
  cpus.push((u.user + u.system) / 1000);
  events = env.runtime.events;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const rssMiB = process.resourceUsage().maxRSS / 1024;
console.log(
  `sim-sweep: ${params.sweep.copies.length} points (copies ${params.sweep.copies.join('/')}) x ${params.workload.nodes} nodes, ${events} events; wall ms per sweep: ${walls.map((w) => w.toFixed(0)).join(', ')} (best ${Math.min(...walls).toFixed(0)}, median ${median(walls).toFixed(0)}; cpu median ${median(cpus).toFixed(0)}); peak RSS ${rssMiB.toFixed(0)} MiB`,
);
