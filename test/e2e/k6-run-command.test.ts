/**
 * `stampede run cold-pull --target lab` end to end: it re-enters the lab's namespace,
 * seeds the image, runs k6 there, and leaves summary.json (the result envelope), the raw
 * k6 points and a report in the run dir, with no credential in any of them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand } from '../../lib/cli/commands/lab';
import { runScenarioCommand } from '../../lib/cli/commands/run';
import { REPO_ROOT } from '../../lib/k6/bundle';
import { readIdentityRecord } from '../../lib/lab/identity';
import { labClient, labSocketPath } from '../../lib/lab/lab-client';
import type { Envelope } from '../../lib/results/envelope';
import { K6, prerequisites, ROOT } from '../helpers/prereq';
import { labUpArgs } from './helpers/lab-up';

const LAB = 'k6run';
const FOREIGN = {
  STAMPEDE_REFRESH_TOKEN: 'refresh-token-for-myreg',
  STAMPEDE_AAD_TOKEN: 'aad-token-for-myreg',
  STAMPEDE_USERNAME: 'user-for-myreg',
  STAMPEDE_PASSWORD: 'password-for-myreg',
};
const canRun = prerequisites('stampede run cold-pull --target lab', [ROOT, K6]);
let home: string;
let out: string;
let code: number;
const lines: string[] = [];
const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };

/** `run` argv for a cold-pull through this file's lab into `out`, with --set assignments. */
function coldPullArgs(out: string, ...sets: string[]): string[] {
  return labColdPullArgs(LAB, out, sets);
}

function labColdPullArgs(lab: string, out: string, sets: string[]): string[] {
  return ['cold-pull', '--target', 'lab', '--name', lab, '--out', out, ...sets.flatMap((a) => ['--set', a])];
}

beforeAll(async () => {
  if (!canRun) return;
  home = mkdtempSync(join(tmpdir(), 'stampede-k6cli-'));
  out = join(home, 'run');
  process.env.STAMPEDE_LAB_HOME = home;
  // k6 reads its options from K6_* too: this one would save setup()'s return value.
  process.env.K6_SUMMARY_EXPORT = join(home, 'exported-summary.json');
  // Credentials a user keeps for a real registry: a lab run must not send them to the lab.
  Object.assign(process.env, FOREIGN);
  const up = await runCommand(
    labCommand,
    // Storage over TLS: k6 follows 307s to https:// backends and verifies them against the lab CA.
    labUpArgs(LAB, 'lab.octet=5', 'regions.names=eastus,westus', 'storage.tls=true'),
    io,
  );
  expect(up).toBe(0);
  code = await runCommand(
    runScenarioCommand,
    coldPullArgs(out, 'vus=2', 'layers=100000,250000', 'image=cli/app:v1'),
    io,
  );
  delete process.env.K6_SUMMARY_EXPORT;
  for (const k of Object.keys(FOREIGN)) delete process.env[k];
}, 180_000);

afterAll(async () => {
  if (!canRun) return;
  await runCommand(labCommand, ['down', '--name', LAB], io);
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe.runIf(canRun)('stampede run cold-pull --target lab', () => {
  it('exits 0 and writes the k6 result envelope', () => {
    expect(code, lines.join('\n')).toBe(0);
    const env = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Envelope;
    expect(env).toMatchObject({ tool: 'stampede', kind: 'k6', name: 'cold-pull' });
    expect(env.params).toMatchObject({ vus: 2, layers: [100000, 250000], target: { kind: 'lab', lab: LAB } });
    expect(env.metrics.pulls).toEqual({ ok: 2, failed: 0 });
    expect(env.metrics.errors).toEqual({ total: 0, byCode: {} });
    expect(env.metrics.pullS?.p50).toBeGreaterThan(0);
    const backends = env.metrics.backends ?? [];
    expect(backends.length).toBeGreaterThan(0);
    expect(backends.reduce((a, b) => a + b.bytes, 0)).toBeGreaterThanOrEqual(2 * 350_000);
    // 503s per backend are recorded for the run (this lab has no ceiling, so none).
    expect(backends.map((b) => b.throttles)).toEqual(backends.map(() => 0));
    // A backend that served this run has a peak from this run, even if it all fell in the
    // run's first second.
    for (const b of backends.filter((x) => x.bytes > 0)) expect(b.peakEgressBps, b.id).toBeGreaterThan(0);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(['raw.ndjson', 'summary.json']));
  });

  it('keeps every secret out of the run dir', async () => {
    const { topology } = await labClient(labSocketPath(LAB)).config();
    const secrets = readIdentityRecord(topology.stateDir).clients.map((c) => c.clientSecret);
    for (const f of readdirSync(out)) {
      const text = readFileSync(join(out, f), 'utf8');
      for (const s of secrets) expect(text.includes(s), `${f} holds a client secret`).toBe(false);
    }
    for (const l of lines) for (const s of secrets) expect(l.includes(s)).toBe(false);
  });

  it('keeps the registry refresh token (a JWT that setup() hands the VUs) out of the run dir', () => {
    // k6 writes setup()'s return value into --summary-export; the scenario's handleSummary
    // writes the summary without it.
    const summary = JSON.parse(readFileSync(join(out, 'k6-summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary.metrics).toBeDefined();
    expect(summary).not.toHaveProperty('setup_data');
    const jwt = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/;
    for (const f of readdirSync(out))
      expect(jwt.test(readFileSync(join(out, f), 'utf8')), `${f} holds a token`).toBe(false);
    for (const l of lines) expect(jwt.test(l), l).toBe(false);
  });

  it("pulls with the lab's own credentials, not those in the caller's environment", () => {
    // The first test's 2 ok pulls say the lab accepted them; these say nothing else was sent.
    expect(code, lines.join('\n')).toBe(0);
    for (const l of lines) for (const v of Object.values(FOREIGN)) expect(l).not.toContain(v);
  });

  it("ignores k6 options in the caller's environment (K6_SUMMARY_EXPORT would save setup data)", () => {
    expect(code, lines.join('\n')).toBe(0);
    expect(existsSync(join(home, 'exported-summary.json'))).toBe(false);
  });
});

/** TCP ports listening in `pid`'s network namespace (/proc/PID/net/tcp{,6}, state 0A). */
function listeningPorts(pid: number): number[] {
  const ports: number[] = [];
  for (const f of ['tcp', 'tcp6']) {
    const rows = readFileSync(`/proc/${pid}/net/${f}`, 'utf8').trim().split('\n').slice(1);
    for (const row of rows) {
      const [, local, , state] = row.trim().split(/\s+/);
      if (state === '0A' && local) ports.push(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

/** A run long enough to signal: the CLI as a user starts it, in its own process. */
async function startLongRun(
  dir: string,
  lab = LAB,
): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'bin/stampede.js'),
      'run',
      ...labColdPullArgs(lab, dir, [
        'vus=2',
        'iterations=400',
        'layers=2000000,2000000',
        'image=cli/long:v1',
      ]),
    ],
    { stdio: 'ignore', env: { ...process.env, STAMPEDE_LAB_HOME: home } },
  );
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  // Wait for k6 to have finished a pull: its point is on disk (a loaded box can take a while).
  const raw = join(dir, 'raw.ndjson');
  const pulled = () =>
    existsSync(raw) && readFileSync(raw, 'utf8').includes('"metric":"pulls","type":"Point"');
  for (let i = 0; i < 900 && !pulled(); i++) await sleep(100);
  expect(pulled(), 'k6 never finished a pull').toBe(true);
  return { child, exited };
}

/** k6 processes still writing into `dir`. */
function k6Writing(dir: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('k6') && cmd.some((a) => a.includes(dir))) pids.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe.runIf(canRun)('stampede run cold-pull stopped by a signal', () => {
  it('on SIGTERM (timeout, lab down) stops k6 and still writes the summary and report', async () => {
    const dir = join(home, 'sigterm');
    const { child, exited } = await startLongRun(dir);
    // Twice, as an impatient supervisor does: k6 must still get one SIGINT only (a second
    // one aborts it without its summary).
    child.kill('SIGTERM');
    await sleep(20);
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(60_000).then(() => 'hung' as const)]);
    expect(code).toBe(1);
    expect(existsSync(join(dir, 'k6-summary.json')), 'k6 wrote its end-of-test summary').toBe(true);
    const env = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Envelope;
    expect(env.incomplete).toMatchObject({ reason: 'interrupted' });
    const pulls = env.metrics.pulls as { ok: number; failed: number } | undefined;
    expect((pulls?.ok ?? 0) + (pulls?.failed ?? 0)).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    expect(k6Writing(dir)).toEqual([]);
  }, 120_000);

  it('serves no k6 REST API while it runs, and on SIGKILL leaves no k6 behind (the kernel signals it when its parent dies)', async () => {
    const dir = join(home, 'sigkill');
    const { child, exited } = await startLongRun(dir);
    const k6 = k6Writing(dir);
    expect(k6.length).toBe(1);
    // k6's REST API (default localhost:6565) would serve setup()'s return value at /v1/setup.
    expect(listeningPorts(k6[0] as number)).not.toContain(6565);
    child.kill('SIGKILL');
    await exited;
    let left = k6Writing(dir);
    for (let i = 0; i < 300 && left.length > 0; i++) {
      await sleep(100);
      left = k6Writing(dir);
    }
    expect(left).toEqual([]);
  }, 120_000);

  // Last: it takes the lab down.
  it('lab down during a run: the run stops k6 once (k6 keeps its summary) and writes its own', async () => {
    await expectLabDownStopsRunFirst(join(home, 'labdown'), LAB);
  }, 120_000);
});

/**
 * `lab down` in the middle of a long run: the run is stopped first, while the registries
 * still answer, and writes its files. (Registries first, k6 failed its remaining pulls in a
 * blink and ended "complete".)
 */
async function expectLabDownStopsRunFirst(dir: string, lab: string): Promise<void> {
  const { exited } = await startLongRun(dir, lab);
  lines.length = 0;
  expect(await runCommand(labCommand, ['down', '--name', lab], io)).toBe(0);
  expect(lines.join('\n')).toMatch(/stopping a run against the lab first \(pid \d+\)/);
  const code = await Promise.race([exited, sleep(60_000).then(() => 'hung' as const)]);
  expect(code).toBe(1);
  const env = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Envelope;
  expect(env.incomplete).toMatchObject({ reason: 'interrupted' });
  const pulls = env.metrics.pulls as { ok: number; failed: number } | undefined;
  expect(pulls).toMatchObject({ failed: 0 });
  expect(pulls?.ok).toBeGreaterThan(0);
  expect(existsSync(join(dir, 'k6-summary.json')), 'k6 wrote its end-of-test summary').toBe(true);
  expect(existsSync(join(dir, 'report.html'))).toBe(true);
  expect(k6Writing(dir)).toEqual([]);
}

// A lab on the host loopback has no namespace to find its runs in: they register with it.
describe.runIf(canRun)('lab down on the host loopback (lab.netns=off) during a run', () => {
  const HOST_LAB = 'k6host';
  beforeAll(async () => {
    expect(await runCommand(labCommand, labUpArgs(HOST_LAB, 'lab.octet=9', 'lab.netns=off'), io)).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await runCommand(labCommand, ['down', '--name', HOST_LAB], io);
  }, 60_000);

  it('stops the run first there too', async () => {
    await expectLabDownStopsRunFirst(join(home, 'labdown-host'), HOST_LAB);
  }, 120_000);
});
