/**
 * The guarantee behind `lab down`: whatever died how, nothing of the lab is left. Every lab
 * process carries the lab's state dir on its command line (the supervisor's --state-dir, each
 * registry's config path), so /proc finds them even after the supervisor was SIGKILLed and its
 * pid files are stale; inside a namespace `ip netns pids` finds the rest.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { namespacePids, teardownNamespace } from './netns';
import type { Topology } from './topology';

export const PID_DIR = 'pids';
/** Where `stampede run`s against the lab register themselves (one file per run: see registerLabRun). */
export const RUNS_DIR = 'runs';

/** How long a run against the lab gets to stop k6 and write its summary and report. */
export const RUN_GRACE_MS = 30_000;

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/**
 * The fields of /proc/PID/stat from the state (field 3) on: `pid (comm) state ppid ...`, and
 * comm may hold spaces and parentheses, so they are split after the last ')'.
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  const ppid = Number(statFields(pid)?.[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** Our own process and its ancestors: never ours to kill (`lab down` may run inside a lab). */
function selfAndAncestors(): Set<number> {
  const out = new Set<number>();
  let p: number | undefined = process.pid;
  for (let i = 0; p !== undefined && p > 1 && i < 64; i++) {
    out.add(p);
    p = parentOf(p);
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // a zombie still answers kill 0; it holds nothing, so count it as gone (and one that
    // left /proc meanwhile is gone too)
    const state = statFields(pid)?.[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line mentions the lab's state dir. */
export function labProcesses(stateDir: string): number[] {
  const skip = selfAndAncestors();
  const needle = stateDir.endsWith('/') ? stateDir : `${stateDir}/`;
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || skip.has(pid)) continue;
    const cmd = cmdline(pid);
    if (cmd !== undefined && (cmd.includes(needle) || cmd.endsWith(stateDir) || cmd.includes(`${stateDir} `)))
      if (isAlive(pid)) out.push(pid);
  }
  return out;
}

/** Every process of the lab: by state dir, and everything inside its namespace. */
export function allLabPids(topo: Topology): number[] {
  const skip = selfAndAncestors();
  const set = new Set([...labProcesses(topo.stateDir), ...namespacePids(topo.namespace)]);
  return [...set].filter((p) => !skip.has(p) && isAlive(p));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until none of `pids` is alive; true if they all went within `timeoutMs`. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pids.some(isAlive)) return true;
    await sleep(50);
  }
  return !pids.some(isAlive);
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // already gone
    }
  }
}

/** The kernel's start time of `pid` (ticks since boot): with the pid, it names one process for good. */
export function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19]; // field 22
}

/**
 * Registers this process as a run against the lab in `stateDir` until the returned function
 * is called: `<stateDir>/runs/<pid>` holding its start time, so a reused pid is never taken
 * for it. A file, not the namespace, because a lab on the host loopback (no namespace) has
 * runs too, and they are no lab process.
 */
export function registerLabRun(stateDir: string): () => void {
  const dir = join(stateDir, RUNS_DIR);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, String(process.pid));
  writeFileSync(file, `${startTime(process.pid) ?? ''}\n`);
  return () => rmSync(file, { force: true });
}

/** Runs fn registered as a run against the lab in `stateDir` (none: not registered). */
export async function asLabRun<T>(stateDir: string | undefined, fn: () => Promise<T>): Promise<T> {
  const unregister = stateDir ? registerLabRun(stateDir) : undefined;
  try {
    return await fn();
  } finally {
    unregister?.();
  }
}

/** Pids of the live runs registered with the lab; drops the files of runs that died. */
export function labRuns(topo: Topology): number[] {
  const dir = join(topo.stateDir, RUNS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const skip = selfAndAncestors();
  const runs: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (skip.has(pid)) continue;
    let started: string;
    try {
      started = readFileSync(join(dir, name), 'utf8').trim();
    } catch {
      continue; // unregistered meanwhile
    }
    if (Number.isInteger(pid) && pid > 0 && started !== '' && startTime(pid) === started && isAlive(pid))
      runs.push(pid);
    else rmSync(join(dir, name), { force: true });
  }
  return runs;
}

/**
 * Stop the runs against the lab (registered with registerLabRun) and wait up to
 * `graceMs` for them to go; returns their pids. Every way of stopping a lab calls this before
 * touching anything else: a run stops its k6 with one SIGINT and writes its summary and
 * report. With the registries stopped first, k6 would fail its remaining pulls in a blink and
 * end "complete"; signalled with the rest, k6 would get a second signal (which aborts it
 * without its summary) and a large run could be SIGKILLed while writing its report.
 */
export async function stopLabRuns(topo: Topology, graceMs = RUN_GRACE_MS): Promise<number[]> {
  const runs = labRuns(topo);
  if (runs.length) {
    signal(runs, 'SIGTERM');
    await waitGone(runs, graceMs);
  }
  return runs;
}

/**
 * Kill every lab process: `stampede run`s against the lab first (SIGTERM, up to `runGraceMs` to
 * finish), then the rest (SIGTERM, then SIGKILL after `graceMs`). Then delete the namespace
 * and its /etc/netns dir, and drop the socket and pid files. Idempotent. Returns the pids it
 * had to signal.
 */
export async function reapLab(topo: Topology, graceMs = 3000, runGraceMs = RUN_GRACE_MS): Promise<number[]> {
  const killed = new Set(await stopLabRuns(topo, runGraceMs));
  for (let round = 0; round < 3; round++) {
    const pids = allLabPids(topo);
    if (pids.length === 0) break;
    for (const p of pids) killed.add(p);
    signal(pids, 'SIGTERM');
    if (!(await waitGone(pids, graceMs))) {
      signal(pids.filter(isAlive), 'SIGKILL');
      await waitGone(pids, 2000);
    }
  }
  teardownNamespace(topo.namespace);
  for (const f of ['api.sock', 'guard.pid', 'supervisor.pid'])
    rmSync(join(topo.stateDir, f), { force: true });
  rmSync(join(topo.stateDir, PID_DIR), { recursive: true, force: true });
  return [...killed];
}

export function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
