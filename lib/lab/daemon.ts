/**
 * The lab's process model. Two roles, one file each side of the namespace boundary:
 *
 * - guard (host side): sets up the namespace, starts the supervisor inside it, forwards
 *   Ctrl-C/SIGTERM to it, and when it ends reaps every leftover and deletes the namespace.
 *   `lab up` runs the guard in its own process; `lab up --detach` spawns it detached.
 * - serve (inside the namespace): the supervisor: startLab() + the control API on the
 *   unix socket; a clean stop on SIGINT/SIGTERM or POST /shutdown.
 *
 * `labDown()` does not trust either to have survived: it asks the API, then reaps by state
 * dir and namespace whatever is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RunError } from '../errors';
import { type ApiServer, serveApi } from './api';
import {
  allLabPids,
  isAlive,
  labRuns,
  RUN_GRACE_MS,
  readPid,
  reapLab,
  stopLabRuns,
  waitGone,
} from './cleanup';
import { type LabConfig, resolveLabConfig } from './config';
import { clientsFile } from './identity';
import { labClient, labTopologyByName, waitForLab } from './lab-client';
import { claimLabName, nameTaken, releaseLabName, runningLab } from './lab-registry';
import { type NetnsDecision, namespaceExists, namespaceMounts, nsExec, setupNamespace } from './netns';
import { startLab } from './supervisor';
import { labHome, type Topology, topology } from './topology';

export const CONFIG_FILE = 'config.json';
export const LOG_FILE = 'lab.log';
const READY_TIMEOUT_MS = 120_000;

const stamp = (line: string) => `${new Date().toISOString()} ${line}\n`;

/** `node --import <tsx> lib/lab/daemon-main.ts <role> ...`: TypeScript without a build step. */
function daemonCommand(role: 'guard' | 'serve', args: string[]): string[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const main = fileURLToPath(new URL('./daemon-main.ts', import.meta.url));
  return [process.execPath, '--import', tsx, main, role, ...args];
}

const labTopology = (cfg: LabConfig, netns: boolean): Topology =>
  topology(cfg, { netns, octet: cfg.lab.octet });

async function isRunning(topo: Topology): Promise<boolean> {
  if (!existsSync(topo.apiSocket)) return false;
  try {
    return (await labClient(topo.apiSocket, { timeoutMs: 3000 }).health()).ok;
  } catch {
    return false;
  }
}

/** Refuse to start over a running lab; clean up after a dead one. */
async function prepare(cfg: LabConfig, netns: boolean): Promise<Topology> {
  const topo = labTopology(cfg, netns);
  // The name (and so the namespace) is the machine's: one running from another directory
  // is refused here, before the reap below would kill it.
  const elsewhere = runningLab(cfg.lab.name);
  if (elsewhere && elsewhere.stateDir !== topo.stateDir) throw nameTaken(elsewhere);
  if (await isRunning(topo))
    throw new RunError(
      'LAB_RUNNING',
      `lab ${cfg.lab.name} is already running (stampede lab down --name ${cfg.lab.name})`,
    );
  claimLabName(cfg.lab.name, topo.stateDir);
  await reapLab(topo);
  mkdirSync(topo.stateDir, { recursive: true });
  // May hold credentials (registry.adminPassword): readable by the lab's user only.
  const cfgPath = join(topo.stateDir, CONFIG_FILE);
  writeFileSync(cfgPath, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  chmodSync(cfgPath, 0o600);
  return topo;
}

export interface GuardOptions {
  decision: NetnsDecision;
  log(line: string): void;
  /** Called once the API answers: print endpoints. */
  onReady?(topo: Topology): Promise<void> | void;
  /** Where the supervisor's stdout/stderr go (default: inherited). */
  supervisorOut?: number | 'inherit';
}

/**
 * Host side of a lab: namespace, supervisor, signals, and the final reap. Resolves with the
 * supervisor's exit code once the lab is down and cleaned up.
 */
export async function runGuard(cfg: LabConfig, opts: GuardOptions): Promise<number> {
  const netns = opts.decision.netns;
  const topo = await prepare(cfg, netns);
  writeFileSync(join(topo.stateDir, 'guard.pid'), `${process.pid}\n`);
  let child: ChildProcess | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!child) {
      stopRequested = true; // before the supervisor exists: stop it as soon as it does
      return;
    }
    if (child.exitCode !== null || child.signalCode !== null) return;
    opts.log(`${sig}: stopping lab ${cfg.lab.name}`);
    // A second signal means "now": the reap below still cleans up after a SIGKILL.
    child.kill(stopRequested ? 'SIGKILL' : 'SIGTERM');
    stopRequested = true;
  };
  let stopRequested = false;
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  try {
    if (netns) {
      setupNamespace(topo);
      opts.log(`namespace ${topo.namespace}: lo up, resolver ${topo.dnsIp} (/etc/netns/${topo.namespace})`);
    } else {
      opts.log(`no namespace (${opts.decision.reason}): host loopback, DNS on ${topo.dnsIp}:${topo.dnsPort}`);
    }
    const args = [
      '--state-dir',
      topo.stateDir,
      '--netns',
      netns ? '1' : '0',
      '--reason',
      opts.decision.reason,
    ];
    const cmd = [...(netns ? nsExec(topo.namespace) : []), ...daemonCommand('serve', args)];
    const out = opts.supervisorOut ?? 'inherit';
    child = spawn(cmd[0] as string, cmd.slice(1), {
      stdio: ['ignore', out, out],
      env: { ...process.env, STAMPEDE_LAB_HOME: labHome() },
    });
    const exited = new Promise<number>((resolve) =>
      child?.once('exit', (code, sig) => resolve(code ?? (sig ? 128 + 15 : 1))),
    );
    child.once('error', (e) => opts.log(`supervisor failed to spawn: ${e.message}`));
    if (stopRequested) child.kill('SIGTERM');
    const c = child;
    const ready = await waitForLab(
      labClient(topo.apiSocket, { timeoutMs: 3000 }),
      READY_TIMEOUT_MS,
      () => c.exitCode === null && c.signalCode === null,
    );
    if (ready) await opts.onReady?.(topo);
    else if (c.exitCode === null && c.signalCode === null) {
      opts.log(`supervisor did not answer within ${READY_TIMEOUT_MS / 1000} s: stopping it`);
      c.kill('SIGKILL');
    }
    const code = await exited;
    return ready ? code : code || 1;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    await reapLab(topo);
    releaseLabName(cfg.lab.name, topo.stateDir);
    opts.log(`lab ${cfg.lab.name} is down`);
  }
}

/** Inside the namespace: the supervisor and its API, until a signal or POST /shutdown. */
export async function runServe(stateDir: string, netns: boolean, reason: string): Promise<void> {
  const log = (line: string) => process.stdout.write(stamp(line));
  const tree: unknown = JSON.parse(readFileSync(join(stateDir, CONFIG_FILE), 'utf8'));
  const cfg = resolveLabConfig([{ source: join(stateDir, CONFIG_FILE), tree }]);
  const lab = await startLab(cfg, { netns, log, netnsReason: reason });
  const pidFile = join(stateDir, 'supervisor.pid');
  let stopping = false;
  let api: ApiServer | undefined;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`shutting down (${why})`);
    // Runs against the lab first, while the registries still answer (see stopLabRuns).
    const runs = await stopLabRuns(lab.topology);
    if (runs.length) log(`stopped runs in the lab first: pid ${runs.join(', ')}`);
    const hard = setTimeout(() => {
      log('clean shutdown took over 30 s: exiting anyway');
      process.exit(1);
    }, 30_000);
    hard.unref();
    await api?.close().catch(() => {});
    await lab.stop();
    rmSync(pidFile, { force: true });
    log('stopped');
    process.exit(0);
  };
  api = await serveApi(lab, lab.topology.apiSocket, {
    netns,
    log,
    onShutdown: () => void shutdown('POST /shutdown'),
  });
  writeFileSync(pidFile, `${process.pid}\n`);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, () => void shutdown(s));
  log(`lab ${cfg.lab.name} ready: api ${lab.topology.apiSocket}`);
}

/**
 * `lab up --detach`: spawn the guard detached (logs in <stateDir>/lab.log), wait until the
 * API answers, return. Throws with the log's tail if the lab does not come up.
 */
export async function startDetached(cfg: LabConfig, decision: NetnsDecision): Promise<Topology> {
  const topo = await prepare(cfg, decision.netns);
  const logPath = join(topo.stateDir, LOG_FILE);
  const fd = openSync(logPath, 'a');
  const args = [
    '--state-dir',
    topo.stateDir,
    '--netns',
    decision.netns ? '1' : '0',
    '--reason',
    decision.reason,
  ];
  const cmd = daemonCommand('guard', args);
  const child = spawn(cmd[0] as string, cmd.slice(1), {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, STAMPEDE_LAB_HOME: labHome() },
  });
  closeSync(fd);
  child.unref();
  const ready = await waitForLab(
    labClient(topo.apiSocket, { timeoutMs: 3000 }),
    READY_TIMEOUT_MS,
    () => child.exitCode === null && child.signalCode === null,
  );
  if (!ready) {
    await labDown(cfg.lab.name);
    const tail = existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n') : '';
    throw new RunError('LAB_START', `lab ${cfg.lab.name} did not come up; ${logPath} ends with:\n${tail}`);
  }
  return topo;
}

export interface DownReport {
  name: string;
  /** Where the lab's state was (the directory it was started from, wherever that is). */
  stateDir: string;
  /** The API answered and accepted the shutdown. */
  wasRunning: boolean;
  /** Processes that had to be killed after the clean shutdown (should be none). */
  killed: number[];
}

/**
 * Stop lab `name` and guarantee nothing is left: no process, namespace, /etc/netns dir or
 * mount. Idempotent: a lab that is not running is just checked and cleaned.
 */
export async function labDown(name: string, log: (line: string) => void = () => {}): Promise<DownReport> {
  const topo = labTopologyByName(name);
  const client = labClient(topo.apiSocket, { timeoutMs: 5000 });
  let wasRunning = false;
  const runs = labRuns(topo);
  if (runs.length)
    log(
      `stopping ${runs.length === 1 ? 'a run' : `${runs.length} runs`} against the lab first (pid ${runs.join(', ')}): each writes its summary and report`,
    );
  try {
    await client.shutdown();
    wasRunning = true;
    log(`asked lab ${name} to shut down`);
  } catch {
    // not answering: the reap below handles whatever is left
  }
  const pids = ['guard.pid', 'supervisor.pid']
    .map((f) => readPid(join(topo.stateDir, f)))
    .filter((p): p is number => p !== undefined && isAlive(p));
  // Clean shutdown first: the supervisor stops the runs against the lab, then its components
  // (each bounded).
  if (pids.length) await waitGone(pids, RUN_GRACE_MS + 40_000);
  const killed = await reapLab(topo);
  if (killed.length) log(`killed leftovers: ${killed.join(', ')}`);
  rmSync(join(topo.stateDir, 'regions'), { recursive: true, force: true });
  rmSync(clientsFile(topo.stateDir), { force: true });
  releaseLabName(name, topo.stateDir);
  const left = leftovers(topo);
  if (left.length) throw new RunError('LAB_DOWN_INCOMPLETE', `lab ${name} left: ${left.join('; ')}`);
  return { name, stateDir: topo.stateDir, wasRunning, killed };
}

/** What of the lab still exists (empty after a complete `lab down`). */
export function leftovers(topo: Topology): string[] {
  const out: string[] = [];
  const pids = allLabPids(topo);
  if (pids.length) out.push(`processes ${pids.join(', ')}`);
  if (namespaceExists(topo.namespace)) out.push(`namespace ${topo.namespace}`);
  if (existsSync(`/etc/netns/${topo.namespace}`)) out.push(`/etc/netns/${topo.namespace}`);
  const mounts = namespaceMounts(topo.namespace);
  if (mounts.length) out.push(`mounts ${mounts.join(', ')}`);
  return out;
}

export { isRunning as labIsRunning };
