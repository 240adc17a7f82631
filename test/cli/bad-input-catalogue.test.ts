/**
 * Runs the bad-input catalogue (test/cli/bad-input-cases.ts) through the CLI's own runner
 * in-process: every case must exit with its code (2: bad input), print one `stampede: ...`
 * line naming the field with a stable [CODE], and no stack trace. Starting a lab or k6 is
 * stubbed to fail loudly: a case that gets that far was not rejected as bad input.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { rootCommand } from '../../lib/cli/main';
import { BAD_INPUT, type BadInputCase } from './bad-input-cases';

const { reached } = vi.hoisted(() => ({
  reached: (what: string) => () => {
    throw new Error(`catalogue case reached ${what}: it was not rejected as bad input`);
  },
}));
vi.mock('../../lib/lab/daemon', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  runGuard: reached('a lab start'),
  startDetached: reached('a lab start'),
  labDown: reached('lab down'),
}));
vi.mock('../../lib/k6/run', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  runK6: reached('a k6 run'),
}));

const scratch = mkdtempSync(join(tmpdir(), 'stampede-bad-input-'));
const saved = { home: process.env.STAMPEDE_LAB_HOME, name: process.env.STAMPEDE_LAB_NAME };
let n = 0;

const cwd = process.cwd();

beforeAll(() => {
  // No case may find (or touch) a real lab of this checkout, and a case that wrongly runs
  // leaves its runs/ directory in the scratch dir, not in the checkout.
  process.chdir(scratch);
  process.env.STAMPEDE_LAB_HOME = join(scratch, 'lab-home');
  delete process.env.STAMPEDE_LAB_NAME;
});
afterAll(() => {
  process.chdir(cwd);
  for (const [k, v] of [
    ['STAMPEDE_LAB_HOME', saved.home],
    ['STAMPEDE_LAB_NAME', saved.name],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  rmSync(scratch, { recursive: true, force: true });
});

async function runCase(c: BadInputCase): Promise<{ code: number; out: string; err: string }> {
  const dir = join(scratch, `case-${++n}`);
  mkdirSync(dir);
  for (const [rel, text] of Object.entries(c.files ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), tty: false };
  const argv = c.argv.map((a) => a.replaceAll('{dir}', dir));
  const code = await runCommand(rootCommand, argv, io);
  return { code, out: out.join('\n'), err: err.join('\n').replaceAll(dir, '{dir}') };
}

for (const [command, cases] of Object.entries(BAD_INPUT)) {
  describe(`bad input: ${command}`, () => {
    for (const c of cases) {
      const files = Object.entries(c.files ?? {}).map(([k, v]) => `${k}: ${v.slice(0, 70)}`);
      it(`${c.argv.join(' ')}${files.length ? ` (${files.join('; ')})` : ''}`, async () => {
        const r = await runCase(c);
        const said = `${r.err}\n(stdout: ${r.out.slice(0, 300)})`;
        expect(r.code, said).toBe(c.exit ?? 2);
        expect(r.err, said).toMatch(/^stampede: .+ \[[A-Z0-9_]+\]$/m);
        expect(r.err, 'no stack trace for bad input').not.toMatch(/\n\s+at |unexpected failure/);
        for (const word of c.names) expect(r.err, said).toContain(word);
        if (c.code) expect(r.err, said).toContain(`[${c.code}]`);
      });
    }
  });
}

describe('the catalogue itself', () => {
  it('covers every top-level command', () => {
    const commands = Object.keys(rootCommand.subCommands ?? {});
    for (const c of commands) expect(Object.keys(BAD_INPUT), c).toContain(c);
    expect(Object.values(BAD_INPUT).flat().length).toBeGreaterThan(60);
  });
});
