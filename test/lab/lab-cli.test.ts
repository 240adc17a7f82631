/**
 * `stampede lab ...` answers that need no running lab, run in-process against a throwaway
 * $STAMPEDE_LAB_HOME: the LAB_NOT_RUNNING hint (how to start one, which labs are up
 * instead), fault input rejected before connecting, `lab exec` without --, `lab up --help`
 * listing every config path, rate errors naming their forms, and `lab status` without a
 * ceiling. (An unknown fault id, which needs a lab, is checked against a real one in
 * test/e2e/lab-lifecycle.test.ts.)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand, renderStatus } from '../../lib/cli/commands/lab';
import { leafPaths } from '../../lib/config/schema';
import { RunError } from '../../lib/errors';
import { labSchema } from '../../lib/lab/config';
import { labClient } from '../../lib/lab/lab-client';
import type { LabStatus } from '../../lib/lab/supervisor';

const home = mkdtempSync(join(tmpdir(), 'stampede-lab-cli-'));
const savedHome = process.env.STAMPEDE_LAB_HOME;
let other: Server;
let second: Server;

async function lab(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), tty: false };
  const code = await runCommand(labCommand, argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  process.env.STAMPEDE_LAB_HOME = home;
  // "other": something answers on its socket (a lab up under another name).
  mkdirSync(join(home, 'other'));
  other = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((r) => other.listen(join(home, 'other', 'api.sock'), r));
  // "stale": a state dir whose lab is gone.
  mkdirSync(join(home, 'stale'));
  // "second": another lab up.
  mkdirSync(join(home, 'second'));
  second = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((r) => second.listen(join(home, 'second', 'api.sock'), r));
});

afterAll(async () => {
  await new Promise((r) => other.close(r));
  await new Promise((r) => second.close(r));
  if (savedHome === undefined) delete process.env.STAMPEDE_LAB_HOME;
  else process.env.STAMPEDE_LAB_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
});

describe('LAB_NOT_RUNNING says how to start a lab and which are up', () => {
  it('in the error itself, so every caller (lab commands, run --target lab) shows it', async () => {
    const e = await labClient(join(home, 'lab', 'api.sock'))
      .status()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RunError);
    expect((e as RunError).code).toBe('LAB_NOT_RUNNING');
    const msg = (e as RunError).message;
    expect(msg).toContain('start one with: npx stampede lab up --detach');
    expect(msg).toContain(`labs up in ${home}: other, second (pass --name other)`);
    expect(msg).toContain(`state dirs of labs not running in ${home}: stale`);
  });

  it('through the CLI: rc 1, and the start line names the lab asked for', async () => {
    const r = await lab('status', '--name', 'mylab');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /no lab is listening on .*mylab\/api\.sock; start one with: npx stampede lab up --detach --name mylab;.*--name other.*\[LAB_NOT_RUNNING\]/,
    );
  });
});

describe('lab fault checks its input before connecting', () => {
  it.each([
    [['nosuch'], /kind: expected one of region-down, .*received "nosuch" \[UNKNOWN_FAULT\]/],
    [['toString'], /kind: expected one of region-down, .*received "toString" \[UNKNOWN_FAULT\]/],
    [['region-down'], /--region: expected a region of the lab \(region-down needs one/],
    [
      ['front-latency', '--region', 'westus', '--set', 'latencyMs=abc'],
      /params\.latencyMs: .*received "abc"/,
    ],
    [
      ['front-latency', '--region', 'westus', '--set', 'latency=5'],
      /params\.latency: expected one of latencyMs/,
    ],
    [['dns-flap', '--region', 'eastus'], /region: expected nothing: dns-flap is lab-wide/],
    [['region-down', '--region', 'eastus', '--backends', '0'], /backends: expected nothing/],
  ])('lab fault %j exits 2 with no lab up', async (args, message) => {
    const r = await lab('fault', ...args, '--name', 'nolab');
    expect(r.err).toMatch(message);
    expect(r.err).not.toContain('LAB_NOT_RUNNING');
    expect(r.code).toBe(2);
  });

  it('valid input goes on to the lab (and only then finds none)', async () => {
    const r = await lab(
      'fault',
      'front-latency',
      '--region',
      'westus',
      '--set',
      'latencyMs=5',
      '--name',
      'nolab',
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('LAB_NOT_RUNNING');
  });
});

describe('lab exec without --', () => {
  it('shows the line that works', async () => {
    const r = await lab('exec', 'dig', '+short', 'x');
    expect(r.code).toBe(2);
    expect(r.err).toContain('put -- before the command: stampede lab exec -- dig +short x');
    const named = await lab('exec', '--name', 'nolab', 'dig', '+short', 'x');
    expect(named.err).toContain('stampede lab exec --name nolab -- dig +short x');
  });

  it('with nothing at all asks for a command after --', async () => {
    const r = await lab('exec');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/<command>: expected a command after --.*received nothing/);
  });
});

describe('help and values', () => {
  it('lab up --help lists every config path with its default', async () => {
    const r = await lab('up', '--help');
    expect(r.code).toBe(0);
    const paths = leafPaths(labSchema);
    expect(paths.length).toBeGreaterThan(30);
    for (const p of paths) expect(r.out, p).toMatch(new RegExp(`\\n  ${p.replace('.', '\\.')} = \\S`));
    expect(r.out).toContain('storage.ceilingBps = 0 B/s');
  });

  it('byte rates name their accepted forms, from lab storage and from --set alike', async () => {
    const storage = await lab('storage', '--ceiling', 'fast', '--name', 'nolab');
    expect(storage.code).toBe(2);
    expect(storage.err).toMatch(
      /--ceiling: expected a number >= 0, in bytes\/s: .*50M.*1Gi.*received "fast"/,
    );
    const up = await lab('up', '--set', 'storage.ceilingBps=fast', '--name', 'nolab', '--detach');
    expect(up.code).toBe(2);
    expect(up.err).toMatch(/storage\.ceilingBps: expected .*50M.*received "fast"/);
  });

  it('lab status shows no unit for no ceiling', () => {
    const s = (ceilingBps: number) =>
      ({
        name: 'x',
        healthy: true,
        uptimeS: 1,
        pid: 1,
        netns: { enabled: true, namespace: 'stampede-x', dnsFeaturesOff: [] },
        endpoints: { dns: '127.0.0.53:53' },
        components: [],
        dnsAnswers: {},
        faults: [],
        storage: { backends: 2, configuredBackends: 2, copies: 1, ceilingBps, selection: 'random' },
      }) as unknown as LabStatus;
    expect(renderStatus(s(0))).toContain('ceiling=none, selection=random');
    expect(renderStatus(s(50e6))).toContain('ceiling=50000000 B/s, selection=random');
  });
});
