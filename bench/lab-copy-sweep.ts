/**
 * The copy-count loop end to end (figures, never assertions): a 16-backend lab with egress
 * ceilings low enough that few copies throttle, then
 *   1. `stampede run copy-sweep --set copies=1,2,4,8,16 --set vus=200` (measured),
 *   2. `stampede run copy-sweep --set copies=2,8 --set vus=400` (measured, never fitted),
 *   3. `stampede sim calibrate --target <1> --holdout C=4,C=16` (fit on 1, 2, 8 copies),
 *   4. `stampede sim calibrate --target <2> --preset <fit>` (the 400-VU points predicted,
 *      each with its own recorded placement, nothing fitted),
 * and prints measured vs predicted per point and figure, the backends' delivered peak vs
 * their ceiling, k6's CPU and peak RSS, the lab's peak RSS and the machine's load.
 *   node --import tsx bench/lab-copy-sweep.ts [memory-vus=1000] [skip-sweep=false] [keep-dir] [fit=true]
 * Then (memory) one cold-pull of `memory-vus` VUs through the same lab, digests verified on
 * 5% of pulls (the rest keep no body), with k6's and the lab's peak RSS (0: no memory step).
 * fit=false measures only (steps 1 and 2, into keep-dir), so the lab lock is not held through
 * the CPU-bound calibration; then, with no lab:
 *   node --import tsx bench/lab-copy-sweep.ts fit <keep-dir>
 * runs steps 3 and 4 on the kept sweeps and prints the same table.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../lib/cli/command';
import { labCommand } from '../lib/cli/commands/lab';
import { runScenarioCommand } from '../lib/cli/commands/run';
import { simCommand } from '../lib/cli/commands/sim';
import { labClient, labSocketPath } from '../lib/lab/lab-client';
import type { Envelope } from '../lib/results/envelope';

const fitOnly = process.argv[2] === 'fit';
const memoryVus = fitOnly ? 0 : Number(process.argv[2] ?? 1000);
const skipSweep = process.argv[3] === 'true';
// The measured runs and the fit stay here (argv[4], default: inside the temporary lab home,
// removed at the end), so a fit can be redone on them without measuring again.
const keep = fitOnly ? process.argv[3] : process.argv[4];
const doFit = process.argv[5] !== 'false';
const LAB = `benchsweep${process.pid}`;
const home = mkdtempSync(join(tmpdir(), 'stampede-bench-sweep-'));
process.env.STAMPEDE_LAB_HOME = home;
const CEILING = 4_000_000;
const LAYERS = Array(8)
  .fill(256 * 1024)
  .join(',');

const MiB = 2 ** 20;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** Peak RSS and CPU seconds of the k6 processes that run scripts under `dir` (their cmdline names it). */
function watchK6(dir: string): { stop(): { peakRssMiB: number; cpuS: number } } {
  let peak = 0;
  const cpu = new Map<number, number>();
  const tick = () => {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (!cmd.includes(dir) || !/(^|\/)k6\0/.test(cmd)) continue;
        const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d}/status`, 'utf8'));
        if (rss) peak = Math.max(peak, Number(rss[1]) * 1024);
        const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / 100);
      } catch {
        // gone between the listing and the read
      }
    }
  };
  const t = setInterval(tick, 200);
  return {
    stop() {
      clearInterval(t);
      return { peakRssMiB: Math.round(peak / MiB), cpuS: [...cpu.values()].reduce((a, b) => a + b, 0) };
    },
  };
}

function cpuOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

let labPid = 0;
async function sweep(out: string, copies: string, vus: number) {
  const k6 = watchK6(out);
  const lab0 = cpuOf(labPid);
  const before = load();
  const code = await runCommand(runScenarioCommand, [
    'copy-sweep',
    '--target',
    'lab',
    '--name',
    LAB,
    '--out',
    out,
    '--set',
    `copies=${copies}`,
    '--set',
    `vus=${vus}`,
    '--set',
    `layers=${LAYERS}`,
    '--set',
    'maxRetries=20',
  ]);
  const k = k6.stop();
  const env = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Envelope;
  return { code, env, k6: k, labCpuS: cpuOf(labPid) - lab0, load: `${before} -> ${load()}` };
}

const f2 = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(2));

function shape(env: Envelope) {
  return env.points.map((p) => {
    const m = p.metrics;
    const bs = (m.backends ?? []) as Array<{ bytes: number; peakEgressBps: number; ceilingBps: number }>;
    const busy = bs.filter((b) => b.bytes > 0);
    const wallS = Number(m.wallS);
    return {
      point: p.label,
      p50: f2(m.pullS?.p50),
      p90: f2(m.pullS?.p90),
      p99: f2(m.pullS?.p99),
      '503s': m.throttleEvents,
      failed: (m.pulls as { failed: number }).failed,
      hotPeakOverCeiling: f2(m.hotBackendRatio),
      backendsUsed: busy.length,
      deliveredMBps: (busy.reduce((a, b) => a + b.bytes, 0) / wallS / 1e6).toFixed(1),
      perVuMBps: f2((m.nodeEgressBps?.p50 ?? 0) / 1e6),
    };
  });
}

/** Steps 3 and 4: calibrate on the 200-VU sweep (C=4, C=16 held out), predict every measured point. */
async function fitAndPredict(dir200: string, dir400: string) {
  const t0 = Date.now();
  await runCommand(simCommand, [
    'calibrate',
    '--target',
    dir200,
    '--holdout',
    'C=4,C=16',
    '--iterations',
    '60',
    '--seeds',
    '2',
  ]);
  console.log(`calibrate: ${((Date.now() - t0) / 1000).toFixed(0)} s wall, load ${load()}`);
  // Step 4: the 400-VU sweep (other images, other placements) predicted by the fit.
  await runCommand(simCommand, [
    'calibrate',
    '--target',
    dir400,
    '--preset',
    join(dir200, 'sim-preset.json'),
    '--seeds',
    '2',
  ]);
}

if (fitOnly) {
  if (!keep) throw new Error('fit <keep-dir>: the directory a measuring run kept');
  await fitAndPredict(join(keep, 'sweep-200'), join(keep, 'sweep-400'));
  rmSync(home, { recursive: true, force: true });
  process.exit(0);
}

try {
  console.log(`load before lab up: ${load()} (${execFileSync('uptime').toString().trim()})`);
  const up = await runCommand(labCommand, [
    'up',
    '--detach',
    '--name',
    LAB,
    '--set',
    'storage.backends=16',
    '--set',
    'storage.copies=1',
    '--set',
    `storage.ceilingBps=${CEILING}`,
    '--set',
    'storage.streamBps=65536',
    '--set',
    'storage.minStreamBps=30000',
    '--set',
    'storage.retryAfterS=3',
  ]);
  if (up !== 0) throw new Error(`lab up exited ${up}`);
  const { pid } = await labClient(labSocketPath(LAB)).health();
  labPid = pid;
  let labPeak = 0;
  const sampler = setInterval(() => {
    labPeak = Math.max(labPeak, rssOf(pid));
  }, 250);
  if (!skipSweep) {
    const fit = join(keep ?? home, 'sweep-200');
    const a = await sweep(fit, '1,2,4,8,16', 200);
    console.log(
      `sweep 200 VUs: exit ${a.code}, k6 ${a.k6.cpuS.toFixed(1)} CPU-s over ${(a.env.runtime.wallMs / 1000).toFixed(0)} s, k6 peak RSS ${a.k6.peakRssMiB} MiB, lab ${a.labCpuS.toFixed(1)} CPU-s, load ${a.load}`,
    );
    console.table(shape(a.env));
    const b = await sweep(join(keep ?? home, 'sweep-400'), '2,8', 400);
    console.log(
      `sweep 400 VUs: exit ${b.code}, k6 ${b.k6.cpuS.toFixed(1)} CPU-s over ${(b.env.runtime.wallMs / 1000).toFixed(0)} s, k6 peak RSS ${b.k6.peakRssMiB} MiB, lab ${b.labCpuS.toFixed(1)} CPU-s, load ${b.load}`,
    );
    console.table(shape(b.env));
    if (doFit) await fitAndPredict(fit, join(keep ?? home, 'sweep-400'));
  }
  if (memoryVus > 0) {
    // Memory: one big cold pull, digests on a 5% sample, every backend holding a copy and no
    // ceiling (the per-stream rate stays): what is measured is the client's and the lab's memory.
    const labCpu0 = cpuOf(pid);
    labPeak = 0;
    await labClient(labSocketPath(LAB)).setStorage({ copies: 16, ceilingBps: 0 });
    const memOut = join(home, 'memory');
    const k6 = watchK6(memOut);
    const before = load();
    const code = await runCommand(runScenarioCommand, [
      'cold-pull',
      '--target',
      'lab',
      '--name',
      LAB,
      '--out',
      memOut,
      '--set',
      `vus=${memoryVus}`,
      '--set',
      'layers=1048576,1048576',
      '--set',
      'verifySample=0.05',
      '--set',
      'maxRetries=20',
      '--set',
      'maxDurationS=600',
    ]);
    const k = k6.stop();
    const env = JSON.parse(readFileSync(join(memOut, 'summary.json'), 'utf8')) as Envelope;
    console.log(
      JSON.stringify({
        memoryVus,
        exit: code,
        pulls: env.metrics.pulls,
        pullS: env.metrics.pullS,
        k6PeakRssMiB: k.peakRssMiB,
        k6CpuS: k.cpuS,
        labPeakRssMiB: Math.round(labPeak / MiB),
        labCpuS: cpuOf(pid) - labCpu0,
        load: `${before} -> ${load()}`,
      }),
    );
  }
  clearInterval(sampler);
} finally {
  await runCommand(labCommand, ['down', '--name', LAB]);
  rmSync(home, { recursive: true, force: true });
}
