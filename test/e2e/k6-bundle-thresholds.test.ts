/**
 * `stampede bundle --threshold`: the thresholds are in the written script's own options, so
 * a user's k6 (or Grafana Cloud k6, or the k6-operator) enforces them with no --config file.
 * Checked with the real k6: `k6 inspect` (the options k6 resolves from the script) and
 * `k6 archive` (the options in the archive's metadata.json, what the cloud and the operator
 * run), each with the STAMPEDE_PARAMS the command printed. No registry is needed: both read
 * only the script's init context.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineCommand, type Io, runCommand } from '../../lib/cli/command';
import { bundleCommand } from '../../lib/cli/commands/bundle';
import { K6_BIN } from '../../lib/k6/run';

const run = promisify(execFile);
const canRun = existsSync(K6_BIN);
if (process.env.CI === 'true' && !canRun) throw new Error(`k6 (${K6_BIN}) missing`);

const root = defineCommand({
  name: 'stampede',
  summary: 'test root',
  subCommands: { bundle: bundleCommand },
});

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'stampede-bundle-thr-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Bundles and returns the file and the printed STAMPEDE_PARAMS. */
async function bundle(
  scenario: string,
  extra: string[],
): Promise<{ file: string; params: string; err: string }> {
  const file = join(work, `${scenario}-${extra.length}.bundle.js`);
  let err = '';
  const io: Io = { out: () => {}, err: (t) => (err += `${t}\n`), tty: false };
  const code = await runCommand(
    root,
    ['bundle', scenario, '-o', file, '--target', 'http://127.0.0.1:5999', ...extra],
    io,
  );
  expect(code, err).toBe(0);
  const line = /k6 run --address= -e STAMPEDE_PARAMS='([^']+)' (\S+)/.exec(err);
  expect(line, err).not.toBeNull();
  return { file, params: (line as RegExpExecArray)[1] as string, err };
}

/** The options k6 resolves from the script (`k6 inspect`). */
async function inspect(file: string, params: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(K6_BIN, ['inspect', '-e', `STAMPEDE_PARAMS=${params}`, file], {
    timeout: 60_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe.runIf(canRun)('stampede bundle --threshold: thresholds in the script, as k6 sees them', () => {
  it('cold-pull: k6 inspect and k6 archive show the thresholds; the scenario options are kept', async () => {
    const b = await bundle('cold-pull', [
      '--set',
      'vus=7',
      '--threshold',
      'pull_duration=p(99)<5000',
      '--threshold',
      'http_req_failed{step:blob}=rate<0.01',
      '--threshold',
      'pull_duration=p(50)<2000',
    ]);
    expect(b.err).toContain('thresholds in the script');
    const opts = await inspect(b.file, b.params);
    expect(opts.thresholds).toEqual({
      pull_duration: ['p(99)<5000', 'p(50)<2000'],
      'http_req_failed{step:blob}': ['rate<0.01'],
    });
    // The scenario's own options are still there, from the same STAMPEDE_PARAMS.
    expect((opts.scenarios as Record<string, { vus: number }>)['cold-pull']?.vus).toBe(7);

    const tar = join(work, 'cold.tar');
    await run(K6_BIN, ['archive', '-e', `STAMPEDE_PARAMS=${b.params}`, '-O', tar, b.file], {
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work },
    });
    const { stdout } = await run('tar', ['-xOf', tar, 'metadata.json'], { timeout: 30_000 });
    const meta = JSON.parse(stdout) as { options: { thresholds: Record<string, unknown> } };
    expect(Object.keys(meta.options.thresholds).sort()).toEqual([
      'http_req_failed{step:blob}',
      'pull_duration',
    ]);
  });

  it('a scenario without a default export (push-pull-race: named exec functions) bundles and inspects', async () => {
    const b = await bundle('push-pull-race', ['--threshold', 'checks=rate>0.99']);
    const opts = await inspect(b.file, b.params);
    expect(opts.thresholds).toEqual({ checks: ['rate>0.99'] });
    expect(Object.keys(opts.scenarios as object).length).toBeGreaterThan(0);
  });

  it('without --threshold the script carries no thresholds (the plain bundle)', async () => {
    const b = await bundle('cold-pull', []);
    const opts = await inspect(b.file, b.params);
    expect(opts.thresholds ?? {}).toEqual({});
    expect(readFileSync(b.file, 'utf8')).not.toContain('const added =');
  });

  it('a malformed --threshold exits 2 naming the flag, before any file is written', async () => {
    let err = '';
    const io: Io = { out: () => {}, err: (t) => (err += `${t}\n`), tty: false };
    const file = join(work, 'bad.js');
    const code = await runCommand(
      root,
      ['bundle', 'cold-pull', '-o', file, '--threshold', 'pull_duration=p99<5'],
      io,
    );
    expect(code).toBe(2);
    expect(err).toContain('--threshold');
    expect(existsSync(file)).toBe(false);
  });
});
