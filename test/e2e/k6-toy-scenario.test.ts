/**
 * The scenario registry end to end: a toy scenario defined and registered from this test
 * file (its k6 entry in test/fixtures/k6/toy-scenario.ts) runs through `stampede run` with
 * the real k6 against a real registry server on loopback, without touching any other file:
 * the help lists it, bad input exits 2 naming the field, a run writes its envelope and report.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { runScenarioCommand } from '../../lib/cli/commands/run';
import { int, str } from '../../lib/config/schema';
import { defineScenario } from '../../lib/k6/scenario';
import { registerScenario } from '../../lib/k6/scenarios';
import { type RegistryProcess, startRegistry } from '../../lib/lab/registry-process';
import { pushImage } from '../../lib/oci/push';
import type { Envelope } from '../../lib/results/envelope';
import { K6, prerequisites, REGISTRY } from '../helpers/prereq';

const canRun = prerequisites('a toy scenario through stampede run', [K6, REGISTRY]);

interface ToyParams {
  vus: number;
  iterations: number;
  repo: string;
}

const toy = defineScenario<ToyParams>({
  name: 'toy-tags',
  summary: 'a toy: every VU lists one repository’s tags',
  schema: {
    vus: int({ default: 2, min: 1, max: 10, doc: 'virtual users' }),
    iterations: int({ default: 3, min: 1, max: 100, doc: 'tag lists per VU' }),
    repo: str({ default: 'toy/app', pattern: /^[a-z0-9/]+$/, doc: 'repository whose tags are listed' }),
  },
  script: join(import.meta.dirname, '../fixtures/k6/toy-scenario.ts'),
  progress: { metric: 'toy_listed', unit: 'lists', total: (p) => p.vus * p.iterations },
  // Beside k6 (a fault schedule would go here): started with the run, told when k6 is done.
  async duringRun({ base, signal }) {
    beside.push(`start ${base}`);
    await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    beside.push('k6 done');
  },
  verdict(envelope) {
    const h = (envelope.metrics as { http: { requests: number; failed: number } }).http;
    return {
      exitCode: h.failed === 0 && h.requests > 0 ? 0 : 1,
      line: `${h.requests} requests, ${h.failed} failed`,
    };
  },
});

const beside: string[] = [];
let work: string;
let registry: RegistryProcess;
let unregister: () => void;
const lines: string[] = [];
const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  unregister = registerScenario(toy);
  if (!canRun) return;
  work = mkdtempSync(join(tmpdir(), 'stampede-toy-'));
  registry = await startRegistry({
    name: 'toy',
    ip: '127.0.0.1',
    port: await freePort(),
    dir: join(work, 'reg'),
  });
  await pushImage(registry.url, 'toy/app', 'v1', [Buffer.alloc(1000, 7)]);
}, 60_000);

afterAll(async () => {
  unregister?.();
  if (!canRun) return;
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('a scenario registered from a test file', () => {
  it('is listed, with its parameters, in `stampede run --help`', async () => {
    lines.length = 0;
    expect(await runCommand(runScenarioCommand, ['--help'], io)).toBe(0);
    const help = lines.join('\n');
    expect(help).toMatch(/toy-tags\s+a toy: every VU lists one repository’s tags/);
    expect(help).toContain('Parameters of toy-tags');
    expect(help).toMatch(/repo = "toy\/app"\n\s+repository whose tags are listed/);
    expect(help).toContain('cold-pull');
  });

  it('bad input exits 2 naming the field', async () => {
    lines.length = 0;
    expect(
      await runCommand(
        runScenarioCommand,
        ['toy-tags', '--target', 'http://127.0.0.1:1', '--set', 'vus=0'],
        io,
      ),
    ).toBe(2);
    expect(lines.join('\n')).toMatch(/vus.*0/);
    lines.length = 0;
    expect(await runCommand(runScenarioCommand, ['toy-tag', '--target', 'http://127.0.0.1:1'], io)).toBe(2);
    // The registered names are listed, the test's own among them.
    expect(lines.join('\n')).toMatch(
      /<scenario>: expected one of cold-pull, .*\btoy-tags\b.*received "toy-tag"/,
    );
  });

  it.runIf(canRun)(
    'runs with the real k6 against a loopback registry: envelope and report written',
    async () => {
      lines.length = 0;
      const out = join(work, 'run');
      const code = await runCommand(
        runScenarioCommand,
        ['toy-tags', '--target', registry.url, '--out', out, '--set', 'iterations=2'],
        io,
      );
      expect(code, lines.join('\n')).toBe(0);
      const env = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Envelope;
      expect(env).toMatchObject({ tool: 'stampede', kind: 'k6', name: 'toy-tags' });
      expect(env.params).toMatchObject({
        vus: 2,
        iterations: 2,
        repo: 'toy/app',
        target: { kind: 'url', base: registry.url },
      });
      // 2 VUs x 2 iterations x (ping + tag list); an open registry needs no token
      expect(env.metrics.http).toMatchObject({ requests: 8, failed: 0, byStep: { ping: 4, tags: 4 } });
      expect(existsSync(join(out, 'report.html'))).toBe(true);
      expect(beside).toEqual([`start ${registry.url}`, 'k6 done']);
      expect(lines.join('\n')).toMatch(/k6 toy-tags: done in [\d.]+s 8 requests, 0 failed/);
    },
    120_000,
  );
});
