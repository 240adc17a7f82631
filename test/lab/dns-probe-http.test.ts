/**
 * The default Traffic Manager probe against real HTTP servers standing in for the region
 * fronts' deep-health endpoints: 200 healthy, 503 unhealthy, a hang is a timeout, nothing
 * listening is a connection error. Answers observed with dig.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveLabConfig } from '../../lib/lab/config';
import { type DnsHandle, startDns } from '../../lib/lab/dns';
import { createState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';

const run = promisify(execFile);
const IP = '127.3.0.55';
const PORT = 5353;
const HTTP_PORT = 18080;
const EAST = '127.3.10.1';
const WEST = '127.3.11.1';

const cfg = resolveLabConfig(
  [],
  [
    `registry.port=${HTTP_PORT}`,
    'dns.probeIntervalS=0.3',
    'dns.probeTimeoutS=0.25',
    'dns.toleratedFailures=1',
    'dns.ttlS=0',
  ],
);
const state = createState(cfg, { ...topology(cfg, { netns: false, octet: 3 }), dnsIp: IP, dnsPort: PORT });

type Mode = 200 | 503 | 'hang';
const mode: Record<string, Mode> = { [EAST]: 200, [WEST]: 200 };
const seen: Array<{ ip: string; method: string; url: string; host: string; status: Mode; at: number }> = [];
const servers: Server[] = [];
const hung = new Set<ServerResponse>();

function front(ip: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const m = mode[ip] ?? 503;
    seen.push({
      ip,
      method: req.method ?? '',
      url: req.url ?? '',
      host: req.headers.host ?? '',
      status: m,
      at: Date.now(),
    });
    if (m === 'hang') {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    res.writeHead(m, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ healthy: m === 200 }));
  };
}

async function digA(name: string): Promise<string[]> {
  const { stdout } = await run('dig', [`@${IP}`, '-p', String(PORT), '+short', '+tries=1', '+time=1', name], {
    timeout: 5000,
  });
  return stdout.trim().split('\n').filter(Boolean);
}

async function until(pred: (ips: string[]) => boolean, maxMs: number): Promise<string[]> {
  const t0 = Date.now();
  for (;;) {
    const ips = await digA('contoso.stampede.test');
    if (pred(ips)) return ips;
    if (Date.now() - t0 > maxMs) throw new Error(`not seen within ${maxMs} ms; last answer ${ips}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const endpoint = (region: string) =>
  dns.status().endpoints.find((e) => e.registry === 'contoso' && e.region === region);

let dns: DnsHandle;

beforeAll(async () => {
  for (const ip of [EAST, WEST]) {
    const s = createServer(front(ip));
    await new Promise<void>((r) => s.listen(HTTP_PORT, ip, r));
    servers.push(s);
  }
  // westeurope (127.3.12.1) has nothing listening: its probes fail with a connection error.
  dns = await startDns(state);
});

afterAll(async () => {
  await dns?.stop();
  for (const r of hung) r.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

it('probes GET /_health/deep with the regional Host, and fails over on 503, back on 200, over on a hang', async () => {
  // Healthy start (after every endpoint's first probe): the client's region.
  const t0 = Date.now();
  while (
    (endpoint('eastus')?.probes === 0 || endpoint('westeurope')?.status !== 'degraded') &&
    Date.now() - t0 < 3000
  )
    await new Promise((r) => setTimeout(r, 20));
  expect(await until((ips) => ips[0] === EAST, 2000)).toEqual([EAST]);
  const first = seen.find((s) => s.ip === EAST);
  expect(first).toMatchObject({
    method: 'GET',
    url: '/_health/deep',
    host: 'contoso.eastus.geo.stampede.test',
  });
  expect(seen.find((s) => s.ip === WEST)?.host).toBe('contoso.westus.geo.stampede.test');

  // A refused connection is a failure: westeurope is degraded after 2 (tolerated 1 + 1).
  expect(endpoint('westeurope')?.status).toBe('degraded');
  expect(endpoint('westeurope')?.consecutiveFailures).toBeGreaterThanOrEqual(2);
  expect(endpoint('westeurope')?.lastProbe?.ok).toBe(false);

  // 503 from deep health: fail over after tolerated + 1 = 2 failing probes.
  const flipAt = Date.now();
  mode[EAST] = 503;
  expect(await until((ips) => ips[0] === WEST, 3000)).toEqual([WEST]);
  // Probing goes on while degraded; count the 503s served up to the moment TM degraded it.
  const degradedSince = endpoint('eastus')?.degradedSince ?? 0;
  expect(endpoint('eastus')?.status).toBe('degraded');
  expect(
    seen.filter((s) => s.ip === EAST && s.at >= flipAt && s.at <= degradedSince && s.status === 503),
  ).toHaveLength(2);

  // 200 again: back on the first success.
  mode[EAST] = 200;
  expect(await until((ips) => ips[0] === EAST, 1000)).toEqual([EAST]);
  expect(endpoint('eastus')).toMatchObject({ status: 'online', consecutiveFailures: 0 });

  // A deep-health endpoint that never answers: each probe gives up at the 250 ms timeout.
  mode[EAST] = 'hang';
  expect(await until((ips) => ips[0] === WEST, 3000)).toEqual([WEST]);
  const ep = endpoint('eastus');
  expect(ep?.status).toBe('degraded');
  expect(ep?.lastProbe?.ok).toBe(false);
  expect(ep?.lastProbe?.ms).toBeGreaterThanOrEqual(240);
  expect(ep?.lastProbe?.ms).toBeLessThan(600);
  // The probe closed its hung connections itself (at most the one in flight is open).
  expect(hung.size).toBeLessThanOrEqual(1);
  mode[EAST] = 200;
  expect(await until((ips) => ips[0] === EAST, 1000)).toEqual([EAST]);
});
