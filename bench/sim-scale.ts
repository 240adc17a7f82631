/**
 * Benchmark: a cold pull against the acr-copies-2026 preset's own pool (its 256 backends
 * and copy count, no scaling) at 1,000, 10,000 and 100,000 nodes: what happens when 10x
 * and 100x today's fleet hits today's pool. Each size runs in a fresh child process so its
 * peak RSS is its own. Prints wall and CPU time, events, the flow network's counters
 * (flows touched one by one, solver units visited, recomputes) and peak RSS.
 * Targets (issue 13): 100k nodes in < 2 min and < 2 GiB.
 * Run: npx tsx bench/sim-scale.ts [nodes,...] [--seed=S]   (default 1000,10000,100000)
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from '../lib/config/schema';
import { loadPreset } from '../sim/experiments/presets';
import { coldPullSchema } from '../sim/models/cold-pull/params';
import { runColdPull } from '../sim/models/cold-pull/storm';

const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const seed = Number(arg('seed') ?? 1);
const child = arg('one');

if (child !== undefined) {
  const nodes = Number(child);
  const params = resolve(
    coldPullSchema,
    [{ source: 'preset', tree: loadPreset('acr-copies-2026', 'copy-sweep').params }],
    [`workload.nodes=${nodes}`],
  );
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  const run = runColdPull(params, seed);
  const wall = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const q = run.metrics.podStartupS;
  console.log(
    JSON.stringify({
      nodes,
      backends: params.storage.backends,
      copies: params.storage.copies,
      wallS: wall,
      cpuS: (cpu.user + cpu.system) / 1e6,
      events: run.events,
      net: run.net,
      rssMiB: process.resourceUsage().maxRSS / 1024,
      p50: q?.p50,
      p99: q?.p99,
      notReady: run.metrics.errors?.total,
    }),
  );
} else {
  const sizes = (process.argv.find((a) => /^[\d,]+$/.test(a)) ?? '1000,10000,100000').split(',').map(Number);
  const self = fileURLToPath(import.meta.url);
  console.log(`sim-scale: preset acr-copies-2026 (its own pool), seed ${seed}, node ${process.version}`);
  for (const nodes of sizes) {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, self, `--one=${nodes}`, `--seed=${seed}`],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    const net = r.net as Record<string, number>;
    console.log(
      `${String(nodes).padStart(7)} nodes (${r.backends} backends, ${r.copies} copies/layer): wall ${r.wallS.toFixed(1)} s, cpu ${r.cpuS.toFixed(1)} s, ${r.events.toLocaleString('en-US')} events, flows visited ${(net.flowsVisited ?? 0).toLocaleString('en-US')}, solver units visited ${(net.classesVisited ?? net.flowsVisited ?? 0).toLocaleString('en-US')}, recomputes ${(net.recomputes ?? 0).toLocaleString('en-US')}, peak RSS ${r.rssMiB.toFixed(0)} MiB; pod startup P50/P99 ${r.p50?.toFixed(0)}/${r.p99?.toFixed(0)} s, not ready ${r.notReady}`,
    );
  }
}
