/**
 * Lab names are machine-wide (issue 12 item 5): the namespace stampede-<name> belongs to the
 * machine while a lab's state lives in the directory it was started from. Two directories,
 * one name, through the real CLI (no $STAMPEDE_LAB_HOME: each directory's own ./.lab):
 * `lab up` of the running name from the second directory exits 1 saying where it runs and
 * leaves the first lab up; `lab status` and `lab down` from the second directory act on
 * exactly that lab; a stale registry entry (its guard long dead) does not block the name.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labProcesses } from '../../lib/lab/cleanup';
import { registryDir } from '../../lib/lab/lab-registry';
import { namespaceExists } from '../../lib/lab/netns';
import { ROOT as AS_ROOT, prerequisites } from '../helpers/prereq';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'bin/stampede.js');
const NAME = `names-${process.pid}`;
const base = mkdtempSync(join(tmpdir(), 'stampede-names-'));
const dirA = join(base, 'a');
const dirB = join(base, 'b');
const stateA = join(dirA, '.lab', NAME);
const entry = join(registryDir(), `${NAME}.json`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(cwd: string, args: string[], timeoutMs = 150_000): Promise<Run> {
  const env = { ...process.env };
  delete env.STAMPEDE_LAB_HOME;
  delete env.STAMPEDE_LAB_NAME;
  return new Promise((done) => {
    execFile(process.execPath, [ENTRY, ...args], { cwd, env, timeout: timeoutMs }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const canRun = prerequisites('lab names are machine-wide', [AS_ROOT]);
if (!canRun && process.env.CI === 'true') throw new Error('lab-names e2e needs root (network namespaces)');

afterAll(async () => {
  await cli(dirA, ['lab', 'down', '--name', NAME]);
  rmSync(base, { recursive: true, force: true });
  rmSync(entry, { force: true });
}, 120_000);

describe.runIf(canRun)('lab names are machine-wide', () => {
  it('lab up from directory A registers the lab with its owner directory', async () => {
    for (const d of [dirA, dirB]) mkdirSync(d);
    const up = await cli(dirA, ['lab', 'up', '--detach', '--name', NAME]);
    expect(up.code, up.stderr).toBe(0);
    const e = JSON.parse(readFileSync(entry, 'utf8'));
    expect(e).toMatchObject({ name: NAME, stateDir: stateA, cwd: dirA });
  });

  it('lab up of the same name from directory B exits 1 saying where it runs, and A stays up', async () => {
    const up = await cli(dirB, ['lab', 'up', '--detach', '--name', NAME]);
    expect(up.code, up.stderr).toBe(1);
    expect(up.stderr).toContain(`lab ${NAME} is already running from ${dirA}`);
    expect(up.stderr).toContain('[LAB_NAME_TAKEN]');
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dirB, '.lab', NAME, 'api.sock'))).toBe(false);
    const st = await cli(dirA, ['lab', 'status', '--name', NAME, '--json']);
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout).healthy).toBe(true);
  });

  it('lab status from B finds the lab running from A', async () => {
    const st = await cli(dirB, ['lab', 'status', '--name', NAME, '--json']);
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout).endpoints.apiSocket).toBe(join(stateA, 'api.sock'));
  });

  it('lab down from B stops exactly that lab, says where it ran, and drops the registration', async () => {
    const down = await cli(dirB, ['lab', 'down', '--name', NAME]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`lab ${NAME} is down (it ran with state in ${stateA})`);
    expect(labProcesses(stateA)).toEqual([]);
    expect(namespaceExists(`stampede-${NAME}`)).toBe(false);
    expect(existsSync(entry)).toBe(false);
  });

  it('a stale entry (its guard gone) does not hold the name', async () => {
    writeFileSync(
      entry,
      JSON.stringify({
        name: NAME,
        stateDir: join(dirA, '.lab', NAME),
        cwd: dirA,
        pid: 2 ** 22 + 7,
        startTime: '1',
        since: '',
      }),
    );
    const down = await cli(dirB, ['lab', 'down', '--name', NAME]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`lab ${NAME} was not running`);
    expect(existsSync(entry)).toBe(false);
  });
});
