/**
 * Benchmark: `stampede --help` as a whole process, from the prebuilt bundle
 * (dist/stampede.mjs) and from the sources through tsx (STAMPEDE_FROM_SOURCE=1), with
 * `node -e 0` as the floor every Node process pays, and `stampede sim --help` (the whole
 * CLI bundle; the root help has a small bundle of its own). Target: bundle median < 150 ms.
 * Runs alternate (node, bundle, sources, node, ...) so a change in machine load hits all
 * three alike; each process's CPU time (user + sys of the child) is printed beside wall,
 * because this 2-core machine is shared and load inflates wall time, not CPU time.
 * Run: npx tsx bench/cli-startup.ts [runs]   (default 21; 3 warm-up rounds first)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli, bundleStaleness } from '../scripts/build-cli.mjs';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'stampede.js');
const runs = Number(process.argv[2] ?? 21);

interface Sample {
  wallMs: number;
  cpuMs: number;
}
const cases: Array<{ name: string; args: string[]; env: NodeJS.ProcessEnv }> = [
  { name: 'node -e 0', args: ['-e', '0'], env: process.env },
  { name: 'bundle --help', args: [BIN, '--help'], env: { ...process.env, STAMPEDE_FROM_SOURCE: '' } },
  // A command's help loads the whole CLI bundle (the root help has its own small one).
  {
    name: 'bundle sim --help',
    args: [BIN, 'sim', '--help'],
    env: { ...process.env, STAMPEDE_FROM_SOURCE: '' },
  },
  { name: 'sources --help', args: [BIN, '--help'], env: { ...process.env, STAMPEDE_FROM_SOURCE: '1' } },
];

/** CPU (user + sys) of all waited-for children so far: cutime + cstime of /proc/self/stat. */
function childrenCpuMs(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the ')' start at field 3, so cutime (16) and cstime (17) are at 13 and 14.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // clock ticks of 10 ms (USER_HZ = 100)
}

/** One process, timed from spawn to exit. */
function once(args: string[], env: NodeJS.ProcessEnv): Sample {
  const cpu0 = childrenCpuMs();
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wallMs, cpuMs: childrenCpuMs() - cpu0 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

if (bundleStaleness()) await buildCli();
const samples = cases.map(() => [] as Sample[]);
for (let i = -3; i < runs; i++)
  cases.forEach((c, k) => {
    const s = once(c.args, c.env);
    if (i >= 0) samples[k]?.push(s);
  });
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`cli-startup: ${runs} runs each, alternating; load average ${load}`);
cases.forEach((c, k) => {
  const s = samples[k] as Sample[];
  const walls = s.map((x) => x.wallMs);
  console.log(
    `  ${c.name.padEnd(17)} wall median ${median(walls).toFixed(0)} ms (min ${Math.min(...walls).toFixed(0)}, max ${Math.max(...walls).toFixed(0)}); cpu median ${median(s.map((x) => x.cpuMs)).toFixed(0)} ms`,
  );
});
const med = (k: number, f: (x: Sample) => number) => median((samples[k] as Sample[]).map(f));
const floorWall = med(0, (x) => x.wallMs);
const floorCpu = med(0, (x) => x.cpuMs);
for (const k of [1, 2])
  console.log(
    `  ${cases[k]?.name} / node -e 0: wall ${(med(k, (x) => x.wallMs) / floorWall).toFixed(2)}x, cpu ${(med(k, (x) => x.cpuMs) / floorCpu).toFixed(2)}x; above the floor: wall +${(med(k, (x) => x.wallMs) - floorWall).toFixed(0)} ms, cpu +${(med(k, (x) => x.cpuMs) - floorCpu).toFixed(0)} ms`,
  );
