/**
 * The lab's lifecycle through the real CLI (`node bin/stampede.js lab ...`): bad config
 * exits 2 naming the field; `up --detach` in the lab's own namespace; status; a stock
 * resolver (dig) inside `lab exec` resolving the global name through the lab DNS; nothing
 * listening off 127.0.0.0/8; every fault kind injected and cleared; a registry SIGKILLed
 * from outside shown as crashed; `lab down` leaving no process, namespace, /etc/netns dir or
 * mount, also after the supervisor and its guard were SIGKILLed; idempotent down.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labProcesses } from '../../lib/lab/cleanup';
import { labDown } from '../../lib/lab/daemon';
import type { LabStatus } from '../../lib/lab/supervisor';

const ROOT = resolve(import.meta.dirname, '../..');
const NAME = `e2e-${process.pid}`;
const NS = `stampede-${NAME}`;
const HOME = `/tmp/stampede-e2e-${process.pid}`;
const STATE = join(HOME, NAME);
const GLOBAL = 'contoso.stampede.test';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [ENTRY, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, STAMPEDE_LAB_HOME: HOME, ...env },
        timeout: timeoutMs,
        maxBuffer: 16 << 20,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

function sh(cmd: string, args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { timeout: 10_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function status(): Promise<LabStatus> {
  const r = await cli(['lab', 'status', '--name', NAME, '--json']);
  if (r.code !== 0) throw new Error(`lab status exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as LabStatus;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

const configFile = join(HOME, 'e2e.json');
const ENTRY = join(ROOT, 'bin/stampede.js');

async function assertNothingLeft(): Promise<void> {
  expect((await sh('ip', ['netns', 'list'])).stdout).not.toContain(NS);
  expect(existsSync(`/etc/netns/${NS}`)).toBe(false);
  expect(existsSync(`/run/netns/${NS}`)).toBe(false);
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(NS);
  expect(labProcesses(STATE)).toEqual([]);
  const pg = await sh('pgrep', ['-f', `docker-registry serve ${STATE}/`]);
  expect(pg.stdout.trim()).toBe('');
}

beforeAll(() => {
  mkdirSync(HOME, { recursive: true });
  writeFileSync(
    configFile,
    JSON.stringify({
      lab: { name: NAME, octet: 2, netns: 'on' },
      regions: { names: ['eastus', 'westus'], clientRegion: 'eastus' },
      storage: { backends: 2, copies: 1 },
      dns: { ttlS: 1, probeIntervalS: 0.5, probeTimeoutS: 0.5, toleratedFailures: 1 },
      health: { sustainS: 0 },
      replication: { baseLagS: 0 },
    }),
  );
});

afterAll(async () => {
  const down = await cli(['lab', 'down', '--name', NAME], 90_000);
  // Whatever the CLI's state, never leave a lab behind: reap in-process as well.
  if (down.code !== 0) {
    process.env.STAMPEDE_LAB_HOME = HOME;
    await labDown(NAME).catch(() => {});
  }
  rmSync(HOME, { recursive: true, force: true });
}, 120_000);

describe('lab lifecycle through the CLI', () => {
  it('bad config exits 2 naming the field, and starts nothing', async () => {
    const bad = join(HOME, 'bad.json');
    writeFileSync(bad, JSON.stringify({ lab: { name: NAME, nmae: 'x' } }));
    const unknownKey = await cli(['lab', 'up', '--config', bad, '--detach']);
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain('lab.nmae');
    const copies = await cli(['lab', 'up', '--config', configFile, '--set', 'storage.copies=3', '--detach']);
    expect(copies.code).toBe(2);
    expect(copies.stderr).toContain('storage.copies');
    const region = await cli([
      'lab',
      'up',
      '--config',
      configFile,
      '--set',
      'regions.names=East US',
      '--detach',
    ]);
    expect(region.code).toBe(2);
    expect(region.stderr).toContain('regions.names');
    expect(existsSync(`/run/netns/${NS}`)).toBe(false);
    expect((await cli(['lab', 'status', '--name', NAME])).code).toBe(1);
  });

  it('lab up --detach starts the lab in its namespace and returns', async () => {
    const up = await cli(['lab', 'up', '--config', configFile, '--detach'], 150_000);
    expect(up.stderr + up.stdout).not.toContain('unexpected failure');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`namespace  ${NS}`);
    expect(up.stdout).toContain(GLOBAL);
    expect((await sh('ip', ['netns', 'list'])).stdout).toContain(NS);
    expect(readFileSync(`/etc/netns/${NS}/resolv.conf`, 'utf8')).toContain('nameserver 127.2.0.53');
  }, 180_000);

  it('status shows every component healthy', async () => {
    const s = await until('healthy', async () => {
      const st = await status();
      return st.healthy ? st : undefined;
    });
    expect(s.netns).toMatchObject({ enabled: true, namespace: NS, dnsFeaturesOff: [] });
    expect(s.components.length).toBeGreaterThanOrEqual(11);
    expect(s.dnsAnswers[GLOBAL]).toEqual(['127.2.10.1']);
    const text = await cli(['lab', 'status', '--name', NAME]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('healthy');
    expect(text.stdout).toContain('replication:');
  }, 60_000);

  it('lab exec: a stock resolver inside the namespace asks the lab DNS', async () => {
    const r = await cli([
      'lab',
      'exec',
      '--name',
      NAME,
      '--',
      'dig',
      '+short',
      '+time=2',
      '+tries=2',
      GLOBAL,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('127.2.10.1');
    const regional = await cli([
      'lab',
      'exec',
      '--name',
      NAME,
      '--',
      'getent',
      'hosts',
      'contoso.westus.geo.stampede.test',
    ]);
    expect(regional.stdout).toContain('127.2.11.1');
    const code = await cli(['lab', 'exec', '--name', NAME, '--', 'sh', '-c', 'exit 7']);
    expect(code.code).toBe(7);
  });

  it('lab exec: node, curl and k6 trust the lab CA even when the caller already set NODE_EXTRA_CA_CERTS', async () => {
    const preset = { NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' };
    const url = 'https://login.stampede.test:8443/';
    const curl = await cli(
      ['lab', 'exec', '--name', NAME, '--', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', url],
      60_000,
      preset,
    );
    expect(curl.code, curl.stderr).toBe(0);
    expect(Number(curl.stdout)).toBeGreaterThanOrEqual(200);
    const node = await cli(
      [
        'lab',
        'exec',
        '--name',
        NAME,
        '--',
        process.execPath,
        '-e',
        `fetch('${url}').then((r) => console.log(r.status))`,
      ],
      60_000,
      preset,
    );
    expect(node.code, node.stderr).toBe(0);
    expect(Number(node.stdout)).toBeGreaterThanOrEqual(200);
    // The caller's own extra CAs stay trusted next to the lab CA.
    const bundle = await cli(
      ['lab', 'exec', '--name', NAME, '--', 'sh', '-c', 'echo $NODE_EXTRA_CA_CERTS'],
      60_000,
      preset,
    );
    const certs = (f: string) => readFileSync(f, 'utf8').match(/BEGIN CERTIFICATE/g)?.length ?? 0;
    expect(certs(bundle.stdout.trim())).toBe(certs(preset.NODE_EXTRA_CA_CERTS) + 1);
  });

  it('lab exec: every example of its --help runs as written', async () => {
    const help = await cli(['lab', 'exec', '--help']);
    const examples = help.stdout
      .split('\n')
      .filter((l) => l.startsWith('  stampede lab exec -- '))
      .map((l) => l.trim().split(/\s+/).slice(4));
    expect(examples.map((e) => e[0])).toEqual(['dig', 'curl', 'k6']);
    for (const cmd of examples) {
      const r = await cli(['lab', 'exec', '--name', NAME, '--', ...cmd]);
      expect(r.code, `${cmd.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim(), cmd.join(' ')).not.toBe('');
    }
  });

  it('nothing in the lab listens on a non-loopback address', async () => {
    const r = await cli(['lab', 'exec', '--name', NAME, '--', 'ss', '-ltnuH']);
    expect(r.code).toBe(0);
    const locals = r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/)[4] as string);
    // 2 fronts, 4 backends, 2 registries, DNS udp+tcp, identity, replicator
    expect(locals.length).toBeGreaterThanOrEqual(12);
    for (const a of locals) expect(a, `bound address ${a}`).toMatch(/^127\.\d+\.\d+\.\d+:\d+$/);
    // and the host side has none of the lab's addresses
    const host = await sh('ss', ['-ltnuH']);
    expect(host.stdout).not.toContain('127.2.10.1:8080');
  });

  it('injects and clears every fault kind through the CLI', async () => {
    const kinds: string[][] = [
      ['region-down', '--region', 'westus'],
      ['storage-fail', '--region', 'eastus', '--backends', '1'],
      [
        'storage-slow',
        '--region',
        'eastus',
        '--backends',
        '0,1',
        '--set',
        'latencyMs=20',
        '--set',
        'ceilingBps=10M',
      ],
      ['replication-pause', '--region', 'westus'],
      ['replication-lag', '--set', 'lagS=2'],
      ['dns-flap', '--set', 'regions=eastus,westus', '--set', 'intervalS=0.5'],
      ['replica-exclude', '--region', 'eastus'],
      ['front-latency', '--region', 'westus', '--set', 'latencyMs=100'],
      ['front-errors', '--region', 'westus', '--set', 'errorRate=0.5'],
      ['registry-kill', '--region', 'eastus'],
      ['health-monitor-crash', '--region', 'westus'],
    ];
    const ids = new Map<string, string>();
    for (const args of kinds) {
      const add = await cli(['lab', 'fault', ...args, '--name', NAME]);
      expect(add.code, `${args[0]}: ${add.stderr}`).toBe(0);
      expect(add.stdout.trim()).toMatch(/^f\d+$/);
      ids.set(add.stdout.trim(), args[0] as string);
    }
    const s = await status();
    expect(new Map(s.faults.map((f) => [f.id, f.kind]))).toEqual(ids);
    expect(s.components.find((c) => c.name === 'registry:eastus')).toMatchObject({ ok: false });
    const list = await cli(['lab', 'fault', 'list', '--name', NAME]);
    for (const [id, kind] of ids) expect(list.stdout).toMatch(new RegExp(`${id}\\s+${kind}`));
    const text = await cli(['lab', 'status', '--name', NAME]);
    expect(text.stdout).toContain('registry-kill  region=eastus');
    for (const id of ids.keys()) {
      const clear = await cli(['lab', 'fault', 'clear', id, '--name', NAME]);
      expect(clear.code, clear.stderr).toBe(0);
    }
    const after = await until('registry back after registry-kill cleared', async () => {
      const st = await status();
      return st.components.find((c) => c.name === 'registry:eastus')?.ok ? st : undefined;
    });
    expect(after.faults).toEqual([]);
    // replica-exclude moves the global name at once
    const ex = await cli(['lab', 'fault', 'replica-exclude', '--region', 'eastus', '--name', NAME]);
    expect((await status()).dnsAnswers[GLOBAL]).toEqual(['127.2.11.1']);
    await cli(['lab', 'fault', 'clear', ex.stdout.trim(), '--name', NAME]);
    // eastus may still be failing back from registry-kill (probes every 0.5 s)
    await until('eastus answered again', async () => {
      const st = await status();
      return st.dnsAnswers[GLOBAL]?.join() === '127.2.10.1' ? st : undefined;
    });
    // --all
    await cli(['lab', 'fault', 'replica-exclude', '--region', 'westus', '--name', NAME]);
    await cli(['lab', 'fault', 'replication-pause', '--name', NAME]);
    const all = await cli(['lab', 'fault', 'clear', '--all', '--name', NAME]);
    expect(all.stdout).toContain('cleared 2');
  }, 120_000);

  it('bad fault input exits 2 naming the field', async () => {
    const nan = await cli([
      'lab',
      'fault',
      'front-latency',
      '--region',
      'westus',
      '--set',
      'latencyMs=abc',
      '--name',
      NAME,
    ]);
    expect(nan.code).toBe(2);
    expect(nan.stderr).toContain('params.latencyMs');
    // An id no fault has: named as an id, not as the control API's path.
    const unknown = await cli(['lab', 'fault', 'clear', 'f999', '--name', NAME]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      `<id>: expected the id of an active fault (see 'stampede lab fault list'), received "f999"`,
    );
    expect(unknown.stderr).not.toContain('/faults/');
    const region = await cli(['lab', 'fault', 'region-down', '--region', 'mars', '--name', NAME]);
    expect(region.code).toBe(2);
    expect(region.stderr).toContain('region');
    const backends = await cli([
      'lab',
      'fault',
      'storage-fail',
      '--region',
      'eastus',
      '--backends',
      '0,5',
      '--name',
      NAME,
    ]);
    expect(backends.code).toBe(2);
    expect(backends.stderr).toContain('backends');
    const kind = await cli(['lab', 'fault', 'meteor', '--name', NAME]);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('kind');
  });

  it('lab storage changes copies and ceiling at runtime', async () => {
    const r = await cli([
      'lab',
      'storage',
      '--copies',
      '2',
      '--ceiling',
      '50M',
      '--selection',
      'round-robin',
      '--name',
      NAME,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((await status()).storage).toMatchObject({ copies: 2, ceilingBps: 50e6, selection: 'round-robin' });
    const bad = await cli(['lab', 'storage', '--copies', '3', '--name', NAME]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('storage.copies');
  });

  it('a registry SIGKILLed from outside shows as crashed', async () => {
    const pg = await sh('pgrep', ['-f', `docker-registry serve ${STATE}/regions/westus/`]);
    const pid = Number(pg.stdout.trim().split('\n')[0]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    const s = await until('crashed registry in status', async () => {
      const st = await status();
      const c = st.components.find((x) => x.name === 'registry:westus');
      return c && !c.ok ? st : undefined;
    });
    expect(s.healthy).toBe(false);
    expect(s.components.find((x) => x.name === 'registry:westus')?.detail).toMatch(/crashed/);
    const text = await cli(['lab', 'status', '--name', NAME]);
    expect(text.stdout).toMatch(/DOWN\s+registry:westus\s+crashed/);
  });

  it('lab down leaves no process, namespace, /etc/netns entry or mount; again is a no-op', async () => {
    expect(labProcesses(STATE).length).toBeGreaterThan(0);
    const down = await cli(['lab', 'down', '--name', NAME], 90_000);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('is down');
    await assertNothingLeft();
    const gone = await cli(['lab', 'status', '--name', NAME]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(
      /no lab is listening.*start one with: npx stampede lab up --detach --name e2e-\d+.*LAB_NOT_RUNNING/,
    );
    const again = await cli(['lab', 'down', '--name', NAME], 60_000);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was not running');
    await assertNothingLeft();
  }, 120_000);

  it('lab down cleans up even after the supervisor and its guard were SIGKILLed', async () => {
    const up = await cli(['lab', 'up', '--config', configFile, '--detach'], 150_000);
    expect(up.code, up.stderr).toBe(0);
    const guard = Number(readFileSync(join(STATE, 'guard.pid'), 'utf8'));
    const sup = Number(readFileSync(join(STATE, 'supervisor.pid'), 'utf8'));
    process.kill(guard, 'SIGKILL');
    process.kill(sup, 'SIGKILL');
    await sleep(300);
    // the registries outlive their supervisor: orphans that only the reap can find
    const orphans = labProcesses(STATE);
    expect(orphans.length).toBe(2);
    expect(existsSync(`/run/netns/${NS}`)).toBe(true);
    const down = await cli(['lab', 'down', '--name', NAME], 90_000);
    expect(down.code, down.stderr).toBe(0);
    await assertNothingLeft();
  }, 240_000);
  it('lab up in the foreground runs until Ctrl-C, then leaves nothing', async () => {
    const child = spawn(process.execPath, [ENTRY, 'lab', 'up', '--config', configFile], {
      cwd: ROOT,
      env: { ...process.env, STAMPEDE_LAB_HOME: HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until(
        'foreground lab healthy',
        async () => ((await status()).healthy ? true : undefined),
        120_000,
      );
      // The summary is printed once the lab is ready, which the API may report first.
      await until(
        'summary printed',
        async () => (out.includes(`namespace  ${NS}`) ? true : undefined),
        30_000,
      );
      child.kill('SIGINT');
      const code = await Promise.race([exited, sleep(60_000).then(() => 'timeout')]);
      expect(code, out).toBe(0);
      expect(out).toContain(`lab ${NAME} is down`);
      await assertNothingLeft();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});
