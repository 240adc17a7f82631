/**
 * Scale-out bench (figures, never assertions): one lab (3 regions x 4 backends, 2 copies),
 * then `stampede run cold-pull` at 1,000 VUs as one k6 process and with `--shards 4`,
 * alternating (1, 4, 1, 4 by default) so a drift of the machine's load falls on both.
 *   node --import tsx bench/lab-shards.ts [--vus 1000] [--shards 4] [--pairs 2] [--layers 1048576,1048576]
 *     [--memory-mib N]   passes --k6-memory-mib N to both kinds of run (one budget for all k6 processes)
 *     [--verify-sample F] cold-pull's verifySample (share of pulls whose digests are checked; the
 *                        others keep no body): unset, the scenario's default (1)
 *     [--equal-threads]  the one process gets GOMAXPROCS = 2 x shards (the shards keep Go's
 *                        default, 2 each here): on a machine shared with other work the
 *                        kernel shares CPU per thread, and 4 processes would otherwise claim
 *                        4x the CPU of one, which is what the comparison would then measure
 * Prints per run: totals (pulls ok/failed, HTTP requests, bytes, token requests, blob
 * redirects, the VUs k6 reports), pull-duration quantiles, the peak summed RSS of the run's
 * k6 processes (sampled from /proc every 200 ms: processes whose command line names the
 * run's script), the lab supervisor's peak RSS over the run (same sampling), and two-sample Kolmogorov-Smirnov tests on the pull durations: each
 * one-process run against each sharded run, and (the noise floor) one-process runs
 * against each other; then the stated test: a run-level permutation test (runLevelTest: the
 * mean KS distance between one-process and sharded runs against the mean within each kind),
 * at alpha 0.05. Pooled KS at alpha 0.01 is printed too; it rejects two runs of one configuration.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCommand } from '../lib/cli/command';
import { labCommand } from '../lib/cli/commands/lab';
import { runScenarioCommand } from '../lib/cli/commands/run';
import { isPoint } from '../lib/k6/collect';
import { labClient, labSocketPath } from '../lib/lab/lab-client';
import type { Envelope } from '../lib/results/envelope';
import { ksTwoSample, runLevelTest } from '../lib/results/ks-test';
import { readNdjson } from '../lib/results/ndjson';

const { values: a } = parseArgs({
  options: {
    vus: { type: 'string', default: '1000' },
    shards: { type: 'string', default: '4' },
    pairs: { type: 'string', default: '2' },
    layers: { type: 'string', default: '1048576,1048576' },
    name: { type: 'string', default: 'benchshards' },
    octet: { type: 'string', default: '23' },
    'memory-mib': { type: 'string' },
    'verify-sample': { type: 'string' },
    'equal-threads': { type: 'boolean', default: false },
  },
});
const vus = Number(a.vus);
const shards = Number(a.shards);
const pairs = Number(a.pairs);
const LAB = a.name as string;
const home = mkdtempSync(join(tmpdir(), 'stampede-bench-shards-'));
process.env.STAMPEDE_LAB_HOME = home;

function rssKiB(pid: string): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS (KiB) of process `root` and of all its descendants (the lab: supervisor + registries), right now. */
function treeRssKiB(root: number): number {
  const parent = new Map<number, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      parent.set(Number(pid), Number(f[1]));
    } catch {
      // gone between the listing and the read
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++)
      if (p === root) return true;
    return false;
  };
  let kib = 0;
  for (const pid of parent.keys()) if (inTree(pid)) kib += rssKiB(String(pid));
  return kib;
}

/** Summed RSS (KiB) of the k6 processes running the script in `dir`, right now. */
function k6Rss(dir: string): { kib: number; pids: number } {
  let kib = 0;
  let pids = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'k6') continue;
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) continue;
    } catch {
      continue;
    }
    kib += rssKiB(pid);
    pids++;
  }
  return { kib, pids };
}

/** The lab supervisor (its storage backends, fronts and APIs run in it; the registries are children). */
let labPid = 0;

interface RunFigures {
  label: string;
  exit: number;
  pulls: unknown;
  http: number;
  bytes: number;
  tokenRequests: number;
  blobRedirects: number;
  vusMax: number;
  pullS: unknown;
  wallMs: number;
  peakK6RssMiB: number;
  k6Processes: number;
  peakLabRssMiB: number;
  peakLabTreeRssMiB: number;
  shardStatus?: unknown;
  backendMB: Record<string, number>;
  samples: number[];
}

let seeded = false;

async function oneRun(label: string, n: number): Promise<RunFigures> {
  const out = join(home, label);
  // Inherited by k6 (the run passes on everything but K6_* and STAMPEDE_*).
  if (a['equal-threads'] && n === 1) process.env.GOMAXPROCS = String(2 * shards);
  else delete process.env.GOMAXPROCS;
  let peak = 0;
  let procs = 0;
  let labPeak = 0;
  let labTreePeak = 0;
  let ticks = 0;
  const sampler = setInterval(() => {
    const r = k6Rss(out);
    peak = Math.max(peak, r.kib);
    procs = Math.max(procs, r.pids);
    labPeak = Math.max(labPeak, rssKiB(String(labPid)));
    // The whole tree once a second: listing /proc costs more than one status file.
    if (ticks++ % 5 === 0) labTreePeak = Math.max(labTreePeak, treeRssKiB(labPid));
  }, 200);
  const exit = await runCommand(runScenarioCommand, [
    'cold-pull',
    '--target',
    'lab',
    '--name',
    LAB,
    '--out',
    out,
    '--set',
    `vus=${vus}`,
    '--set',
    `layers=${a.layers}`,
    '--set',
    'maxDurationS=600',
    ...(n > 1 ? ['--shards', String(n)] : []),
    ...(a['memory-mib'] ? ['--k6-memory-mib', a['memory-mib']] : []),
    ...(a['verify-sample'] ? ['--set', `verifySample=${a['verify-sample']}`] : []),
    // The first run seeds the image; every later run pulls the same one. A fresh image per
    // run is a fresh placement (2 copies of 3 blobs over 4 backends: 2 or 3 backends serving),
    // which moved P50 by 40 % between runs of one kind and is not what the comparison is about.
    ...(seeded ? ['--set', 'seed=false'] : []),
  ]);
  seeded = true;
  clearInterval(sampler);
  const env = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Envelope;
  const m = env.metrics as Record<string, unknown> & {
    http: { requests: number };
    bytes: number;
    tokenRequests: number;
    blobRedirects: number;
  };
  const raw = readNdjson(join(out, 'raw.ndjson')).filter(isPoint);
  // k6's vus_max per process, summed over processes (shard tag; none for one process).
  const vusMax = new Map<string, number>();
  for (const p of raw)
    if (p.metric === 'vus_max') {
      const s = p.data.tags?.shard ?? '-';
      vusMax.set(s, Math.max(vusMax.get(s) ?? 0, p.data.value));
    }
  return {
    label,
    exit,
    pulls: m.pulls,
    http: m.http.requests,
    bytes: m.bytes,
    tokenRequests: m.tokenRequests,
    blobRedirects: m.blobRedirects,
    vusMax: [...vusMax.values()].reduce((x, y) => x + y, 0),
    pullS: m.pullS,
    wallMs: env.runtime.wallMs,
    peakK6RssMiB: Math.round(peak / 1024),
    k6Processes: procs,
    peakLabRssMiB: Math.round(labPeak / 1024),
    peakLabTreeRssMiB: Math.round(labTreePeak / 1024),
    ...(env.runtime.shards ? { shardStatus: env.runtime.shards } : {}),
    // Where the bytes came from (MB per backend): how one process and four spread over the lab.
    backendMB: Object.fromEntries(
      ((m.backends ?? []) as Array<{ id: string; bytes: number }>).map((b) => [
        b.id,
        Math.round(b.bytes / 1e6),
      ]),
    ),
    samples: raw.filter((p) => p.metric === 'pull_duration').map((p) => p.data.value),
  };
}

try {
  const up = await runCommand(labCommand, [
    'up',
    '--detach',
    '--name',
    LAB,
    '--set',
    `lab.octet=${a.octet}`,
    '--set',
    'storage.backends=4',
    '--set',
    'storage.copies=2',
  ]);
  if (up !== 0) throw new Error(`lab up exited ${up}`);
  labPid = (await labClient(labSocketPath(LAB)).health()).pid;
  const runs: RunFigures[] = [];
  for (let i = 0; i < pairs; i++) {
    runs.push(await oneRun(`one-${i}`, 1));
    runs.push(await oneRun(`shards${shards}-${i}`, shards));
  }
  for (const r of runs) {
    const { samples, ...rest } = r;
    console.log(JSON.stringify({ ...rest, pullSamples: samples.length }));
  }
  const ones = runs.filter((r) => r.label.startsWith('one-'));
  const many = runs.filter((r) => !r.label.startsWith('one-'));
  const ks = (x: RunFigures, y: RunFigures) => {
    const t = ksTwoSample(x.samples, y.samples);
    return { pair: `${x.label} vs ${y.label}`, D: +t.d.toFixed(4), p: +t.p.toPrecision(3), n: t.n, m: t.m };
  };
  for (const x of ones) for (const y of many) console.log(JSON.stringify({ ks: ks(x, y) }));
  for (let i = 0; i < ones.length; i++)
    for (let j = i + 1; j < ones.length; j++)
      console.log(JSON.stringify({ ksNoiseFloor: ks(ones[i] as RunFigures, ones[j] as RunFigures) }));
  for (let i = 0; i < many.length; i++)
    for (let j = i + 1; j < many.length; j++)
      console.log(JSON.stringify({ ksShardedPair: ks(many[i] as RunFigures, many[j] as RunFigures) }));
  // The stated test (the unit is the run, see runLevelTest): do one-process and sharded runs
  // differ by more than runs of one configuration differ among themselves? At alpha 0.05.
  const rl = runLevelTest(
    ones.map((r) => r.samples),
    many.map((r) => r.samples),
  );
  console.log(
    JSON.stringify({
      runLevel: {
        between: +rl.between.toFixed(4),
        within: +rl.within.toFixed(4),
        p: +rl.p.toFixed(4),
        labellings: rl.labellings,
        verdict: rl.p < 0.05 ? 'distinguishable' : 'indistinguishable at alpha 0.05',
      },
    }),
  );
} finally {
  await runCommand(labCommand, ['down', '--name', LAB]);
  rmSync(home, { recursive: true, force: true });
}
