/**
 * Benchmark: one 100,000-node cold pull. The pool is scaled with the fleet (100x the
 * backends and copies of the preset's Mid configuration) so per-backend load matches the
 * 1,000-node run; pass `--same-pool` to keep the preset's pool and watch 100x the load hit
 * it, `--nodes=N` for another fleet size (pool scaled by N/1000). Target: < 2 min wall,
 * < 2 GiB RSS. Prints the configuration, wall and CPU time, events, the flow network's
 * work counters (recomputes, flows visited, completions moved) and peak RSS.
 * Run: npx tsx bench/sim-100k.ts [--same-pool] [--nodes=N] [--seed=S]
 */
import { cpus } from 'node:os';
import { resolve } from '../lib/config/schema';
import { loadPreset } from '../sim/experiments/presets';
import { coldPullSchema } from '../sim/models/cold-pull/params';
import { runColdPull } from '../sim/models/cold-pull/storm';

const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const samePool = process.argv.includes('--same-pool');
const nodes = Number(arg('nodes') ?? 100_000);
const seed = Number(arg('seed') ?? 1);
const base = resolve(coldPullSchema, [
  { source: 'preset', tree: loadPreset('acr-copies-2026', 'copy-sweep').params },
]);
const k = nodes / base.workload.nodes;
const sets = [`workload.nodes=${nodes}`];
if (!samePool)
  sets.push(
    `storage.backends=${Math.round(base.storage.backends * k)}`,
    `storage.copies=${Math.round(base.storage.copies * k)}`,
  );
const params = resolve(
  coldPullSchema,
  [{ source: 'preset', tree: loadPreset('acr-copies-2026', 'copy-sweep').params }],
  sets,
);
console.log(
  `sim-100k config: preset acr-copies-2026, seed ${seed}, ${params.workload.nodes} nodes, ${params.storage.backends} backends, ${params.storage.copies} copies/layer, ${params.workload.layerSizesMiB.length} layers, horizon ${params.run.horizonS} s (${samePool ? 'preset pool' : `pool scaled x${k}`}); node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
);
const cpu0 = process.cpuUsage();
const t = performance.now();
const run = runColdPull(params, seed);
const wall = (performance.now() - t) / 1000;
const cpu = process.cpuUsage(cpu0);
const q = run.metrics.podStartupS;
const net = run.net as Record<string, number>;
console.log(
  `sim-100k: wall ${wall.toFixed(1)} s (cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s), ${run.events} events, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; net: ${Object.entries(
    net,
  )
    .map(([key, v]) => `${key} ${v}`)
    .join(
      ', ',
    )}; pod startup P50/P90/P99 ${q?.p50.toFixed(0)}/${q?.p90.toFixed(0)}/${q?.p99.toFixed(0)} s, throttled ${run.metrics.throttleEvents}, not ready ${run.metrics.errors?.total}`,
);
