/**
 * The machine-wide registry of running labs (lib/lab/lab-registry.ts), on a scratch
 * registry dir: a name held by a live process from another state dir is refused naming
 * where it runs; the same state dir takes the entry over; an entry whose process is gone
 * (or whose pid now names another process) is stale and dropped; release removes only its
 * own entry. No lab is started (tests/e2e/lab-names.test.ts does that).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunError } from '../../lib/errors';
import { startTime } from '../../lib/lab/cleanup';
import { claimLabName, releaseLabName, runningLab } from '../../lib/lab/lab-registry';

const dir = mkdtempSync(join(tmpdir(), 'stampede-lab-registry-'));
const saved = process.env.STAMPEDE_LAB_REGISTRY;
beforeAll(() => {
  process.env.STAMPEDE_LAB_REGISTRY = join(dir, 'labs');
});
afterAll(() => {
  if (saved === undefined) delete process.env.STAMPEDE_LAB_REGISTRY;
  else process.env.STAMPEDE_LAB_REGISTRY = saved;
  rmSync(dir, { recursive: true, force: true });
});
const entry = (name: string) => join(dir, 'labs', `${name}.json`);

describe('lab registry', () => {
  it('refuses a name running from another state dir, saying where', () => {
    claimLabName('alpha', '/a/.lab/alpha');
    expect(runningLab('alpha')).toMatchObject({
      stateDir: '/a/.lab/alpha',
      pid: process.pid,
      cwd: process.cwd(),
    });
    let e: unknown;
    try {
      claimLabName('alpha', '/b/.lab/alpha');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(RunError);
    expect((e as RunError).code).toBe('LAB_NAME_TAKEN');
    expect((e as RunError).exitCode).toBe(1);
    expect((e as RunError).message).toContain(`already running from ${process.cwd()} (state /a/.lab/alpha`);
  });

  it('the same state dir takes the entry over (the detached guard after its CLI)', () => {
    claimLabName('alpha', '/a/.lab/alpha', process.ppid);
    expect(runningLab('alpha')?.pid).toBe(process.ppid);
  });

  it('release drops only its own entry', () => {
    releaseLabName('alpha', '/b/.lab/alpha');
    expect(existsSync(entry('alpha'))).toBe(true);
    releaseLabName('alpha', '/a/.lab/alpha');
    expect(existsSync(entry('alpha'))).toBe(false);
  });

  it('an entry whose process is gone, or whose pid is another process now, is stale', () => {
    const stale = (pid: number, start: string) =>
      writeFileSync(
        entry('beta'),
        JSON.stringify({
          name: 'beta',
          stateDir: '/a/.lab/beta',
          cwd: '/a',
          pid,
          startTime: start,
          since: '',
        }),
      );
    stale(2 ** 22 + 11, '1');
    expect(runningLab('beta')).toBeUndefined();
    expect(existsSync(entry('beta'))).toBe(false);
    stale(process.pid, `${Number(startTime(process.pid)) + 1}`); // a reused pid
    claimLabName('beta', '/b/.lab/beta');
    expect(JSON.parse(readFileSync(entry('beta'), 'utf8')).stateDir).toBe('/b/.lab/beta');
  });
});
