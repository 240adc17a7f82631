/**
 * The prebuilt CLI bundle (scripts/build-cli.mjs): it builds, `--help` of every command is
 * the same from the bundle as from the sources, a command's output is the same, and the
 * staleness check sees a changed or deleted input.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpText, type Io, runCommand } from '../../lib/cli/command';
import { rootCommand } from '../../lib/cli/main';
import { rootOutline } from '../../lib/cli/root';
import {
  BUNDLE,
  buildCli,
  bundleStaleness,
  HELP_BUNDLE,
  INPUTS,
  SWEEP_WORKER_BUNDLE,
} from '../../scripts/build-cli.mjs';

const BIN = fileURLToPath(new URL('../../bin/stampede.js', import.meta.url));

/** The bundle as a whole process, as a user runs it. */
function bundled(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, STAMPEDE_FROM_SOURCE: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The sources, in this process (a tsx process per case took 5-10 s on the loaded machine). */
async function fromSources(...args: string[]) {
  let out = '';
  let err = '';
  // As processIo writes: a newline unless the text ends with one.
  const line = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const io: Io = { out: (t) => (out += line(t)), err: (t) => (err += line(t)), tty: false };
  const code = await runCommand(rootCommand, args, io);
  return { code, out, err };
}

describe('the CLI bundle', () => {
  beforeAll(async () => {
    await buildCli();
  }, 120_000);

  it('is fresh right after a build and lists only source files as inputs', () => {
    expect(bundleStaleness()).toBeUndefined();
    const { inputs } = JSON.parse(readFileSync(INPUTS, 'utf8')) as { inputs: string[] };
    expect(inputs).toContain('lib/cli/main.ts');
    expect(
      inputs.filter((p) => p.startsWith('node_modules/') && p !== 'node_modules/.package-lock.json'),
    ).toEqual([]);
    // Heavy packages are loaded on first use, not at start.
    const text = readFileSync(BUNDLE, 'utf8');
    expect(text).not.toMatch(/from\s*"(@azure\/identity|undici|esbuild)"/);
  });

  it.each(['', 'sim', 'sim cold-pull', 'sim copy-sweep', 'lab', 'lab up', 'run', 'report', 'demo'])(
    "'stampede %s --help' is the same from the bundle and from the sources",
    async (command) => {
      const cmd = command.split(' ').filter(Boolean);
      const b = bundled(...cmd, '--help');
      const s = await fromSources(...cmd, '--help');
      expect(b.code, b.err).toBe(0);
      expect(s.code).toBe(0);
      expect(b.err).toBe('');
      expect(b.out).toBe(s.out);
      expect(b.out).toMatch(/^stampede/);
    },
  );

  it.each([[], ['-h']])(
    "'stampede %s' (the root help) is the same from the help bundle and from the sources",
    async (...args: string[]) => {
      const b = bundled(...args);
      const s = await fromSources(...args);
      expect(b.code, b.err).toBe(0);
      expect(b.err).toBe('');
      expect(b.out).toBe(s.out);
    },
  );

  it('the root help comes from a small bundle that loads no command (nor http, net, child_process)', () => {
    const help = readFileSync(HELP_BUNDLE, 'utf8');
    expect(help.length).toBeLessThan(20_000);
    expect(help).not.toMatch(/from\s*"node:(http|https|net|dgram|child_process|crypto)"/);
    expect(help).not.toContain('defineScenario');
    // The outline it prints is the real tree's: every command, in order, with its summary.
    expect(helpText(rootOutline(), ['stampede'])).toBe(helpText(rootCommand, ['stampede']));
  });

  it('a bad flag fails the same way (exit 2, the same message) from both', async () => {
    const b = bundled('sim', 'cold-pull', '--set', 'workload.nodes=-1');
    const s = await fromSources('sim', 'cold-pull', '--set', 'workload.nodes=-1');
    expect(b.code).toBe(2);
    expect(s.code).toBe(2);
    expect(b.err).toBe(s.err);
    expect(b.err).toMatch(/workload\.nodes/);
  });

  it('runs --jobs workers from the worker bundle (no tsx), with the same summary and raw records as serial', () => {
    // The worker bundle is plain JavaScript: a worker thread starts without compiling the models.
    const worker = readFileSync(SWEEP_WORKER_BUNDLE, 'utf8');
    expect(worker).not.toMatch(/from\s*"tsx/);
    expect(worker).toContain('computeClaimed');
    expect(readFileSync(BUNDLE, 'utf8')).toContain('dist/stampede-sweep-worker.mjs');
    const dir = mkdtempSync(join(tmpdir(), 'stampede-bundle-jobs-'));
    try {
      const args = ['sim', 'copy-sweep', '--set', 'workload.nodes=150', '--seed', '3'];
      const serial = bundled(...args, '--out', join(dir, 'serial'));
      const jobs = bundled(...args, '--jobs', '2', '--out', join(dir, 'jobs'));
      expect(serial.code, serial.err).toBe(0);
      expect(jobs.code, jobs.err).toBe(0);
      const summary = (d: string) => {
        const { runtime, ...rest } = JSON.parse(readFileSync(join(dir, d, 'summary.json'), 'utf8'));
        return { runtime, rest: JSON.stringify(rest) };
      };
      const [a, b] = [summary('serial'), summary('jobs')];
      expect(b.rest).toBe(a.rest);
      expect(b.runtime.jobs).toBe(2);
      const raw = readFileSync(join(dir, 'serial', 'raw.ndjson'), 'utf8');
      expect(raw.split('\n').length).toBeGreaterThan(5 * 150);
      expect(readFileSync(join(dir, 'jobs', 'raw.ndjson'), 'utf8')).toBe(raw);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('falls back to the sources through tsx when asked (STAMPEDE_FROM_SOURCE=1)', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, STAMPEDE_FROM_SOURCE: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(bundled('--help').out);
  });
});

describe('bundleStaleness', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stampede-bundle-'));
    mkdirSync(join(dir, 'lib'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (startedMs: number, inputs: string[]) => {
    writeFileSync(join(dir, 'b.mjs'), '');
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify({ startedMs, inputs }));
  };
  const check = () => bundleStaleness(join(dir, 'b.mjs'), join(dir, 'inputs.json'), dir);
  const setMtime = (rel: string, ms: number) => utimesSync(join(dir, rel), ms / 1000, ms / 1000);

  it('is missing without a bundle or an inputs list', () => {
    expect(bundleStaleness(join(dir, 'none.mjs'), join(dir, 'none.json'), dir)).toBe('missing');
  });

  it('is fresh when every input is older than the build start, stale when one is newer or gone', () => {
    writeFileSync(join(dir, 'lib/a.ts'), '');
    writeFileSync(join(dir, 'lib/b.ts'), '');
    setMtime('lib/a.ts', 1_000_000);
    setMtime('lib/b.ts', 1_000_000);
    write(2_000_000, ['lib/a.ts', 'lib/b.ts']);
    expect(check()).toBeUndefined();
    // Saved while the build ran (after it started): stale, though older than the bundle file.
    setMtime('lib/b.ts', 2_000_001);
    expect(check()).toBe('stale: lib/b.ts changed');
    setMtime('lib/b.ts', 1_000_000);
    rmSync(join(dir, 'lib/a.ts'));
    expect(check()).toBe('stale: lib/a.ts is gone');
  });

  it("the help bundle's list is checked alone: a change elsewhere leaves the root help fresh", () => {
    writeFileSync(join(dir, 'lib/a.ts'), '');
    writeFileSync(join(dir, 'lib/help.ts'), '');
    setMtime('lib/a.ts', 3_000_001);
    setMtime('lib/help.ts', 1_000_000);
    writeFileSync(join(dir, 'b.mjs'), '');
    writeFileSync(
      join(dir, 'inputs.json'),
      JSON.stringify({
        startedMs: 3_000_000,
        inputs: ['lib/a.ts', 'lib/help.ts'],
        helpInputs: ['lib/help.ts'],
      }),
    );
    const helpCheck = () => bundleStaleness(join(dir, 'b.mjs'), join(dir, 'inputs.json'), dir, 'helpInputs');
    expect(check()).toBe('stale: lib/a.ts changed');
    expect(helpCheck()).toBeUndefined();
    setMtime('lib/help.ts', 3_000_001);
    expect(helpCheck()).toBe('stale: lib/help.ts changed');
    // An inputs list from before the help bundle: missing, so it is rebuilt.
    write(3_000_000, ['lib/help.ts']);
    expect(helpCheck()).toBe('missing');
  });
});
