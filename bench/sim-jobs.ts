/**
 * Benchmark: a 5-point copy sweep (acr-copies-2026 preset) serial against `--jobs N` (sweep
 * points on worker threads, sim/experiments/sweep-jobs.ts). Runs alternate (serial, jobs,
 * serial, ...) so load changes hit both; prints each wall time, the medians, the ratio, and
 * whether the two results are identical (runtime aside). Target: --jobs 2 >= 1.6x faster
 * than serial on a 2-core machine. Wall time includes the workers' start (tsx loading the
 * model in each thread).
 * Run: npx tsx bench/sim-jobs.ts [repeats=3] [nodes=10000] [jobs=2]
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from '../lib/config/schema';
import type { ModelIo } from '../sim/experiments/model';
import { loadPreset } from '../sim/experiments/presets';
import { runWithJobs } from '../sim/experiments/sweep-jobs';
import { copySweepSchema } from '../sim/models/copy-sweep/params';
import { copySweepModel } from '../sim/models/copy-sweep/plugin';

const repeats = Number(process.argv[2] ?? 3);
const nodes = Number(process.argv[3] ?? 10_000);
const jobs = Number(process.argv[4] ?? 2);
const params = resolve(
  copySweepSchema,
  [{ source: 'preset', tree: loadPreset('acr-copies-2026', 'copy-sweep').params }],
  [`workload.nodes=${nodes}`],
);

/** One run: wall ms and a digest of the result and every raw record, in order. */
async function once(j: number): Promise<{ ms: number; cpuMs: number; onWorkers: number; digest: string }> {
  const h = createHash('sha256');
  const io: ModelIo = { raw: (r) => h.update(JSON.stringify(r)), progress: () => {} };
  const t = performance.now();
  const c = process.cpuUsage();
  const { result, onWorkers } = await runWithJobs(
    copySweepModel,
    { name: copySweepModel.name },
    params,
    1,
    io,
    j,
  );
  const ms = performance.now() - t;
  const u = process.cpuUsage(c);
  h.update(JSON.stringify(result));
  // CPU of every thread of this process: above wall time only when threads ran at once.
  return { ms, cpuMs: (u.user + u.system) / 1000, onWorkers, digest: h.digest('hex').slice(0, 16) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const serial: number[] = [];
const parallel: number[] = [];
const cpu: string[] = [];
const onWorkers: number[] = [];
const digests = new Set<string>();
const loads: string[] = [loadavg()[0]?.toFixed(1) ?? '?'];
for (let i = 0; i < repeats; i++) {
  const s = await once(1);
  const p = await once(jobs);
  serial.push(s.ms);
  parallel.push(p.ms);
  cpu.push(`${s.cpuMs.toFixed(0)}/${p.cpuMs.toFixed(0)}`);
  onWorkers.push(p.onWorkers);
  digests.add(s.digest).add(p.digest);
  loads.push(loadavg()[0]?.toFixed(1) ?? '?');
}
const ratio = median(serial) / median(parallel);
console.log(
  `sim-jobs: ${params.sweep.copies.length} points (copies ${params.sweep.copies.join('/')}) x ${nodes} nodes; serial ms ${serial.map((w) => w.toFixed(0)).join(', ')} (median ${median(serial).toFixed(0)}); --jobs ${jobs} ms ${parallel.map((w) => w.toFixed(0)).join(', ')} (median ${median(parallel).toFixed(0)}; points on the worker ${onWorkers.join(', ')}); CPU ms serial/jobs ${cpu.join(', ')}; speed-up ${ratio.toFixed(2)}x; results ${digests.size === 1 ? 'identical' : 'DIFFER'}; 1-min load ${loads.join(' -> ')}`,
);
