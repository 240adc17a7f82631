/**
 * `stampede run cold-pull --target <URL>` with nothing listening there, as a user starts
 * it: two runs at once, no --out. Each claims a run dir of its own (a plain mkdir, so two
 * runs of the same second never share one), every pull fails with the connection error
 * named, and the result envelope and report are still written.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/k6/bundle';
import type { Envelope } from '../../lib/results/envelope';
import { K6, prerequisites } from '../helpers/prereq';

const work = mkdtempSync(join(tmpdir(), 'stampede-url-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A loopback port nothing listens on: the kernel hands one out, and it is closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function stampede(...argv: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/stampede.js'), ...argv], {
    cwd: work,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((res) => child.once('close', (code) => res({ code, err })));
}

const canRun = prerequisites('stampede run against a URL target', [K6]);

describe.runIf(canRun)('stampede run cold-pull against a registry that does not answer', () => {
  it('two runs started together: a run dir each, the connection error named, the envelope kept', async () => {
    const target = `http://127.0.0.1:${await closedPort()}`;
    const argv = ['run', 'cold-pull', '--target', target, '--set', 'vus=1', '--set', 'iterations=1'];
    const runs = await Promise.all([stampede(...argv), stampede(...argv)]);
    for (const r of runs) {
      expect(r.code, r.err).toBe(1);
      // k6 quotes the message: it ends at the parenthesis.
      expect(r.err).toMatch(/GET \/v2\/: no response \([^)]*connection refused\)"/);
    }
    const dirs = readdirSync(join(work, 'runs'));
    expect(dirs).toHaveLength(2);
    for (const d of dirs) {
      const env = JSON.parse(readFileSync(join(work, 'runs', d, 'summary.json'), 'utf8')) as Envelope;
      expect(env.params).toMatchObject({ target: { kind: 'url', base: target } });
      expect(env.metrics.pulls).toEqual({ ok: 0, failed: 1 });
      expect(Object.keys(env.metrics.errors?.byCode ?? {})).toEqual([expect.stringMatching(/^NETWORK_\d+$/)]);
      expect(existsSync(join(work, 'runs', d, 'report.html'))).toBe(true);
    }
  }, 120_000);
});
