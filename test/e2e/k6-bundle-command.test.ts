/**
 * `stampede bundle cold-pull` end to end, the way a user with their own k6 would use it: the
 * command writes the file, the file is copied alone into an empty directory outside the
 * repository, and the real k6 runs it with the STAMPEDE_PARAMS printed by the command
 * (taken from its stderr line, not rebuilt here) against a real docker-registry on loopback
 * with a seeded image. Every pull must succeed and every blob byte arrive.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineCommand, type Io, runCommand } from '../../lib/cli/command';
import { bundleCommand } from '../../lib/cli/commands/bundle';
import { collectMetrics } from '../../lib/k6/collect';
import { freeLoopbackPort } from '../../lib/k6/k6-out';
import { K6_BIN } from '../../lib/k6/run';
import { REGISTRY_BIN, type RegistryProcess, startRegistry } from '../../lib/lab/registry-process';
import { pushImage } from '../../lib/oci/push';
import { readNdjson } from '../../lib/results/ndjson';

const canRun = existsSync(K6_BIN) && existsSync(REGISTRY_BIN);
if (process.env.CI === 'true' && !canRun) throw new Error(`k6 (${K6_BIN}) or ${REGISTRY_BIN} missing`);

const root = defineCommand({
  name: 'stampede',
  summary: 'test root',
  subCommands: { bundle: bundleCommand },
});

let work: string;
let registry: RegistryProcess;
let layerBytes: number;
let layerCount: number;

beforeAll(async () => {
  if (!canRun) return;
  work = mkdtempSync(join(tmpdir(), 'stampede-bundle-e2e-'));
  registry = await startRegistry({
    name: 'byok6',
    ip: '127.0.0.1',
    port: await freeLoopbackPort(),
    dir: join(work, 'reg'),
  });
  const pushed = await pushImage(registry.url, 'byo/app', 'v1', [
    Buffer.alloc(90_000, 3),
    Buffer.alloc(150_000, 4),
  ]);
  const blobs = [pushed.config, ...pushed.layers];
  layerCount = blobs.length;
  layerBytes = blobs.reduce((a, b) => a + b.size, 0);
}, 60_000);

afterAll(async () => {
  if (!canRun) return;
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Runs k6 as a user would, in `cwd`, with a bounded time; returns its exit code and output. */
function k6(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((res, rej) => {
    // Only what k6 needs: no STAMPEDE_* or K6_* of this process leaks into the user's run.
    const child = spawn(K6_BIN, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('error', rej);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res({ code, output });
    });
  });
}

describe.runIf(canRun)('stampede bundle: the written script runs on a plain k6', () => {
  it('bundles cold-pull, and k6 run with the printed STAMPEDE_PARAMS pulls from a loopback registry', async () => {
    const out = join(work, 'out');
    mkdirSync(out);
    const file = join(out, 'cold.bundle.js');
    let stdout = '';
    let stderr = '';
    const io: Io = { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`), tty: false };
    const code = await runCommand(
      root,
      [
        'bundle',
        'cold-pull',
        '-o',
        file,
        '--target',
        registry.url,
        '--set',
        'vus=3',
        '--set',
        'image=byo/app:v1',
        '--set',
        'maxDurationS=60',
      ],
      io,
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('');
    const script = readFileSync(file, 'utf8');
    // Self-contained: only k6's own modules are imported; no parameter or target baked in.
    const imports = [...script.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const i of imports) expect(i).toMatch(/^k6(\/|$)/);
    expect(script).not.toContain(registry.url);
    expect(script).not.toContain('byo/app');

    const line = /k6 run --address= -e STAMPEDE_PARAMS='([^']+)' (\S+)/.exec(stderr);
    expect(line, stderr).not.toBeNull();
    const printed = (line as RegExpExecArray)[1] as string;
    const params = JSON.parse(printed) as Record<string, unknown>;
    expect(params).toMatchObject({ vus: 3, iterations: 1, image: 'byo/app:v1', baseUrl: registry.url });
    expect(stderr).toMatch(/credentials: .*STAMPEDE_REFRESH_TOKEN/);

    // The file alone, in an empty directory outside the repository.
    const user = join(work, 'user');
    mkdirSync(user);
    copyFileSync(file, join(user, 'cold-pull.bundle.js'));
    const r = await k6(
      [
        'run',
        '--address=',
        '--no-usage-report',
        '--quiet',
        '--out',
        'json=raw.ndjson',
        '-e',
        `STAMPEDE_PARAMS=${printed}`,
        'cold-pull.bundle.js',
      ],
      user,
    );
    expect(r.code, r.output).toBe(0);
    const m = collectMetrics(readNdjson(join(user, 'raw.ndjson')));
    expect(m.pulls).toEqual({ ok: 3, failed: 0 });
    expect(m.bytes).toBe(3 * layerBytes);
    expect(layerCount).toBe(3);
  }, 200_000);
});
