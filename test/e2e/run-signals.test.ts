/**
 * Signals to `stampede run cold-pull --target lab` with a namespaced lab (issue 12 items 8
 * and 10). The run re-executes itself inside the lab's namespace; whatever stops it must
 * stop it the one way a run outside a namespace stops: k6 stopped once (it keeps its own
 * summary), summary.json with `incomplete`, the report, the raw points, exit 1.
 * - SIGINT to the stampede pid alone (was: ignored, the full load ran on and exited 0);
 * - Ctrl-C to the process group (the terminal signals every process of the group);
 * - SIGKILL of the in-namespace run process: one line saying so, where the raw data is and
 *   how to rebuild the report, the run's registration with the lab dropped, exit 1 (was:
 *   exit 1, no message, the registration left behind).
 * SIGTERM to the pid is covered in k6-run-command.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand } from '../../lib/cli/commands/lab';
import { reportCommand } from '../../lib/cli/commands/report';
import { REPO_ROOT } from '../../lib/k6/bundle';
import { RUNS_DIR } from '../../lib/lab/cleanup';
import { labClient, labSocketPath } from '../../lib/lab/lab-client';
import { registryDir } from '../../lib/lab/lab-registry';
import type { Envelope } from '../../lib/results/envelope';
import { K6, prerequisites, ROOT } from '../helpers/prereq';
import { labUpArgs } from './helpers/lab-up';

const LAB = `sig${process.pid}`;
const canRun = prerequisites('signals to stampede run in a lab namespace', [ROOT, K6]);
let home: string;
let stateDir: string;
const lines: string[] = [];
const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };

beforeAll(async () => {
  if (!canRun) return;
  home = mkdtempSync(join(tmpdir(), 'stampede-signals-'));
  process.env.STAMPEDE_LAB_HOME = home;
  const up = await runCommand(labCommand, labUpArgs(LAB, 'lab.octet=21', 'regions.names=eastus'), io);
  expect(up, lines.join('\n')).toBe(0);
  const { topology, netns } = await labClient(labSocketPath(LAB)).config();
  expect(netns, 'the lab runs in its own namespace').toBe(true);
  stateDir = topology.stateDir;
}, 180_000);

afterAll(async () => {
  if (!canRun) return;
  await runCommand(labCommand, ['down', '--name', LAB], io);
  rmSync(home, { recursive: true, force: true });
}, 60_000);

interface LongRun {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

/**
 * A run long enough to signal (400 pulls of 4 MB), the CLI as a user starts it, waited for
 * until k6 has finished a pull. `ownGroup`: the run leads its own process group, as a
 * terminal's foreground job does.
 */
async function startLongRun(dir: string, ownGroup = false): Promise<LongRun> {
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'bin/stampede.js'),
      'run',
      'cold-pull',
      '--target',
      'lab',
      '--name',
      LAB,
      '--out',
      dir,
      ...['vus=2', 'iterations=400', 'layers=2000000,2000000', 'image=sig/long:v1'].flatMap((s) => [
        '--set',
        s,
      ]),
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, STAMPEDE_LAB_HOME: home },
      detached: ownGroup,
    },
  );
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString('utf8');
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const raw = join(dir, 'raw.ndjson');
  const pulled = () =>
    existsSync(raw) && readFileSync(raw, 'utf8').includes('"metric":"pulls","type":"Point"');
  for (let i = 0; i < 900 && !pulled(); i++) await sleep(100);
  expect(pulled(), `k6 never finished a pull:\n${err}`).toBe(true);
  return { child, exited, stderr: () => err };
}

/** Live processes whose command line mentions `dir`, by program (k6, node). */
function processesOf(dir: string, program: RegExp): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && program.test(cmd[0] ?? '') && cmd.some((a) => a.includes(dir)))
        pids.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function noneLeft(dir: string, program: RegExp): Promise<number[]> {
  let left = processesOf(dir, program);
  for (let i = 0; i < 300 && left.length > 0; i++) {
    await sleep(100);
    left = processesOf(dir, program);
  }
  return left;
}

const within = (p: Promise<number | null>) =>
  Promise.race([p, sleep(90_000).then(() => 'still running after 90 s' as const)]);

/** What every stopped run leaves: exit 1, k6's own summary, summary.json incomplete, raw points, report. */
async function expectStoppedCleanly(dir: string, run: LongRun): Promise<void> {
  expect(await within(run.exited), run.stderr()).toBe(1);
  expect(existsSync(join(dir, 'k6-summary.json')), 'k6 stopped gracefully and wrote its summary').toBe(true);
  const env = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Envelope;
  expect(env.incomplete).toMatchObject({ reason: 'interrupted' });
  const pulls = env.metrics.pulls as { ok: number; failed: number };
  expect(pulls.failed).toBe(0);
  expect(pulls.ok).toBeGreaterThan(0);
  expect(pulls.ok).toBeLessThan(400);
  expect(readFileSync(join(dir, 'raw.ndjson'), 'utf8')).toContain('"metric":"pulls","type":"Point"');
  expect(existsSync(join(dir, 'report.html'))).toBe(true);
  expect(run.stderr()).toContain('run incomplete: interrupted');
  expect(await noneLeft(dir, /k6$/)).toEqual([]);
  expect(readdirSync(join(stateDir, RUNS_DIR)), 'the run unregistered itself').toEqual([]);
}

describe.runIf(canRun)('stampede run in a lab namespace, stopped by a signal', () => {
  it('SIGINT to the stampede pid alone stops k6 and writes the summary (incomplete) and report', async () => {
    const dir = join(home, 'sigint-pid');
    const run = await startLongRun(dir);
    run.child.kill('SIGINT');
    await expectStoppedCleanly(dir, run);
  }, 180_000);

  it('Ctrl-C to the process group stops it the same way (k6 gets one SIGINT, keeps its summary)', async () => {
    const dir = join(home, 'sigint-group');
    const run = await startLongRun(dir, true);
    process.kill(-(run.child.pid as number), 'SIGINT');
    await expectStoppedCleanly(dir, run);
  }, 180_000);

  it('SIGKILL of the in-namespace run process: one line, where the raw data is, registration dropped, exit 1', async () => {
    const dir = join(home, 'sigkill-inner');
    const run = await startLongRun(dir);
    // The re-executed run: node on lib/cli/commands/run.ts with this run's --out.
    const inner = processesOf(dir, /node$/).filter((p) => p !== run.child.pid);
    expect(inner.length).toBe(1);
    const innerPid = inner[0] as number;
    expect(readdirSync(join(stateDir, RUNS_DIR))).toEqual([String(innerPid)]);
    process.kill(innerPid, 'SIGKILL');
    expect(await within(run.exited), run.stderr()).toBe(1);
    const err = run.stderr();
    expect(err).toContain(`the run process (pid ${innerPid}) was killed by SIGKILL`);
    expect(err).toContain(`its raw data is in ${join(dir, 'raw.ndjson')}`);
    expect(err).toContain(`stampede report ${dir}`);
    expect(err).toContain('[RUN_KILLED]');
    expect(err).not.toMatch(/\n\s+at /); // no stack trace
    expect(readdirSync(join(stateDir, RUNS_DIR)), 'no stale run registration').toEqual([]);
    // The lab itself was not the run's to drop: it still runs, registered under its name.
    const entry = JSON.parse(readFileSync(join(registryDir(), `${LAB}.json`), 'utf8')) as {
      stateDir: string;
    };
    expect(entry.stateDir).toBe(stateDir);
    expect((await labClient(labSocketPath(LAB)).status()).endpoints).toBeDefined();
    // k6 was told to stop when its parent died; the raw points stay and rebuild the report.
    expect(await noneLeft(dir, /k6$/)).toEqual([]);
    expect(existsSync(join(dir, 'summary.json'))).toBe(false);
    lines.length = 0;
    expect(await runCommand(reportCommand, [dir], io), lines.join('\n')).toBe(0);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  }, 180_000);
});
