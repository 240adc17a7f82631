/**
 * The guarantee behind `lab down`: whatever died how, nothing of the lab is left. Every lab
 * process carries the lab's state dir on its command line (the supervisor's --state-dir, each
 * registry's config path), so /proc finds them even after the supervisor was SIGKILLed and its
 * pid files are stale; inside a namespace `ip netns pids` finds the rest.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { namespacePids, teardownNamespace } from './netns';
import type { Topology } from './topology';

export const PID_DIR = 'pids';

/**
 * What `stampede run` sets in its own environment when it re-enters a lab's namespace
 * (its value: the namespace), so a run can be told apart from the lab's own processes.
 */
export const IN_LAB_NAMESPACE = 'STAMPEDE_IN_LAB_NAMESPACE';

/** How long a run inside the lab gets to stop k6 and write its summary and report. */
export const RUN_GRACE_MS = 30_000;

function environHas(pid: number, entry: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry);
  } catch {
    return false;
  }
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...; comm may contain spaces, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
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
    // a zombie still answers kill 0; it holds nothing, so count it as gone
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
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

/** Pids of the `stampede run`s inside the lab (they carry IN_LAB_NAMESPACE=<namespace>). */
export function labRuns(topo: Topology): number[] {
  const marker = `${IN_LAB_NAMESPACE}=${topo.namespace}`;
  return allLabPids(topo).filter((p) => environHas(p, marker));
}

/**
 * Stop the runs inside the lab (`stampede run` re-entered its namespace) and wait up to
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
 * Kill every lab process: `stampede run`s inside the lab first (SIGTERM, up to `runGraceMs` to
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
