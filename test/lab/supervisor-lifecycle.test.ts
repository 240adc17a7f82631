/**
 * A whole small lab in this process on the host loopback (octet 2, no namespace): every
 * component real. Checks health, the control API over its unix socket, runtime storage
 * changes, faults (registry-kill really kills and restarts the registry), a registry killed
 * from outside showing as crashed, that nothing listens off 127.0.0.0/8, and that stop()
 * leaves no registry process behind.
 */
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import { type ApiServer, serveApi } from '../../lib/lab/api';
import { labProcesses } from '../../lib/lab/cleanup';
import { resolveLabConfig } from '../../lib/lab/config';
import { type LabClient, labClient } from '../../lib/lab/lab-client';
import { type Lab, startLab } from '../../lib/lab/supervisor';

const NAME = `sup-${process.pid}`;
let lab: Lab;
let api: ApiServer;
let client: LabClient;
let shutdowns = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Local addresses of every TCP listener and UDP socket owned by `pids` (from /proc). */
function boundAddresses(pids: number[]): string[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1] as string);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  const out: string[] = [];
  for (const [file, v6, listenOnly] of [
    ['/proc/net/tcp', false, true],
    ['/proc/net/tcp6', true, true],
    ['/proc/net/udp', false, false],
    ['/proc/net/udp6', true, false],
  ] as const) {
    let rows: string[] = [];
    try {
      rows = readFileSync(file, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      const local = cols[1];
      const inode = cols[9];
      if (!local || !inode || !inodes.has(inode)) continue;
      if (listenOnly && cols[3] !== '0A') continue;
      const hex = local.split(':')[0] as string;
      out.push(v6 ? `v6:${hex}` : decodeV4(hex));
    }
  }
  return out;
}

function decodeV4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

const HOME = `/tmp/stampede-sup-${process.pid}`;
const SECRET = 'not-for-status-0c1d';
const logLines: string[] = [];

beforeAll(async () => {
  process.env.STAMPEDE_LAB_HOME = HOME;
  const cfg = resolveLabConfig(
    [],
    [
      `lab.name=${NAME}`,
      'lab.octet=2',
      'lab.netns=off',
      'regions.names=eastus,westus',
      'regions.clientRegion=eastus',
      'storage.backends=2',
      'storage.copies=1',
      'dns.probeIntervalS=0.5',
      'dns.probeTimeoutS=0.5',
      'dns.toleratedFailures=1',
      'replication.baseLagS=0',
      `registry.adminPassword=${SECRET}`,
    ],
  );
  lab = await startLab(cfg, { netns: false, watchMs: 100, log: (l) => logLines.push(l) });
  api = await serveApi(lab, lab.topology.apiSocket, { netns: false, onShutdown: () => shutdowns++ });
  client = labClient(lab.topology.apiSocket, { timeoutMs: 5000 });
}, 90_000);

afterAll(async () => {
  await api?.close();
  await lab?.stop();
  rmSync(HOME, { recursive: true, force: true });
});

describe('supervisor: a small lab on the host loopback', () => {
  it('starts every component healthy and reports it over the API', async () => {
    const s = await until('all healthy', async () => {
      const st = await client.status();
      return st.healthy ? st : undefined;
    });
    const names = s.components.map((c) => c.name);
    for (const n of [
      'registry:eastus',
      'registry:westus',
      'front:eastus',
      'front:westus',
      'dns',
      'identity',
      'replicator',
    ])
      expect(names).toContain(n);
    expect(names.filter((n) => /^(storage|backend):/.test(n))).toHaveLength(4);
    expect(s.netns.enabled).toBe(false);
    expect(s.netns.dnsFeaturesOff.length).toBeGreaterThan(0);
    expect(s.endpoints.hosts['contoso.stampede.test']).toBe('127.2.10.1');
    expect(s.dnsAnswers['contoso.stampede.test']).toEqual(['127.2.10.1']);
    expect(Object.keys(s.replication.regions).sort()).toEqual(['eastus', 'westus']);
    const h = await client.health();
    expect(h).toMatchObject({ ok: true, name: NAME, pid: process.pid });
    const c = await client.config();
    expect(c.topology.apiSocket).toBe(lab.topology.apiSocket);
  });

  it('answers /status?since= with the backends of the run window, and 400 naming `since` when malformed', async () => {
    const since = await client.status(Date.now());
    expect(since.backends.map((b) => b.id)).toEqual((await client.status()).backends.map((b) => b.id));
    const bad = await client.status(Number.NaN).catch((e) => e);
    expect(bad).toBeInstanceOf(InputError);
    expect((bad as InputError).field).toBe('since');
  });

  it('changes storage at runtime and rejects bad values with the field named', async () => {
    expect(await client.setStorage({ copies: 2, ceilingBps: 50e6 })).toEqual({
      backends: 2,
      copies: 2,
      ceilingBps: 50e6,
      selection: 'random',
    });
    expect(lab.state.storage.copies).toBe(2);
    const tooMany = await client.setStorage({ copies: 3 }).catch((e) => e);
    expect(tooMany).toBeInstanceOf(InputError);
    expect((tooMany as InputError).field).toBe('storage.copies');
    const badSel = await client.setStorage({ selection: 'fastest' as 'random' }).catch((e) => e);
    expect((badSel as InputError).field).toBe('storage.selection');
    expect(lab.state.storage).toEqual({ backends: 2, copies: 2, ceilingBps: 50e6, selection: 'random' });
    // runtime M: fewer active backends than copies is refused naming the field; status shows it
    const fewer = await client.setStorage({ backends: 1 }).catch((e) => e);
    expect((fewer as InputError).field).toBe('storage.backends');
    expect((await client.setStorage({ backends: 2 })).backends).toBe(2);
    expect((await client.status()).storage).toMatchObject({ backends: 2, configuredBackends: 2 });
  });

  it('injects, lists and clears faults; bad faults answer 400 naming the field', async () => {
    const f = await client.addFault({ kind: 'front-latency', region: 'westus', params: { latencyMs: 50 } });
    expect(f.id).toMatch(/^f\d+$/);
    expect(lab.state.faults.get(f.id)?.params).toEqual({ latencyMs: 50 });
    expect((await client.status()).faults.map((x) => x.id)).toContain(f.id);
    const bad = await client.addFault({ kind: 'front-latency', region: 'mars' }).catch((e) => e);
    expect(bad).toBeInstanceOf(InputError);
    expect((bad as InputError).field).toBe('region');
    await client.clearFault(f.id);
    expect(lab.state.faults.size).toBe(0);
    const unknown = await client.clearFault('f999').catch((e) => e);
    expect(unknown).toBeInstanceOf(InputError);
    await client.addFault({ kind: 'replica-exclude', region: 'eastus' });
    await client.addFault({ kind: 'replication-pause' });
    expect((await client.faults()).length).toBe(2);
    expect(await client.clearFaults()).toBe(2);
  });

  it('registry-kill kills the real registry process; clearing restarts it', async () => {
    const reg = lab.registries.eastus!;
    const pid = reg.pid!;
    const f = await client.addFault({ kind: 'registry-kill', region: 'eastus' });
    expect(reg.running()).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    const st = await client.status();
    expect(st.components.find((c) => c.name === 'registry:eastus')).toMatchObject({ ok: false });
    expect(st.healthy).toBe(false);
    await client.clearFault(f.id);
    expect(reg.running()).toBe(true);
    expect(reg.pid).not.toBe(pid);
    const res = await fetch(`${reg.url}/v2/`, { signal: AbortSignal.timeout(3000) });
    expect(res.status).toBe(200);
    expect((await client.status()).components.find((c) => c.name === 'registry:eastus')?.ok).toBe(true);
  });

  it('a registry SIGKILLed from outside shows as crashed', async () => {
    const reg = lab.registries.westus!;
    process.kill(reg.pid!, 'SIGKILL');
    const c = await until('crashed in status', async () => {
      const comp = (await client.status()).components.find((x) => x.name === 'registry:westus');
      return comp && !comp.ok ? comp : undefined;
    });
    expect(c.detail).toMatch(/crashed/);
    // registry-kill + clear is also how an operator restarts a crashed registry
    const f = await client.addFault({ kind: 'registry-kill', region: 'westus' });
    await client.clearFault(f.id);
    expect(reg.running()).toBe(true);
  });

  it('binds only 127.0.0.0/8 addresses', () => {
    const pids = [process.pid, ...labProcesses(lab.topology.stateDir)];
    const addrs = boundAddresses(pids);
    // fronts, backends, registries, DNS (udp+tcp), identity, replicator
    expect(addrs.length).toBeGreaterThanOrEqual(2 + 4 + 2 + 2 + 1 + 1);
    const off = addrs.filter((a) => !a.startsWith('127.'));
    expect(off).toEqual([]);
  });

  it('keeps credentials out of /config, /status and the log', async () => {
    const c = await client.config();
    expect(c.config.registry.adminPassword).toBe('(redacted)');
    expect(JSON.stringify(await client.status())).not.toContain(SECRET);
    expect(logLines.length).toBeGreaterThan(5);
    expect(logLines.join('\n')).not.toContain(SECRET);
  });

  it('POST /shutdown answers 202 and calls back', async () => {
    await client.shutdown();
    await until('shutdown callback', () => shutdowns === 1 || undefined, 2000);
  });

  it('stop() stops every registry process', async () => {
    const dir = lab.topology.stateDir;
    expect(labProcesses(dir).length).toBe(2);
    await lab.stop();
    expect(labProcesses(dir)).toEqual([]);
    await lab.stop(); // idempotent
  });
});
