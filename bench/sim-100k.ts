/**
 * Benchmark: one 100,000-node cold pull. The pool is scaled with the fleet (100x the
 * backends and copies of the preset's Mid configuration) so per-backend load matches the
 * 1,000-node run; pass `--same-pool` to keep the preset's pool and watch 100x the load hit
 * it. Target: < 2 min wall, < 2 GiB RSS. Run: npx tsx bench/sim-100k.ts [--same-pool]
 */
import { resolve } from '../lib/config/schema';
import { coldPullSchema } from '../sim/experiments/params';
import { loadPreset } from '../sim/experiments/presets';
import { runModel } from '../sim/experiments/run-model';

const samePool = process.argv.includes('--same-pool');
const sets = ['workload.nodes=100000'];
if (!samePool) sets.push('storage.backends=25600', 'storage.copies=800');
const params = resolve(
  coldPullSchema,
  [{ source: 'preset', tree: loadPreset('acr-copies-2026').params }],
  sets,
);
const t = performance.now();
const env = runModel('cold-pull', params, 1);
const wall = (performance.now() - t) / 1000;
const q = env.metrics.podStartupS;
console.log(
  `sim-100k (${samePool ? 'preset pool' : 'pool scaled x100'}): ${params.workload.nodes} nodes, ${env.runtime.events} events, wall ${wall.toFixed(1)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; pod startup P50/P90/P99 ${q?.p50.toFixed(0)}/${q?.p90.toFixed(0)}/${q?.p99.toFixed(0)} s, throttled ${env.metrics.throttleEvents}, not ready ${env.metrics.errors?.total}`,
);
