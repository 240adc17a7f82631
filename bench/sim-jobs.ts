/**
 * Benchmark: a 5-point copy sweep (acr-copies-2026 preset) serial against `--jobs N` (sweep
 * points on worker threads, sim/experiments/sweep-jobs.ts), as a user runs it: the prebuilt
 * CLI (`bin/stampede.js`, its bundle and its worker bundle) as a whole process, so process
 * start and the workers' start are in the wall time. Runs alternate (serial, jobs, serial,
 * ...) so load changes hit both; prints each wall time, the medians, the ratio, the CPU time
 * (user + sys) of each process, how many points the workers computed, and whether the two
 * results are identical (summary.json without `runtime`, and every byte of raw.ndjson).
 * Target: --jobs 2 >= 1.6x faster than serial on a 2-core machine.
 * Run: npx tsx bench/sim-jobs.ts [repeats=3] [nodes=10000] [jobs=2]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli, bundleStaleness } from '../scripts/build-cli.mjs';

const repeats = Number(process.argv[2] ?? 3);
const nodes = Number(process.argv[3] ?? 10_000);
const jobs = Number(process.argv[4] ?? 2);
const BIN = fileURLToPath(new URL('../bin/stampede.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'stampede-bench-jobs-'));
if (bundleStaleness()) await buildCli();

/** One CLI run: wall ms, CPU ms of the process (all threads), points on workers, result digest. */
function once(j: number, i: number): { ms: number; cpuMs: number; onWorkers: number; digest: string } {
  const out = join(home, `j${j}-${i}`);
  const args = ['sim', 'copy-sweep', '--set', `workload.nodes=${nodes}`, '--jobs', String(j), '--out', out];
  // bash's `time` reports the child's user + sys CPU, which Node's spawn does not.
  const cmd = `TIMEFORMAT='%U %S'; time ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} ${args.join(' ')} > /dev/null`;
  const t = performance.now();
  const r = spawnSync('bash', ['-c', cmd], {
    encoding: 'utf8',
    env: { ...process.env, STAMPEDE_FROM_SOURCE: '' },
  });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`stampede exited ${r.status}: ${r.stderr.slice(-500)}`);
  const [user, sys] = (r.stderr.trim().split('\n').pop() ?? '0 0').split(' ').map(Number);
  const { runtime, ...rest } = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const h = createHash('sha256')
    .update(JSON.stringify(rest))
    .update(readFileSync(join(out, 'raw.ndjson')));
  rmSync(out, { recursive: true, force: true });
  return {
    ms,
    cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000,
    onWorkers: runtime?.pointsOnWorkers ?? 0,
    digest: h.digest('hex').slice(0, 16),
  };
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
try {
  for (let i = 0; i < repeats; i++) {
    const s = once(1, i);
    const p = once(jobs, i);
    serial.push(s.ms);
    parallel.push(p.ms);
    cpu.push(`${s.cpuMs.toFixed(0)}/${p.cpuMs.toFixed(0)}`);
    onWorkers.push(p.onWorkers);
    digests.add(s.digest).add(p.digest);
    loads.push(loadavg()[0]?.toFixed(1) ?? '?');
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
const ratio = median(serial) / median(parallel);
// Each pair ran back to back: its ratio sees one load level, the medians' ratio mixes them.
const pairRatios = serial.map((s, i) => s / (parallel[i] as number));
console.log(
  `sim-jobs (CLI bundle, whole process): 5-point copy sweep x ${nodes} nodes; serial ms ${serial.map((w) => w.toFixed(0)).join(', ')} (median ${median(serial).toFixed(0)}); --jobs ${jobs} ms ${parallel.map((w) => w.toFixed(0)).join(', ')} (median ${median(parallel).toFixed(0)}; points on workers ${onWorkers.join(', ')}); CPU ms serial/jobs ${cpu.join(', ')}; speed-up ${ratio.toFixed(2)}x (per pair ${pairRatios.map((r) => r.toFixed(2)).join(', ')}, median ${median(pairRatios).toFixed(2)}x); results ${digests.size === 1 ? 'identical' : 'DIFFER'}; 1-min load ${loads.join(' -> ')}`,
);
