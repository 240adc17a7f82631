/**
 * Dual stack (issue 21), end to end with the real CLI, a real k6 and the real lab: a lab
 * started with lab.endpointProtocol=IPv4AndIPv6 gives fronts, data/regional endpoints,
 * storage backends (and the identity stand-in) a ULA IPv6 address inside its own namespace;
 * its DNS answers AAAA beside A. `run cold-pull` with dns.policy onlyIPv4 and onlyIPv6 both
 * pull cleanly, every request recorded with the family it used, and `report A B` sets them
 * side by side. Then `lab fault family-down --family ipv6`: onlyIPv6 fails every pull by a
 * connection-refused code, onlyIPv4 is untouched, and preferIPv6 is measured. The host's
 * listening sockets and addresses never change, and `lab down` leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand } from '../../lib/cli/commands/lab';
import { runScenarioCommand } from '../../lib/cli/commands/run';
import type { FamilyMetrics, K6Metrics } from '../../lib/k6/collect';
import { pointDirName } from '../../lib/k6/list-sweep';
import { labClient, labSocketPath } from '../../lib/lab/lab-client';
import { namespaceExists, nsExec } from '../../lib/lab/netns';
import type { Topology } from '../../lib/lab/topology';
import type { Envelope } from '../../lib/results/envelope';
import { K6, prerequisites, ROOT } from '../helpers/prereq';
import { labUpArgs } from './helpers/lab-up';

const LAB = 'dualstk';
const VUS = 2;
const ITER = 2;
const PULLS = VUS * ITER;
const canRun = prerequisites('dual-stack lab: k6 per address family', [ROOT, K6]);

let home: string;
let topo: Topology;
const lines: string[] = [];
const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };
const runs: Record<string, { code: number; env?: Envelope; out: string }> = {};
let hostBefore: string[] = [];
let hostDuring: string[] = [];
let hostAddrsDuring = '';
let answers = { a: '', aaaa: '' };
let statusText = '';
let faultId = '';
let sweepCode = -1;
let comparePage = '';

/** Host listening sockets (TCP and UDP), as `ss` prints them: local address and port. */
function hostSockets(): string[] {
  const out = execFileSync('ss', ['-ltunH'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 5)
    .map((f) => `${f[0]} ${f[4]}`)
    .sort();
}

function coldPullArgv(out: string, policy: string, sets: string[]): string[] {
  return [
    'cold-pull',
    '--target',
    'lab',
    '--name',
    LAB,
    '--out',
    out,
    ...[
      `vus=${VUS}`,
      `iterations=${ITER}`,
      'layers=200000,300000',
      'image=dual/app:v1',
      `dns.policy=${policy}`,
      'maxDurationS=60',
      ...sets,
    ].flatMap((s) => ['--set', s]),
  ];
}

function record(key: string, out: string, code: number): void {
  const file = join(out, 'summary.json');
  runs[key] = {
    code,
    out,
    ...(existsSync(file) ? { env: JSON.parse(readFileSync(file, 'utf8')) as Envelope } : {}),
  };
}

async function coldPull(key: string, policy: string, ...sets: string[]): Promise<void> {
  const out = join(home, `run-${key}`);
  record(key, out, await runCommand(runScenarioCommand, coldPullArgv(out, policy, sets), io));
}

const metricsOf = (key: string) => runs[key]?.env?.metrics as K6Metrics | undefined;
const fam = (key: string, f: string) => metricsOf(key)?.byFamily?.[f] as FamilyMetrics | undefined;

beforeAll(async () => {
  if (!canRun) return;
  home = mkdtempSync(join(tmpdir(), 'stampede-dual-'));
  process.env.STAMPEDE_LAB_HOME = home;
  hostBefore = hostSockets();
  const up = await runCommand(
    labCommand,
    labUpArgs(
      LAB,
      'lab.octet=35',
      'lab.endpointProtocol=IPv4AndIPv6',
      'regions.names=eastus,westus',
      'storage.backends=2',
    ),
    io,
  );
  expect(up, lines.join('\n')).toBe(0);
  topo = (await labClient(labSocketPath(LAB)).config()).topology;
  // The lab DNS itself, asked from inside the namespace (a stock resolver's getaddrinfo with
  // AI_ADDRCONFIG would drop A there: the namespace's only IPv4 addresses are loopback).
  const dig = (type: string) =>
    execFileSync(nsExec(topo.namespace)[0] as string, [
      ...nsExec(topo.namespace).slice(1),
      'dig',
      '+short',
      `@${topo.dnsIp}`,
      `contoso.${topo.domain}`,
      type,
    ]).toString();
  answers = { a: dig('A'), aaaa: dig('AAAA') };

  // Both families, clean: the first run seeds the image (through the regional endpoint).
  // One run per family: dns.policy swept as a list (one run each, then one comparison page).
  const sweep = join(home, 'run-clean');
  sweepCode = await runCommand(runScenarioCommand, coldPullArgv(sweep, 'onlyIPv4,onlyIPv6', []), io);
  for (const [i, [key, policy]] of (
    [
      ['v4', 'onlyIPv4'],
      ['v6', 'onlyIPv6'],
    ] as const
  ).entries())
    record(key, join(sweep, pointDirName(i, 'dns.policy', policy)), sweepCode);
  comparePage = join(sweep, 'compare.html');

  // IPv6 broken to fronts and storage: refused at once (reject mode).
  const before = lines.length;
  expect(await runCommand(labCommand, ['fault', 'family-down', '--name', LAB, '--family', 'ipv6'], io)).toBe(
    0,
  );
  faultId = (lines[before] ?? '').trim();
  await coldPull('v6down', 'onlyIPv6', 'seed=false');
  await coldPull('v4down', 'onlyIPv4', 'seed=false');
  await coldPull('prefer6down', 'preferIPv6', 'seed=false');
  const s = lines.length;
  expect(await runCommand(labCommand, ['status', '--name', LAB], io)).toBe(0);
  statusText = lines.slice(s).join('\n');
  hostDuring = hostSockets();
  hostAddrsDuring = execFileSync('ip', ['-6', 'addr'], { encoding: 'utf8' });
  expect(await runCommand(labCommand, ['fault', 'clear', faultId, '--name', LAB], io)).toBe(0);
}, 600_000);

afterAll(async () => {
  if (!canRun) return;
  await runCommand(labCommand, ['down', '--name', LAB], io);
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe.runIf(canRun)('dual-stack lab', () => {
  it('gives the lab names both an A and an AAAA answer inside the namespace, ULA addresses only', () => {
    const front = topo.regions[0]!;
    expect(front.frontIp6).toMatch(/^fd57:a3bd:35:10::1$/);
    expect(answers.a.trim()).toBe(front.frontIp);
    expect(answers.aaaa.trim()).toBe(front.frontIp6);
    expect(statusText).toContain(front.frontIp6);
    expect(statusText).toContain('AAAA');
  });

  it('pulls cleanly over IPv4 only and over IPv6 only, every request with its family', () => {
    for (const [key, family] of [
      ['v4', 'ipv4'],
      ['v6', 'ipv6'],
    ] as const) {
      expect(runs[key]?.code, lines.join('\n')).toBe(0);
      const m = metricsOf(key)!;
      expect(m.pulls).toEqual({ ok: PULLS, failed: 0 });
      expect(m.errors).toEqual({ total: 0, byCode: {} });
      // Every request k6 sent (setup's sign-in included) is counted under one family: the asked-for one.
      expect(Object.keys(m.byFamily ?? {})).toEqual([family]);
      const f = fam(key, family)!;
      expect(f.pulls).toEqual({ ok: PULLS, failed: 0 });
      expect(f.unanswered).toBe(0);
      expect(f.requests).toBe(m.http.requests);
      expect(f.requestS.storage).toBeGreaterThan(0);
      expect(f.pullBps).toBeGreaterThan(0);
    }
  });

  it('sweeps dns.policy as a list: one run per family, both side by side in one report', () => {
    expect(sweepCode, lines.join('\n')).toBe(0);
    expect(lines).toContain(`compare: ${comparePage}`);
    expect(runs.v4?.env?.params).toMatchObject({ dns: { policy: 'onlyIPv4' } });
    expect(runs.v6?.env?.params).toMatchObject({ dns: { policy: 'onlyIPv6' } });
    const html = readFileSync(comparePage, 'utf8');
    expect(html).toContain('By address family, run by run');
    expect(html).toContain('onlyIPv4');
    expect(html).toContain('onlyIPv6');
  });

  it('with family-down ipv6, onlyIPv6 fails every pull with connection refused, by code', () => {
    expect(faultId).toMatch(/^f\d+$/);
    expect(runs.v6down?.code).toBe(1);
    const m = metricsOf('v6down')!;
    expect(m.pulls).toEqual({ ok: 0, failed: PULLS });
    // One code for every pull: k6's "connection refused" (the fault's TCP reset), at sign-in.
    const codes = Object.keys(m.errors?.byCode ?? {});
    expect(codes).toHaveLength(1);
    expect(codes[0]).toMatch(/^NETWORK_12\d\d$/);
    expect(m.errors?.byCode[codes[0]!]).toBe(PULLS);
    console.log(`family-down ipv6, onlyIPv6: ${JSON.stringify(m.errors)}`);
    // Each pull signed in over IPv6 (the identity stand-in is not behind the fault), so its
    // family is ipv6; its refused registry request is `none`, as is setup's first attempt.
    expect(fam('v6down', 'ipv6')?.pulls).toEqual({ ok: 0, failed: PULLS });
    expect(fam('v6down', 'none')?.unanswered).toBe(PULLS + 1);
    expect(fam('v6down', 'ipv4')).toBeUndefined();
  });

  it('with family-down ipv6, onlyIPv4 is unaffected', () => {
    expect(runs.v4down?.code, lines.join('\n')).toBe(0);
    expect(metricsOf('v4down')?.pulls).toEqual({ ok: PULLS, failed: 0 });
    expect(Object.keys(metricsOf('v4down')?.byFamily ?? {})).toEqual(['ipv4']);
  });

  it('with family-down ipv6, preferIPv6 does not fall back to IPv4 (k6 has no happy eyeballs)', () => {
    const m = metricsOf('prefer6down')!;
    console.log(
      `family-down ipv6, preferIPv6: ${JSON.stringify({ pulls: m.pulls, errors: m.errors, byFamily: m.byFamily })}`,
    );
    expect(m.pulls).toEqual({ ok: 0, failed: PULLS });
    expect(m.errors?.byCode).toEqual(metricsOf('v6down')?.errors?.byCode);
    expect(fam('prefer6down', 'ipv4')).toBeUndefined();
  });

  it("changes none of the host's listening sockets or addresses", () => {
    expect(hostDuring).toEqual(hostBefore);
    expect(hostAddrsDuring).not.toContain('fd57:a3bd');
  });

  it('lab down leaves no namespace, no /etc/netns dir and no state behind', async () => {
    expect(await runCommand(labCommand, ['down', '--name', LAB], io)).toBe(0);
    expect(namespaceExists(topo.namespace)).toBe(false);
    expect(existsSync(join('/etc/netns', topo.namespace))).toBe(false);
    expect(hostSockets()).toEqual(hostBefore);
  });
});
