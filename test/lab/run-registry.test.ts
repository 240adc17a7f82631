/**
 * The runs a lab stops first on `lab down`: files under <stateDir>/runs naming a pid and its
 * start time. A file whose pid died, or was reused by another process, is dropped.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labRuns, RUNS_DIR, registerLabRun } from '../../lib/lab/cleanup';
import type { Topology } from '../../lib/lab/topology';

const stateDir = mkdtempSync(join(tmpdir(), 'stampede-runs-'));
const topo = { stateDir, namespace: 'stampede-none' } as Topology;
const runsDir = join(stateDir, RUNS_DIR);
const child = spawn('sleep', ['30'], { stdio: 'ignore' });
afterAll(() => {
  child.kill('SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

/** Field 22 of /proc/PID/stat, as the kernel counts a process's start. */
const startTimeOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
};

describe('lab run registry', () => {
  it('registers this process with its start time, and unregisters it', () => {
    const unregister = registerLabRun(stateDir);
    const file = join(runsDir, String(process.pid));
    expect(readFileSync(file, 'utf8').trim()).toBe(startTimeOf(process.pid));
    // Never our own: `lab down` may be run by a process that is itself a run.
    expect(labRuns(topo)).toEqual([]);
    unregister();
    expect(existsSync(file)).toBe(false);
  });

  it('lists a live registered run and drops files of dead or reused pids', () => {
    const pid = child.pid as number;
    mkdirSync(runsDir, { recursive: true });
    writeFileSync(join(runsDir, String(pid)), `${startTimeOf(pid)}\n`);
    expect(labRuns(topo)).toEqual([pid]);
    // The same pid with another start time is another process: not a run of this lab.
    writeFileSync(join(runsDir, String(pid)), '1\n');
    expect(labRuns(topo)).toEqual([]);
    expect(existsSync(join(runsDir, String(pid)))).toBe(false);
    // A pid that is gone.
    writeFileSync(join(runsDir, '4194303'), '1\n');
    expect(labRuns(topo)).toEqual([]);
    expect(existsSync(join(runsDir, '4194303'))).toBe(false);
  });
});
