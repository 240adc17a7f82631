/**
 * The lab's capacity benchmark (issue #3, "Capacity"): with 3 regions x 4 backends,
 *   (a) 1,000 concurrent blob downloads through the global name (token flow, 307 to a storage
 *       backend) finish with no error other than configured throttling: once with no ceiling
 *       (0 errors, 0 throttles expected) and once with a per-backend ceiling set through
 *       `lab storage --ceiling` low enough to throttle (503 ServerBusy allowed, nothing else);
 *   (b) the RSS of every lab process (guard, supervisor, each docker-registry), sampled every
 *       200 ms through the whole run, sums to under 2 GiB;
 *   (c) blob throughput through the front with no ceiling is >= 80% of downloading the same
 *       blobs straight from the region's registry server (registryIp:5000, no auth).
 * Every download is made by the real k6 (bench/k6/lab-capacity.ts) inside the lab's
 * namespace, so the client is the same on both sides of (c); byte counts are always checked,
 * digests on every verified pass.
 *
 *   npx tsx bench/lab-capacity.ts [--vus 1000] [--blob-mib 1] [--blobs 8] [--per-vu 1]
 *     [--ceiling 32Mi] [--ceiling-retries 30] [--tp-blob-mib 64] [--tp-blobs 4] [--tp-vus 4]
 *     [--tp-rounds 5] [--name benchcap] [--out DIR] [--skip concurrency,throughput]
 *
 * Prints a table, writes the result envelope (kind k6, name lab-capacity) to
 * <out>/summary.json (default runs/lab-capacity-<time>; `stampede report <out>` renders it),
 * and exits 1 if a target is missed. The lab is always taken down, whatever happened.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Io, runCommand } from '../lib/cli/command';
import { labCommand } from '../lib/cli/commands/lab';
import { resolve as resolveParams } from '../lib/config/schema';
import { bundleScenario, REPO_ROOT } from '../lib/k6/bundle';
import { isPoint, type K6Point } from '../lib/k6/collect';
import { prepareLabTarget } from '../lib/k6/lab-target';
import { runK6 } from '../lib/k6/run';
import { type ColdPullParams, coldPullSchema } from '../lib/k6/scenarios';
import { labProcesses } from '../lib/lab/cleanup';
import { labSchema } from '../lib/lab/config';
import { labClient, labSocketPath, labTopologyByName } from '../lib/lab/lab-client';
import { nsExec } from '../lib/lab/netns';
import type { LabStatus } from '../lib/lab/supervisor';
import type { BackendStat, Envelope, Metrics, Point, Quantiles } from '../lib/results/envelope';
import { ndjsonWriter, readNdjson } from '../lib/results/ndjson';
import { createRunDir, ensureRunDir, writeSummary } from '../lib/results/run-dir';
import { egressQuantiles, quantiles } from '../lib/results/stats';

const MiB = 1 << 20;
const GiB = 1 << 30;
const MEMORY_TARGET = 2 * GiB;
const RATIO_TARGET = 0.8;

const { values: a } = parseArgs({
  options: {
    vus: { type: 'string', default: '1000' },
    'blob-mib': { type: 'string', default: '1' },
    blobs: { type: 'string', default: '8' },
    'per-vu': { type: 'string', default: '1' },
    ceiling: { type: 'string', default: '32Mi' },
    retries: { type: 'string', default: '5' },
    'ceiling-retries': { type: 'string', default: '30' },
    'tp-blob-mib': { type: 'string', default: '64' },
    'tp-blobs': { type: 'string', default: '4' },
    'tp-vus': { type: 'string', default: '4' },
    'tp-rounds': { type: 'string', default: '5' },
    name: { type: 'string', default: 'benchcap' },
    out: { type: 'string' },
    skip: { type: 'string', default: '' },
  },
});

function intArg(key: keyof typeof a, min: number, max: number): number {
  const n = Number(a[key]);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`--${key}: expected an integer in [${min}, ${max}], got ${a[key]}\n`);
    process.exit(2);
  }
  return n;
}
const opt = {
  vus: intArg('vus', 1, 5000),
  blobMiB: Number(a['blob-mib']),
  blobs: intArg('blobs', 1, 64),
  perVu: intArg('per-vu', 1, 16),
  ceilingBps: labSchema.storage.ceilingBps.parse(a.ceiling as string, '--ceiling'),
  retries: intArg('retries', 0, 50),
  ceilingRetries: intArg('ceiling-retries', 0, 100),
  tpBlobMiB: intArg('tp-blob-mib', 1, 1024),
  tpBlobs: intArg('tp-blobs', 1, 16),
  tpVus: intArg('tp-vus', 1, 64),
  tpRounds: intArg('tp-rounds', 1, 20),
  name: labSchema.lab.name.check(a.name, '--name'),
  skip: new Set((a.skip as string).split(',').filter(Boolean)),
};
if (!(opt.blobMiB > 0 && opt.blobMiB <= 256)) {
  process.stderr.write(`--blob-mib: expected a number in (0, 256], got ${a['blob-mib']}\n`);
  process.exit(2);
}
if (!opt.name.startsWith('bench')) {
  process.stderr.write(`--name: bench labs are named bench*, got ${opt.name}\n`);
  process.exit(2);
}

const LAB = opt.name;
const outDir = a.out === undefined ? createRunDir('lab-capacity') : ensureRunDir(a.out);
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const quiet: Io = { out: () => {}, err: (t) => log(`  ${t}`), tty: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => b / MiB;
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

// ---------------------------------------------------------------- memory sampling

interface Proc {
  pid: number;
  role: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
const rssOf = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) * 1024 : 0;
};
const netnsOf = (pid: number) => {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
};
/** utime + stime in clock ticks (USER_HZ, 100 on Linux). */
const cpuTicks = (pid: number) => {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};
/** Busy CPU ticks of the whole box (all cores): /proc/stat minus idle and iowait. */
const boxBusyTicks = () => {
  const f = (read('/proc/stat') ?? '').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  if (f.length < 5) return undefined;
  return f.slice(0, 8).reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0);
};
const fdCount = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
};

/** What a lab process is, from its command line; undefined for clients (k6, ip, the seeder). */
function roleOf(pid: number): string | undefined {
  const cmd = (read(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ');
  const comm = (read(`/proc/${pid}/comm`) ?? '').trim();
  if (!cmd || comm === 'k6' || comm === 'ip' || cmd.includes('seed.ts') || cmd.includes('/.tools/bin/k6'))
    return undefined;
  if (cmd.includes('daemon-main.ts guard')) return 'guard';
  if (cmd.includes('daemon-main.ts serve')) return 'supervisor';
  if (comm === 'docker-registry' || cmd.includes('docker-registry')) {
    const region = /regions\/([a-z0-9-]+)\//.exec(cmd)?.[1];
    return `registry:${region ?? pid}`;
  }
  return `other:${comm}`;
}

/**
 * Every lab process: those naming the state dir on their command line (guard, supervisor,
 * registries) and everything else inside the lab's namespace, minus the clients we run there.
 */
function labProcs(stateDir: string): Proc[] {
  const pids = new Set(labProcesses(stateDir));
  const sup = [...pids].find((p) => roleOf(p) === 'supervisor');
  const ns = sup ? netnsOf(sup) : undefined;
  if (ns && ns !== netnsOf(process.pid))
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (Number.isInteger(pid) && netnsOf(pid) === ns) pids.add(pid);
    }
  const out: Proc[] = [];
  for (const pid of pids) {
    const role = roleOf(pid);
    if (role) out.push({ pid, role });
  }
  return out;
}

interface MemSample {
  t: number;
  phase: string;
  total: number;
  byRole: Record<string, number>;
  k6: number;
}

function memorySampler(stateDir: string, raw: ReturnType<typeof ndjsonWriter>) {
  let procs: Proc[] = [];
  let lastScan = 0;
  let phase = 'start';
  const t0 = Date.now();
  const samples: MemSample[] = [];
  const peakByRole: Record<string, number> = {};
  const peakByPhase: Record<string, number> = {};
  const k6Peak: Record<string, number> = {};
  /** CPU seconds used since the previous tick, per role (k6 and the whole box included). */
  const cpu: Array<{ at: number; s: Record<string, number> }> = [];
  const lastTicks = new Map<number, number>();
  let cur: Record<string, number> = {};
  const addCpu = (key: number, role: string, ticks: number | undefined) => {
    if (ticks === undefined) return;
    const prev = lastTicks.get(key);
    lastTicks.set(key, ticks);
    if (prev !== undefined) cur[role] = (cur[role] ?? 0) + (ticks - prev) / 100;
  };
  const tick = () => {
    const now = Date.now();
    if (now - lastScan >= 1000 || procs.length === 0) {
      procs = labProcs(stateDir);
      lastScan = now;
    }
    const byRole: Record<string, number> = {};
    let total = 0;
    for (const p of procs) {
      const r = rssOf(p.pid);
      byRole[p.role] = (byRole[p.role] ?? 0) + r;
      total += r;
      addCpu(p.pid, p.role, cpuTicks(p.pid));
    }
    // k6 inside this lab's namespace only (other labs on the box run their own k6).
    const sup = procs.find((p) => p.role === 'supervisor');
    const ns = sup ? netnsOf(sup.pid) : undefined;
    let k6 = 0;
    if (ns)
      for (const name of readdirSync('/proc'))
        if (
          /^\d+$/.test(name) &&
          read(`/proc/${name}/comm`)?.trim() === 'k6' &&
          netnsOf(Number(name)) === ns
        ) {
          k6 += rssOf(Number(name));
          addCpu(Number(name), 'k6', cpuTicks(Number(name)));
        }
    addCpu(-1, 'box', boxBusyTicks());
    cpu.push({ at: now, s: cur });
    cur = {};
    for (const [k, v] of Object.entries(byRole)) peakByRole[k] = Math.max(peakByRole[k] ?? 0, v);
    peakByPhase[phase] = Math.max(peakByPhase[phase] ?? 0, total);
    k6Peak[phase] = Math.max(k6Peak[phase] ?? 0, k6);
    const s = { t: (now - t0) / 1000, phase, total, byRole, k6 };
    samples.push(s);
    raw.write({ t: s.t, point: phase, labRssMiB: mib(total), k6RssMiB: mib(k6) });
  };
  const timer = setInterval(tick, 200);
  tick();
  return {
    setPhase(p: string) {
      phase = p;
    },
    stop() {
      clearInterval(timer);
    },
    procs: () => procs,
    samples,
    peakByRole,
    peakByPhase,
    k6Peak,
    /** % of one core per role between two epoch-ms instants; `other` = box minus lab and k6. */
    cpuBetween(from: number, to: number): Record<string, number> {
      const sum: Record<string, number> = {};
      for (const c of cpu)
        if (c.at > from && c.at <= to + 200)
          for (const [k, v] of Object.entries(c.s)) sum[k] = (sum[k] ?? 0) + v;
      const span = Math.max(0.2, (to + 200 - from) / 1000);
      const box = sum.box ?? 0;
      delete sum.box;
      const mine = Object.values(sum).reduce((x, y) => x + y, 0);
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(sum)) if (v > 0) out[k] = Math.round((100 * v) / span);
      out.other = Math.max(0, Math.round((100 * (box - mine)) / span));
      return out;
    },
    peakTotal: () => Math.max(0, ...samples.map((s) => s.total)),
  };
}

// ---------------------------------------------------------------- lab helpers

interface Blob {
  digest: string;
  size: number;
}

/** Seeds repo:tag through the client region's front (token flow), inside the namespace. */
async function seed(image: string, sizes: number[]): Promise<Blob[]> {
  const args = [
    join(REPO_ROOT, 'bin/stampede.js'),
    'lab',
    'exec',
    '--name',
    LAB,
    '--',
    process.execPath,
    '--import',
    'tsx',
    join(REPO_ROOT, 'lib/lab/seed.ts'),
    '--name',
    LAB,
    '--image',
    image,
    '--layers',
    sizes.join(','),
  ];
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(new Error(`seeding ${image} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  const r = JSON.parse(line) as { layers: Blob[] };
  return r.layers;
}

async function waitReplicated(timeoutMs: number): Promise<number> {
  const client = labClient(labSocketPath(LAB));
  const start = Date.now();
  // The replicator needs a moment (baseLagS) before a push shows up in its backlog.
  await sleep(1500);
  while (Date.now() - start < timeoutMs) {
    const rep = (await client.status()).replication;
    const left = Object.values(rep?.regions ?? {}).reduce((s, r) => s + r.backlog.items, 0);
    if (left === 0) return Date.now() - start;
    await sleep(500);
  }
  throw new Error(`replication backlog not empty after ${timeoutMs / 1000} s`);
}

// ---------------------------------------------------------------- k6 phases

interface PhaseResult {
  label: string;
  ok: number;
  failedThrottled: number;
  failedError: number;
  errorsByCode: Record<string, number>;
  throttled: number;
  throttleByCode: Record<string, number>;
  bytes: number;
  redirects: number;
  /** First send to last answer over the phase (s). */
  windowS: number;
  /** Epoch ms of the first send and the last answer. */
  from: number;
  to: number;
  /** % of one core per lab process (and k6, and `other` = the rest of the box) over [from, to]. */
  cpu: Record<string, number>;
  throughputBps: number;
  peakInFlight: number;
  blobS: number[];
  lateMs: number[];
  backends: Array<BackendStat & { throttled: number; requests: number; lifetimePeakEgressBps: number }>;
  /** k6's per-hop timings of blob requests (ms): front = the 307, storage = the backend, registry = direct. */
  hops: Record<string, { n: number; waitingMs: Quantiles; receivingMs: Quantiles; blockedMs: Quantiles }>;
  peakBackendActive: number;
  k6Exit: number | null;
  incomplete?: string;
}

/** Highest rate over windows of >= 1 s between byte-count samples of one backend. */
function phasePeak(samples: Array<{ at: number; bytes: Record<string, number> }>, id: string): number {
  let peak = 0;
  let j = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = samples[i]!;
    if (j <= i) j = i + 1;
    while (j < samples.length && samples[j]!.at - a.at < 1000) j++;
    const b = samples[j];
    if (!b) break;
    const rate = (((b.bytes[id] ?? 0) - (a.bytes[id] ?? 0)) * 1000) / (b.at - a.at);
    if (rate > peak) peak = rate;
  }
  return peak;
}

function sweepPeak(starts: number[], ends: number[]): number {
  const ev = [...starts.map((t) => [t, 1] as const), ...ends.map((t) => [t, -1] as const)].sort(
    (x, y) => x[0] - y[0] || x[1] - y[1],
  );
  let cur = 0;
  let peak = 0;
  for (const [, d] of ev) {
    cur += d;
    peak = Math.max(peak, cur);
  }
  return peak;
}

function summarise(
  label: string,
  points: K6Point[],
): Omit<PhaseResult, 'backends' | 'peakBackendActive' | 'k6Exit' | 'cpu'> {
  const r = {
    label,
    ok: 0,
    failedThrottled: 0,
    failedError: 0,
    errorsByCode: {} as Record<string, number>,
    throttled: 0,
    throttleByCode: {} as Record<string, number>,
    bytes: 0,
    redirects: 0,
    windowS: 0,
    from: 0,
    to: 0,
    throughputBps: 0,
    peakInFlight: 0,
    blobS: [] as number[],
    lateMs: [] as number[],
  };
  const t0: number[] = [];
  const t1: number[] = [];
  const hop: Record<string, Record<string, number[]>> = {};
  for (const p of points) {
    const v = p.data.value;
    const tags = p.data.tags ?? {};
    if (tags.step === 'blob' && /^http_req_(waiting|receiving|blocked)$/.test(p.metric)) {
      const url = tags.url ?? '';
      const h = url.includes('.blob.') ? 'storage' : /:5000\//.test(url) ? 'registry' : 'front';
      const m = p.metric.slice('http_req_'.length);
      const byMetric = hop[h] ?? {};
      hop[h] = byMetric;
      const list = byMetric[m] ?? [];
      byMetric[m] = list;
      list.push(v);
      continue;
    }
    switch (p.metric) {
      case 'blob_ok':
        r.ok += v;
        break;
      case 'blob_failed':
        if (tags.kind === 'throttled') r.failedThrottled += v;
        else r.failedError += v;
        r.errorsByCode[tags.code ?? 'UNKNOWN'] = (r.errorsByCode[tags.code ?? 'UNKNOWN'] ?? 0) + v;
        break;
      case 'throttled':
        r.throttled += v;
        r.throttleByCode[tags.code ?? '?'] = (r.throttleByCode[tags.code ?? '?'] ?? 0) + v;
        break;
      case 'blob_bytes':
        r.bytes += v;
        break;
      case 'blob_redirects':
        r.redirects += v;
        break;
      case 'blob_duration':
        r.blobS.push(v / 1000);
        break;
      case 'barrier_late_ms':
        r.lateMs.push(v);
        break;
      case 'dl_t0':
        t0.push(v);
        break;
      case 'dl_t1':
        t1.push(v);
        break;
    }
  }
  if (t0.length && t1.length) {
    r.from = Math.min(...t0);
    r.to = Math.max(...t1);
    r.windowS = (r.to - r.from) / 1000;
    r.throughputBps = r.windowS > 0 ? r.bytes / r.windowS : 0;
    r.peakInFlight = sweepPeak(t0, t1);
  }
  const hops: PhaseResult['hops'] = {};
  for (const [h, m] of Object.entries(hop))
    hops[h] = {
      n: m.waiting?.length ?? 0,
      waitingMs: quantiles(m.waiting ?? []),
      receivingMs: quantiles(m.receiving ?? []),
      blockedMs: quantiles(m.blocked ?? []),
    };
  return { ...r, hops };
}

interface PhaseSpec {
  label: string;
  dir: string;
  mode: 'concurrency' | 'throughput';
  base: string;
  repo: string;
  blobs: Blob[];
  vus: number;
  perVu: number;
  barrierS: number;
  retries: number;
  verify: boolean;
  auth: boolean;
  maxDurationS: number;
}

async function runPhase(
  s: PhaseSpec,
  ctx: { script: string; labEnv: Record<string, string>; ns: string; mem: ReturnType<typeof memorySampler> },
): Promise<PhaseResult> {
  const client = labClient(labSocketPath(LAB), { timeoutMs: 10_000 });
  const before = (await client.status()).backends;
  ctx.mem.setPhase(s.label);
  const env: Record<string, string> = {
    CAP_BASE: s.base,
    CAP_REPO: s.repo,
    CAP_BLOBS: JSON.stringify(s.blobs),
    CAP_MODE: s.mode,
    CAP_VUS: String(s.vus),
    CAP_PER_VU: String(s.perVu),
    CAP_BARRIER_S: String(s.barrierS),
    CAP_MAX_RETRIES: String(s.retries),
    CAP_VERIFY: s.verify ? '1' : '0',
    CAP_MAX_DURATION_S: String(s.maxDurationS),
  };
  // The registry server takes no credentials: leave the AAD client out entirely.
  const labEnv = s.auth
    ? ctx.labEnv
    : Object.fromEntries(Object.entries(ctx.labEnv).filter(([k]) => !k.startsWith('STAMPEDE_AAD_')));
  // Active streams on the backends, sampled from the lab while k6 runs (no overlapping calls).
  let peakBackendActive = 0;
  const byteSamples: Array<{ at: number; bytes: Record<string, number> }> = [];
  let busy = false;
  let sampling = true;
  const activeSampler = (async () => {
    while (sampling) {
      if (!busy) {
        busy = true;
        try {
          const st = await client.status();
          byteSamples.push({
            at: Date.now(),
            bytes: Object.fromEntries(st.backends.map((b) => [b.id, b.bytes])),
          });
          peakBackendActive = Math.max(
            peakBackendActive,
            st.backends.reduce((n, b) => n + b.active, 0),
          );
        } catch {
          // a busy supervisor may miss a sample; the k6-side sweep still counts
        }
        busy = false;
      }
      await sleep(250);
    }
  })();
  const started = Date.now();
  const res = await runK6({
    script: ctx.script,
    runDir: ensureRunDir(join(outDir, s.dir)),
    env: { ...labEnv, ...env },
    prefix: nsExec(ctx.ns),
    timeoutMs: (s.maxDurationS + 120) * 1000,
    progressMetric: 'blob_ok',
    onLine: (line) => {
      if (/level=(error|warning)/.test(line)) log(`  k6: ${line.slice(0, 300)}`);
    },
  });
  sampling = false;
  await activeSampler;
  ctx.mem.setPhase('idle');
  const after = (await client.status()).backends;
  const points = readNdjson<unknown>(res.rawPath).filter(isPoint);
  const r = summarise(s.label, points);
  const backends = after.map((b) => {
    const was = before.find((x) => x.id === b.id);
    return {
      id: b.id,
      bytes: b.bytes - (was?.bytes ?? 0),
      // The backend's own peak is over its lifetime; this is this phase's (>= 1 s windows).
      peakEgressBps: phasePeak(byteSamples, b.id),
      lifetimePeakEgressBps: b.peakEgressBps,
      ceilingBps: b.ceilingBps,
      throttled: b.throttled - (was?.throttled ?? 0),
      requests: b.requests - (was?.requests ?? 0),
    };
  });
  const incomplete = res.timedOut
    ? 'k6 timed out'
    : res.exitCode !== 0
      ? `k6 exited ${res.exitCode}: ${res.tail.slice(-3).join(' | ')}`
      : undefined;
  log(
    `  ${s.label}: ${r.ok} ok, ${r.failedThrottled} gave up throttled, ${r.failedError} errors, ${r.throttled} throttled answers, ${fmt(mib(r.bytes), 0)} MiB in ${fmt(r.windowS, 2)} s (${fmt(r.throughputBps / 1e6)} MB/s), ${Math.round((Date.now() - started) / 1000)} s wall`,
  );
  if (incomplete) log(`  ${s.label}: ${incomplete}`);
  const cpu = r.to > r.from ? ctx.mem.cpuBetween(r.from, r.to) : {};
  log(
    `  ${s.label}: CPU % of a core over the ${fmt(r.windowS, 2)} s window: ${Object.entries(cpu)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  return {
    ...r,
    cpu,
    backends,
    peakBackendActive,
    k6Exit: res.exitCode,
    ...(incomplete ? { incomplete } : {}),
  };
}

// ---------------------------------------------------------------- main

const startedAt = new Date();
const topo = labTopologyByName(LAB);
const raw = ndjsonWriter(join(outDir, 'raw.ndjson'));
let mem: ReturnType<typeof memorySampler> | undefined;
let exitCode = 1;
const phases: PhaseResult[] = [];
const throughput: { direct: PhaseResult[]; front: PhaseResult[] } = { direct: [], front: [] };
/** The verified (sha256) passes before the timed rounds. */
const warmups: PhaseResult[] = [];
const notes: string[] = [];
let statusAfter: LabStatus | undefined;
let fds: { supervisorBefore: number; supervisorAfter: number } | undefined;
let replicationMs = 0;
let directRole = 'registry:eastus';

try {
  log(`lab ${LAB}: up (3 regions x 4 backends, copies 2); results in ${outDir}`);
  const up = await runCommand(
    labCommand,
    ['up', '--detach', '--name', LAB, '--set', 'storage.backends=4', '--set', 'storage.copies=2'],
    quiet,
  );
  if (up !== 0) throw new Error(`lab up exited ${up}`);
  mem = memorySampler(topo.stateDir, raw);
  const client = labClient(labSocketPath(LAB));
  const [{ config, topology, netns }, status] = await Promise.all([client.config(), client.status()]);
  if (!netns) throw new Error(`lab ${LAB} has no namespace (${status.netns.reason}): this bench needs root`);
  if (config.regions.names.length !== 3 || config.storage.backends !== 4)
    throw new Error('the capacity target is defined for 3 regions x 4 backends');
  const procs = mem.procs();
  log(`  lab processes: ${procs.map((p) => `${p.role}(${p.pid})`).join(', ')}`);
  const supervisorPid = procs.find((p) => p.role === 'supervisor')?.pid ?? status.pid;

  mem.setPhase('seed');
  const small = 'bench/capacity-small:v1';
  const big = 'bench/capacity-big:v1';
  const smallSize = Math.round(opt.blobMiB * MiB);
  const tStart = Date.now();
  const smallBlobs = opt.skip.has('concurrency') ? [] : await seed(small, Array(opt.blobs).fill(smallSize));
  const bigBlobs = opt.skip.has('throughput')
    ? []
    : await seed(big, Array(opt.tpBlobs).fill(opt.tpBlobMiB * MiB));
  log(
    `  seeded ${smallBlobs.length} x ${fmt(opt.blobMiB, 2)} MiB and ${bigBlobs.length} x ${opt.tpBlobMiB} MiB in ${Math.round((Date.now() - tStart) / 1000)} s`,
  );
  // Replication to the other regions reads and writes every byte: let it finish first.
  replicationMs = await waitReplicated(300_000);
  log(`  replication backlog empty after ${fmt(replicationMs / 1000)} s`);
  mem.setPhase('idle');
  fds = { supervisorBefore: fdCount(supervisorPid), supervisorAfter: 0 };

  const script = await bundleScenario(join(REPO_ROOT, 'bench/k6/lab-capacity.ts'), join(outDir, 'k6'));
  const params = resolveParams(coldPullSchema, [], ['seed=false']) as ColdPullParams;
  const target = await prepareLabTarget({ config, topology, netns, hosts: status.endpoints.hosts }, params);
  const ctx = { script, labEnv: target.env, ns: topology.namespace, mem };
  const client1 =
    topology.regions.find((r) => r.name === config.regions.clientRegion) ?? topology.regions[0]!;
  const reg = config.registry.names[0] as string;
  const direct = `http://${client1.registryIp}:${client1.registryPort}`;
  directRole = `registry:${client1.name}`;

  if (!opt.skip.has('throughput')) {
    const tp = (label: string, dir: string, viaFront: boolean, verify: boolean): PhaseSpec => ({
      label,
      dir,
      mode: 'throughput',
      base: viaFront ? target.base : direct,
      repo: viaFront ? 'bench/capacity-big' : `${reg}/bench/capacity-big`,
      blobs: bigBlobs,
      vus: opt.tpVus,
      perVu: 1,
      barrierS: 3,
      retries: 0,
      verify,
      auth: viaFront,
      maxDurationS: 300,
    });
    log('throughput: verified warm-up pass each way (digests checked, page cache warm)');
    const wd = await runPhase(tp('throughput warm-up direct', 'tp-warm-direct', false, true), ctx);
    const wf = await runPhase(tp('throughput warm-up front', 'tp-warm-front', true, true), ctx);
    warmups.push(wd, wf);
    for (const w of warmups)
      if (w.failedError || w.failedThrottled || w.ok !== opt.tpVus * opt.tpBlobs)
        notes.push(`${w.label}: ${w.ok} ok, errors ${JSON.stringify(w.errorsByCode)}`);
    for (let round = 1; round <= opt.tpRounds; round++) {
      // Alternate, so a disturbance from elsewhere on the box hits both sides alike.
      const order = round % 2 === 1 ? (['direct', 'front'] as const) : (['front', 'direct'] as const);
      for (const side of order) {
        const r = await runPhase(
          tp(`throughput ${side} r${round}`, `tp-${side}-r${round}`, side === 'front', false),
          ctx,
        );
        throughput[side].push(r);
      }
    }
  }

  if (!opt.skip.has('concurrency')) {
    const barrierS = 5 + Math.ceil(opt.vus / 100);
    const cc = (label: string, dir: string, retries: number): PhaseSpec => ({
      label,
      dir,
      mode: 'concurrency',
      base: target.base,
      repo: 'bench/capacity-small',
      blobs: smallBlobs,
      vus: opt.vus,
      perVu: opt.perVu,
      barrierS,
      retries,
      verify: true,
      auth: true,
      maxDurationS: 600,
    });
    log(`concurrency: ${opt.vus} VUs x ${opt.perVu} blob(s) of ${fmt(opt.blobMiB, 2)} MiB, no ceiling`);
    phases.push(await runPhase(cc('concurrency, no ceiling', 'cc-no-ceiling', opt.retries), ctx));
    const ceilingArg = String(opt.ceilingBps);
    if ((await runCommand(labCommand, ['storage', '--name', LAB, '--ceiling', ceilingArg], quiet)) !== 0)
      throw new Error('lab storage --ceiling failed');
    log(
      `concurrency: same, per-backend ceiling ${fmt(mib(opt.ceilingBps))} MiB/s (lab storage --ceiling ${ceilingArg})`,
    );
    await sleep(1000);
    phases.push(
      await runPhase(
        cc(`concurrency, ceiling ${fmt(mib(opt.ceilingBps), 0)} MiB/s`, 'cc-ceiling', opt.ceilingRetries),
        ctx,
      ),
    );
    await runCommand(labCommand, ['storage', '--name', LAB, '--ceiling', '0'], quiet);
  }
  await sleep(2000); // let closed connections and fd caches settle before the leak check
  fds.supervisorAfter = fdCount(supervisorPid);
  statusAfter = await client.status();
  mem.stop();
  exitCode = 0;
} catch (e) {
  log(`bench failed: ${(e as Error).stack ?? e}`);
  exitCode = 1;
} finally {
  mem?.stop();
  raw.close();
  log(`lab ${LAB}: down`);
  await runCommand(labCommand, ['down', '--name', LAB], quiet).catch((e) => log(`lab down: ${e}`));
}

// ---------------------------------------------------------------- results

const agg = (rs: PhaseResult[]) => {
  const bytes = rs.reduce((s, r) => s + r.bytes, 0);
  const windowS = rs.reduce((s, r) => s + r.windowS, 0);
  return { bytes, windowS, bps: windowS > 0 ? bytes / windowS : 0, runs: rs.map((r) => r.throughputBps) };
};
const tpDirect = agg(throughput.direct);
const tpFront = agg(throughput.front);
const aggRatio = tpDirect.bps > 0 ? tpFront.bps / tpDirect.bps : 0;
// Round k's direct and front runs ran back to back: their ratio cancels slow drifts of the
// box; the median of those ratios is the verdict (one disturbed run cannot swing it).
const pairRatios = throughput.front
  .map((f, k) => {
    const d = throughput.direct[k];
    return d && d.throughputBps > 0 ? f.throughputBps / d.throughputBps : Number.NaN;
  })
  .filter(Number.isFinite);
const ratio = pairRatios.length ? quantiles(pairRatios).p50 : 0;
/** CPU seconds the serving process spent per GiB delivered, over a set of rounds. */
const serverCpu = (rs: PhaseResult[], role: string) => {
  const cpuS = rs.reduce((s, r) => s + ((r.cpu[role] ?? 0) / 100) * r.windowS, 0);
  const bytes = rs.reduce((s, r) => s + r.bytes, 0);
  return bytes > 0 ? cpuS / (bytes / GiB) : Number.NaN;
};
const peakMem = mem?.peakTotal() ?? 0;
const expected = opt.vus * opt.perVu;
const noCeil = phases[0];
const withCeil = phases[1];
const tpBytesOk = [...warmups, ...throughput.direct, ...throughput.front].every(
  (r) => r.ok === opt.tpVus * opt.tpBlobs && r.failedError === 0 && r.bytes === r.ok * opt.tpBlobMiB * MiB,
);

const targets = {
  concurrency:
    !!noCeil &&
    !!withCeil &&
    noCeil.ok === expected &&
    noCeil.failedError + noCeil.failedThrottled === 0 &&
    noCeil.throttled === 0 &&
    withCeil.failedError === 0 &&
    withCeil.ok + withCeil.failedThrottled === expected &&
    !noCeil.incomplete &&
    !withCeil.incomplete,
  memory: peakMem > 0 && peakMem < MEMORY_TARGET,
  throughput: ratio >= RATIO_TARGET && tpBytesOk,
};
if (withCeil && withCeil.throttled === 0)
  notes.push('the ceiling run saw no 503: the ceiling was not low enough to throttle');
if (withCeil)
  for (const b of withCeil.backends)
    if (b.ceilingBps > 0 && b.peakEgressBps > 1.1 * b.ceilingBps)
      notes.push(
        `${b.id} delivered ${fmt(b.peakEgressBps / 1e6)} MB/s over its ${fmt(b.ceilingBps / 1e6)} MB/s ceiling`,
      );
if (fds && fds.supervisorAfter > fds.supervisorBefore + 20)
  notes.push(`supervisor fds grew from ${fds.supervisorBefore} to ${fds.supervisorAfter} over the runs`);
const unhealthy = statusAfter?.components.filter((c) => !c.ok) ?? [];
if (unhealthy.length)
  notes.push(`unhealthy after the runs: ${unhealthy.map((c) => `${c.name} (${c.detail})`).join('; ')}`);
const repErrors = Object.values(statusAfter?.replication?.regions ?? {}).reduce(
  (n, r) => n + r.errors.length,
  0,
);
if (repErrors) notes.push(`replication reported ${repErrors} error(s)`);

const rows: string[][] = [
  [
    'phase',
    'ok',
    'gave up (503)',
    'errors',
    '503/429 answers',
    'peak in flight',
    'p50 s',
    'p99 s',
    'MB/s',
    'lab RSS peak MiB',
  ],
];
for (const p of [...phases, ...throughput.direct, ...throughput.front]) {
  const q = quantiles(p.blobS);
  rows.push([
    p.label,
    String(p.ok),
    String(p.failedThrottled),
    p.failedError ? `${p.failedError} ${JSON.stringify(p.errorsByCode)}` : '0',
    String(p.throttled),
    `${p.peakInFlight} (lab ${p.peakBackendActive})`,
    fmt(q.p50, 2),
    fmt(q.p99, 2),
    fmt(p.throughputBps / 1e6),
    fmt(mib(mem?.peakByPhase[p.label] ?? 0), 0),
  ]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
const lines = [
  '',
  table,
  '',
  `lab memory: peak total RSS ${fmt(mib(peakMem), 0)} MiB (target < 2048): ${verdict(targets.memory)}`,
  `  per process (peak): ${Object.entries(mem?.peakByRole ?? {})
    .map(([k, v]) => `${k} ${fmt(mib(v), 0)}`)
    .join(', ')} MiB`,
  `  k6 (client, not the lab) peak RSS: ${Object.entries(mem?.k6Peak ?? {})
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${fmt(mib(v), 0)}`)
    .join(', ')} MiB`,
  'k6 timings of blob requests per hop, p50/p90 ms (front = the 307, storage = the backend):',
  ...[...phases, ...throughput.direct.slice(0, 1), ...throughput.front.slice(0, 1)].map(
    (p) =>
      `  ${p.label.padEnd(30)} ${Object.entries(p.hops)
        .map(
          ([h, t]) =>
            `${h} wait ${fmt(t.waitingMs.p50, 0)}/${fmt(t.waitingMs.p90, 0)} recv ${fmt(t.receivingMs.p50, 0)}/${fmt(t.receivingMs.p90, 0)}`,
        )
        .join('; ')}`,
  ),
  'per-backend bytes and peak egress in the phase (MB/s over >= 1 s):',
  ...phases.map(
    (p) =>
      `  ${p.label.padEnd(30)} ${p.backends
        .filter((b) => b.bytes > 0 || b.throttled > 0)
        .map(
          (b) =>
            `${b.id} ${fmt(mib(b.bytes), 0)} MiB peak ${fmt(b.peakEgressBps / 1e6)} (503 x${b.throttled})`,
        )
        .join(', ')}`,
  ),
  'CPU during each download window, % of one core (2 cores = 200%; other = rest of the box):',
  ...[...phases, ...throughput.direct, ...throughput.front].map(
    (p) =>
      `  ${p.label.padEnd(30)} ${Object.entries(p.cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
  ),
  `throughput: direct ${fmt(tpDirect.bps / 1e6)} MB/s, front ${fmt(tpFront.bps / 1e6)} MB/s (all rounds: ${fmt(aggRatio * 100)}%); median of paired rounds ${fmt(ratio * 100)}% (target >= 80%): ${verdict(targets.throughput)}`,
  `  paired ratios: ${pairRatios.map((x) => `${fmt(x * 100)}%`).join(' / ')}`,
  `  serving process CPU per GiB delivered: registry ${fmt(serverCpu(throughput.direct, directRole), 2)} s, supervisor (front + backends) ${fmt(serverCpu(throughput.front, 'supervisor'), 2)} s`,
  `  per round direct ${tpDirect.runs.map((x) => fmt(x / 1e6)).join(' / ')}; front ${tpFront.runs.map((x) => fmt(x / 1e6)).join(' / ')} MB/s`,
  `concurrency: ${noCeil ? `${noCeil.ok}/${expected} ok with no ceiling (${noCeil.failedError} errors, ${noCeil.throttled} throttled)` : 'not run'}; ${withCeil ? `${withCeil.ok} ok + ${withCeil.failedThrottled} gave up throttled, ${withCeil.failedError} other errors, ${withCeil.throttled} 503 answers with the ceiling` : ''}: ${verdict(targets.concurrency)}`,
  `supervisor fds: ${fds ? `${fds.supervisorBefore} before, ${fds.supervisorAfter} after` : '-'}; replication of the seeds took ${fmt(replicationMs / 1000)} s`,
  ...notes.map((n) => `note: ${n}`),
];
process.stdout.write(`${lines.join('\n')}\n`);

const point = (p: PhaseResult, extra: Record<string, unknown> = {}): Point => {
  const metrics: Metrics = {
    pullS: quantiles(p.blobS),
    throttleEvents: p.throttled,
    throttleByCode: p.throttleByCode,
    errors: { total: p.failedError, byCode: Object.fromEntries(Object.entries(p.errorsByCode)) },
    backends: p.backends.map(({ id, bytes, peakEgressBps, ceilingBps }) => ({
      id,
      bytes,
      peakEgressBps,
      ceilingBps,
    })),
    completed: p.ok,
    gaveUpThrottled: p.failedThrottled,
    bytes: p.bytes,
    windowS: p.windowS,
    throughputBps: p.throughputBps,
    peakInFlight: p.peakInFlight,
    peakBackendActive: p.peakBackendActive,
    labPeakRssBytes: mem?.peakByPhase[p.label] ?? 0,
    barrierLateMs: quantiles(p.lateMs),
    cpuPctOfCore: p.cpu,
    hops: p.hops,
    ...extra,
  };
  const hot = p.backends.filter((b) => b.ceilingBps > 0);
  if (hot.length) metrics.hotBackendRatio = Math.max(...hot.map((b) => b.peakEgressBps / b.ceilingBps));
  return { label: p.label, params: { phase: p.label }, metrics };
};
const blobSize = (label: string) =>
  label.startsWith('throughput') ? opt.tpBlobMiB * MiB : opt.blobMiB * MiB;
const points = [...phases, ...throughput.direct, ...throughput.front].map((p) =>
  point(p, {
    nodeEgressBps: egressQuantiles(p.blobS.filter((s) => s > 0).map((s) => blobSize(p.label) / s)),
  }),
);
const envelope: Envelope = {
  tool: 'stampede',
  kind: 'k6',
  name: 'lab-capacity',
  seed: 0,
  params: {
    ...opt,
    skip: [...opt.skip],
    lab: { name: LAB, regions: 3, backendsPerRegion: 4, copies: 2 },
    targets: { memoryBytes: MEMORY_TARGET, throughputRatio: RATIO_TARGET, concurrentDownloads: expected },
  },
  metrics: {
    throttleEvents: withCeil?.throttled ?? 0,
    errors: {
      total: (noCeil?.failedError ?? 0) + (withCeil?.failedError ?? 0),
      byCode: Object.fromEntries(
        [noCeil, withCeil]
          .filter((p): p is PhaseResult => !!p)
          .flatMap((p) =>
            Object.entries(p.errorsByCode).filter(([c]) => c !== '503' && !c.startsWith('Server')),
          ),
      ),
    },
    memory: {
      peakTotalBytes: peakMem,
      peakByProcessBytes: mem?.peakByRole ?? {},
      peakByPhaseBytes: mem?.peakByPhase ?? {},
      k6PeakBytes: mem?.k6Peak ?? {},
      samples: mem?.samples.length ?? 0,
      intervalMs: 200,
    },
    throughput: {
      directBps: tpDirect.bps,
      frontBps: tpFront.bps,
      ratio,
      aggregateRatio: aggRatio,
      pairRatios,
      serverCpuSecondsPerGiB: {
        registry: serverCpu(throughput.direct, directRole),
        supervisor: serverCpu(throughput.front, 'supervisor'),
      },
      directRoundsBps: tpDirect.runs,
      frontRoundsBps: tpFront.runs,
    },
    supervisorFds: fds ?? null,
    targets,
    notes,
  },
  points,
  runtime: {
    wallMs: Date.now() - startedAt.getTime(),
    events: mem?.samples.length ?? 0,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  },
  ...(exitCode !== 0 ? { incomplete: { reason: 'the bench failed before finishing; see its log' } } : {}),
};
writeSummary(outDir, envelope);
try {
  const { writeReport } = await import('../reports/index');
  log(`report: ${await writeReport([outDir])}`);
} catch (e) {
  log(`report not written: ${(e as Error).message}`);
}
log(`summary: ${join(outDir, 'summary.json')}`);
const allMet = targets.concurrency && targets.memory && targets.throughput;
process.exit(exitCode !== 0 || !allMet ? 1 : 0);
