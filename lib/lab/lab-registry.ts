/**
 * Lab names are machine-wide (the namespace stampede-<name>, and the lab's loopback
 * addresses, belong to the machine), while a lab's state lives in the directory it was
 * started from (./.lab/<name>). This registry ties the two: one file per running lab,
 * <registry>/<name>.json, naming its state dir, owner directory and guard process (pid and
 * kernel start time, so a reused pid is never taken for it). `lab up` of a name that runs
 * elsewhere is refused, saying where; every other lab command finds the lab by name
 * wherever it runs. Entries of labs that died are dropped when read.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunError } from '../errors';
import { isAlive, labProcesses, startTime } from './cleanup';

export interface LabEntry {
  name: string;
  stateDir: string;
  /** The directory `lab up` ran in. */
  cwd: string;
  pid: number;
  /** Kernel start time of `pid` (/proc/PID/stat field 22). */
  startTime: string;
  since: string;
}

/** $STAMPEDE_LAB_REGISTRY, or /tmp/stampede-labs (sticky and world-writable, like /tmp). */
export function registryDir(): string {
  return process.env.STAMPEDE_LAB_REGISTRY ?? '/tmp/stampede-labs';
}

const entryPath = (name: string) => join(registryDir(), `${name}.json`);

function readEntry(name: string): LabEntry | undefined {
  try {
    const e = JSON.parse(readFileSync(entryPath(name), 'utf8')) as LabEntry;
    return typeof e.stateDir === 'string' && Number.isInteger(e.pid) ? e : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the lab of an entry still runs: its guard is alive (same pid, same start time),
 * or, its guard SIGKILLed, some process of the lab still carries its state dir.
 */
function entryLive(e: LabEntry): boolean {
  if (isAlive(e.pid) && startTime(e.pid) === e.startTime) return true;
  return labProcesses(e.stateDir).length > 0;
}

/** The running lab of that name, wherever it was started; a stale entry is removed. */
export function runningLab(name: string): LabEntry | undefined {
  const e = readEntry(name);
  if (e === undefined) return undefined;
  if (entryLive(e)) return e;
  rmSync(entryPath(name), { force: true });
  return undefined;
}

export function nameTaken(e: LabEntry): RunError {
  return new RunError(
    'LAB_NAME_TAKEN',
    `lab ${e.name} is already running from ${e.cwd} (state ${e.stateDir}, pid ${e.pid}); lab names are machine-wide: stop it with 'stampede lab down --name ${e.name}' or choose another --name`,
  );
}

/**
 * Registers lab `name` with state in `stateDir` as this process's. Created exclusively, so
 * two `lab up`s of one name never both win; the same state dir takes the entry over (the
 * detached guard after the CLI that spawned it). Throws LAB_NAME_TAKEN when the name runs
 * from another state dir.
 */
export function claimLabName(name: string, stateDir: string, pid = process.pid): void {
  const dir = registryDir();
  mkdirSync(dir, { recursive: true });
  try {
    chmodSync(dir, 0o1777); // every user's labs share the machine's names
  } catch {
    // someone else's directory: theirs to set
  }
  const entry: LabEntry = {
    name,
    stateDir,
    cwd: process.cwd(),
    pid,
    startTime: startTime(pid) ?? '',
    since: new Date().toISOString(),
  };
  const text = `${JSON.stringify(entry)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(entryPath(name), text, { flag: 'wx', mode: 0o644 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = runningLab(name); // drops a stale entry, then the next attempt creates it
    if (held && held.stateDir !== stateDir) throw nameTaken(held);
    if (held) {
      const tmp = `${entryPath(name)}.tmp-${process.pid}`;
      writeFileSync(tmp, text, { mode: 0o644 });
      renameSync(tmp, entryPath(name));
      return;
    }
  }
  throw new RunError('LAB_REGISTRY', `could not register lab ${name} in ${registryDir()}`);
}

/** Drops the entry of lab `name` if it is the one with state in `stateDir` (never another's). */
export function releaseLabName(name: string, stateDir: string): void {
  if (readEntry(name)?.stateDir === stateDir) rmSync(entryPath(name), { force: true });
}
