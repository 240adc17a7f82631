/**
 * A write that fails after the run (issue 12 item 9): a full disk is injected with
 * /dev/full, as the output itself or behind a symlink where the run writes (raw.ndjson, the
 * summary's temporary file). The run must end with exit 1 and one line per failed path
 * naming the reason, keep every other output, print its result line, and leave no
 * `*.tmp-*` file; a device named as the output is written, never renamed over.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { rootCommand } from '../../lib/cli/main';
import { ndjsonWriter } from '../../lib/results/ndjson';
import { WriteError, writeFileAtomic, writeJsonAtomic } from '../../lib/results/run-dir';

const scratch = mkdtempSync(join(tmpdir(), 'stampede-write-fail-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const fresh = (name: string) => mkdtempSync(join(scratch, `${name}-`));
const tmpFiles = (dir: string) => readdirSync(dir).filter((f) => f.includes('.tmp-'));
// /dev/full behind a symlink: code that renamed over its output (as writeFileAtomic once
// did) replaces the link, never the machine's device node.
const FULL = join(scratch, 'full.json');
symlinkSync('/dev/full', FULL);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('writeFileAtomic on a failing disk', () => {
  it('/dev/full as the output: WriteError naming it and ENOSPC; the device written in place, not renamed over', () => {
    const e = thrown(() => writeJsonAtomic(FULL, { a: 1 }));
    expect(e).toBeInstanceOf(WriteError);
    expect((e as WriteError).message).toBe(`could not write ${FULL}: ENOSPC no space left on device`);
    expect((e as WriteError).exitCode).toBe(1);
    expect(statSync(FULL).isCharacterDevice()).toBe(true);
    expect(tmpFiles(scratch)).toEqual([]);
  });

  it('a full disk under the temporary file: no *.tmp-* left, the old file untouched', () => {
    const dir = fresh('atomic');
    const path = join(dir, 'summary.json');
    writeFileAtomic(path, 'old\n');
    symlinkSync('/dev/full', `${path}.tmp-${process.pid}`);
    const e = thrown(() => writeFileAtomic(path, 'new\n'));
    expect(e).toBeInstanceOf(WriteError);
    expect((e as WriteError).path).toBe(path);
    expect(tmpFiles(dir)).toEqual([]);
    expect(statSync(path).size).toBe(4);
  });

  it('ndjsonWriter keeps the first failure and drops later records instead of throwing', () => {
    const dir = fresh('ndjson');
    symlinkSync('/dev/full', join(dir, 'raw.ndjson'));
    const w = ndjsonWriter(join(dir, 'raw.ndjson'));
    w.write({ a: 1 });
    w.writeMany([{ b: 2 }, { c: 3 }]);
    w.close();
    expect(w.failure).toBeInstanceOf(WriteError);
    expect(w.failure?.message).toContain('ENOSPC');
  });
});

async function sim(args: string[]): Promise<{ code: number; out: string; err: string; lines: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: Io = { out: (t) => stdout.push(t), err: (t) => stderr.push(t), tty: false };
  const code = await runCommand(rootCommand, ['sim', 'cold-pull', ...args], io);
  const err = stderr.join('\n');
  return {
    code,
    out: stdout.join('\n'),
    err,
    lines: err.split('\n').filter((l) => l.startsWith('stampede: ')),
  };
}

const enospc = (path: string) =>
  `stampede: could not write ${path}: ENOSPC no space left on device [WRITE_FAILED]`;

describe('a simulation whose outputs cannot be written', () => {
  it('--json on a full disk: exit 1, one line, the run dir complete and the result line printed', async () => {
    const out = fresh('sim');
    const r = await sim(['--set', 'workload.nodes=20', '--out', out, '--json', FULL]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).not.toMatch(/\n\s+at |unexpected failure/);
    expect(r.lines).toEqual([enospc(FULL)]);
    expect(r.out).toContain(`run: ${out}\nreport: ${join(out, 'report.html')}`);
    for (const f of ['raw.ndjson', 'summary.json', 'report.html'])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(statSync(FULL).isCharacterDevice()).toBe(true);
  });

  // A real full disk: a tmpfs of two pages holds part of raw.ndjson and nothing more.
  const root = process.getuid?.() === 0;
  it.skipIf(!root && process.env.CI !== 'true')(
    '--out on a disk that fills during the run: raw.ndjson kept as far as it went, every failure named once',
    async () => {
      const out = fresh('full');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8k', 'stampede-test-full', out]);
      try {
        const r = await sim(['--set', 'workload.nodes=400', '--out', out, '--json', FULL]);
        expect(r.code, r.err).toBe(1);
        expect(r.err).not.toMatch(/\n\s+at |unexpected failure/);
        expect(r.lines[0]).toBe(enospc(join(out, 'raw.ndjson')));
        expect(r.lines).toContain(enospc(join(out, 'summary.json')));
        expect(r.lines).toContain(enospc(FULL));
        expect(r.lines.every((l) => l.endsWith('[WRITE_FAILED]'))).toBe(true);
        expect(r.out).toContain(`run: ${out}`);
        expect(r.out).toMatch(/^point +P50/m); // the result table printed anyway
        expect(statSync(join(out, 'raw.ndjson')).size).toBeGreaterThan(0);
        expect(tmpFiles(out)).toEqual([]);
      } finally {
        execFileSync('umount', ['-l', out]);
      }
    },
  );
});
