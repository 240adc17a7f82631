/**
 * Traffic Manager behaviour of the lab's DNS, observed through real DNS queries: failover
 * after the tolerated failures, failback on the first success, all-degraded answers all,
 * replica exclusion, flapping, and regional names that never move. The probe is injected
 * (health set by the test) and runs every 150 ms.
 */
import { Resolver } from 'node:dns/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveLabConfig } from '../../lib/lab/config';
import { type DnsHandle, startDns } from '../../lib/lab/dns';
import { createState, type Fault, type LabState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';

const IP = '127.3.0.54';
const PORT = 5353;
const INTERVAL_MS = 150;
const TOLERATED = 2;
const EAST = '127.3.10.1';
const WEST = '127.3.11.1';
const EUROPE = '127.3.12.1';

const cfg = resolveLabConfig(
  [],
  [
    'registry.names=contoso,fabrikam',
    `dns.probeIntervalS=${INTERVAL_MS / 1000}`,
    'dns.probeTimeoutS=0.1',
    `dns.toleratedFailures=${TOLERATED}`,
    'dns.ttlS=1',
    'dns.flapIntervalS=0.2',
  ],
);
const state: LabState = createState(cfg, {
  ...topology(cfg, { netns: false, octet: 3 }),
  dnsIp: IP,
  dnsPort: PORT,
});

/** What the injected probe says per region (all registries alike), and a log of its calls. */
const healthy: Record<string, boolean> = { eastus: true, westus: true, westeurope: true };
const calls: Array<{ at: number; region: string; registry: string; ok: boolean }> = [];

const res = new Resolver({ timeout: 1000, tries: 1 });
res.setServers([`${IP}:${PORT}`]);
const ask = async (name = 'contoso.stampede.test') =>
  (await res.resolve4(name, { ttl: true })).map((r) => r.address);
const askTtl = async (name = 'contoso.stampede.test') => (await res.resolve4(name, { ttl: true }))[0]?.ttl;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Query every `everyMs` until `pred` holds (or `maxMs`); returns when and what was seen. */
async function until(pred: (ips: string[]) => boolean, maxMs: number, everyMs = 10, name?: string) {
  const t0 = Date.now();
  for (;;) {
    const ips = await ask(name);
    if (pred(ips)) return { at: Date.now(), ips };
    if (Date.now() - t0 > maxMs) throw new Error(`not seen within ${maxMs} ms; last answer ${ips}`);
    await sleep(everyMs);
  }
}

let dns: DnsHandle;
let faultSeq = 0;
function addFault(kind: Fault['kind'], region: string | undefined, params: Fault['params'] = {}): string {
  const id = `f${++faultSeq}`;
  state.faults.set(id, { id, kind, region, params, since: Date.now() });
  return id;
}

beforeAll(async () => {
  dns = await startDns(state, {
    probe: async (region, registry) => {
      const ok = healthy[region.name] ?? false;
      calls.push({ at: Date.now(), region: region.name, registry, ok });
      return ok;
    },
  });
});
afterAll(() => dns?.stop());
afterEach(async () => {
  state.faults.clear();
  for (const k of Object.keys(healthy)) healthy[k] = true;
  // Everything back online before the next test.
  const t0 = Date.now();
  while (dns.status().endpoints.some((e) => e.status !== 'online') && Date.now() - t0 < 2000) await sleep(10);
  expect(await ask()).toEqual([EAST]);
});

describe('failover and failback', () => {
  it('degrades a region on the probe after the tolerated failures, and fails back on the first success', async () => {
    expect(await ask()).toEqual([EAST]);
    expect(await askTtl()).toBe(1);
    healthy.eastus = false;
    const failsBefore = () => calls.filter((c) => c.region === 'eastus' && c.registry === 'contoso' && !c.ok);
    // Watch answers against the probe log: while the failures are still tolerated, eastus is answered.
    const seen: Array<{ fails: number; ips: string[] }> = [];
    const t0 = Date.now();
    for (;;) {
      const ips = await ask();
      seen.push({ fails: failsBefore().length, ips });
      if (ips[0] !== EAST || Date.now() - t0 > 3000) break;
      await sleep(10);
    }
    const failed = failsBefore();
    const switched = Date.now();
    expect(seen.at(-1)?.ips).toEqual([WEST]);
    // Exactly tolerated + 1 consecutive failures degrade it (TM: "tolerates N ... Degraded after the next").
    expect(failed).toHaveLength(TOLERATED + 1);
    expect(seen.filter((s) => s.fails === TOLERATED).every((s) => s.ips[0] === EAST)).toBe(true);
    expect(seen.some((s) => s.fails === TOLERATED)).toBe(true);
    // ... which is `tolerated` probe intervals after the first failure: exactly so on a fake
    // clock (test/lab-logic/dns-monitor.test.ts); here slots only ever come late (a loaded
    // machine), so only the lower bound is tight.
    const span = (failed.at(-1)?.at ?? 0) - (failed[0]?.at ?? 0);
    expect(span).toBeGreaterThanOrEqual(TOLERATED * INTERVAL_MS - 30);
    expect(span).toBeLessThanOrEqual(TOLERATED * INTERVAL_MS + 2000);
    expect(switched - (failed[0]?.at ?? 0)).toBeLessThanOrEqual(TOLERATED * INTERVAL_MS + 2500);

    const ep = dns.status().endpoints.find((e) => e.registry === 'contoso' && e.region === 'eastus');
    expect(ep).toMatchObject({ status: 'degraded', consecutiveFailures: TOLERATED + 1, excluded: false });
    // The monitor stamps the failure when the probe's answer reaches it, the test's probe when
    // it answers: the same event, a millisecond or so apart on a real clock (exact on the fake
    // clock: test/lab-logic/dns-monitor.test.ts).
    expect(ep?.degradedSince).toBeGreaterThanOrEqual(failed.at(-1)?.at ?? Number.NaN);
    expect(ep?.degradedSince).toBeLessThanOrEqual((failed.at(-1)?.at ?? Number.NaN) + 500);
    expect(ep?.lastProbe?.ok).toBe(false);
    expect(dns.status().answers['contoso.stampede.test']).toMatchObject({
      regions: ['westus'],
      reason: 'performance',
    });

    // Failback: the first successful probe brings it back, no cooldown.
    const healedAt = Date.now();
    healthy.eastus = true;
    const back = await until((ips) => ips[0] === EAST, 2000);
    const successes = calls.filter(
      (c) => c.region === 'eastus' && c.registry === 'contoso' && c.at >= healedAt,
    );
    expect(successes.length).toBeGreaterThanOrEqual(1);
    expect(back.at - healedAt).toBeLessThanOrEqual(INTERVAL_MS + 1900);
    const ep2 = dns.status().endpoints.find((e) => e.registry === 'contoso' && e.region === 'eastus');
    expect(ep2).toMatchObject({ status: 'online', consecutiveFailures: 0, degradedSince: null });
    expect(ep2?.transitions.slice(-2).map((t) => t.to)).toEqual(['degraded', 'online']);
    // Back online on the very first successful probe (the monitor's record vs the probe log).
    const onlineAt = ep2?.transitions.at(-1)?.at ?? 0;
    expect(onlineAt).toBeGreaterThanOrEqual(successes[0]?.at ?? 0);
    expect(onlineAt).toBeLessThan(successes[1]?.at ?? Number.POSITIVE_INFINITY);
  });

  it('keeps regional and data names on their own region while it is degraded', async () => {
    healthy.eastus = false;
    await until((ips) => ips[0] === WEST, 2000);
    expect(await ask('contoso.eastus.geo.stampede.test')).toEqual([EAST]);
    expect(await ask('contoso.eastus.data.stampede.test')).toEqual([EAST]);
    expect(await ask('eastus-b0.blob.stampede.test')).toEqual(['127.3.10.10']);
    expect(dns.resolve('fabrikam.eastus.geo.stampede.test')).toEqual([EAST]);
  });

  it('moves to the next region in latency order when two are degraded', async () => {
    healthy.eastus = false;
    healthy.westus = false;
    await until((ips) => ips[0] === EUROPE, 2000);
    expect(await ask('fabrikam.stampede.test')).toEqual([EUROPE]);
  });

  it('answers every region when every region is degraded, as TM does', async () => {
    healthy.eastus = false;
    healthy.westus = false;
    healthy.westeurope = false;
    const all = await until((ips) => ips.length === 3, 2000);
    expect(all.ips).toEqual([EAST, WEST, EUROPE]);
    expect(dns.status().answers['contoso.stampede.test']?.reason).toBe('all-degraded');
    // One coming back takes all the traffic again.
    healthy.westus = true;
    expect((await until((ips) => ips.length === 1, 2000)).ips).toEqual([WEST]);
  });
});

describe('replica exclusion (global endpoint routing off)', () => {
  it('takes effect on the next query and is undone on the next query after clearing', async () => {
    const id = addFault('replica-exclude', 'eastus');
    expect(await ask()).toEqual([WEST]); // no probe cycle needed
    expect(await ask('fabrikam.stampede.test')).toEqual([WEST]);
    expect(await ask('contoso.eastus.geo.stampede.test')).toEqual([EAST]); // regional still works
    expect(
      dns.status().endpoints.find((e) => e.registry === 'contoso' && e.region === 'eastus')?.excluded,
    ).toBe(true);
    state.faults.delete(id);
    expect(await ask()).toEqual([EAST]); // failback with no cooldown
  });

  it('can exclude one registry only, and an excluded region is not answered even when all others are degraded', async () => {
    addFault('replica-exclude', 'eastus', { registry: 'fabrikam' });
    expect(await ask()).toEqual([EAST]);
    expect(await ask('fabrikam.stampede.test')).toEqual([WEST]);
    healthy.westus = false;
    healthy.westeurope = false;
    await until((ips) => ips.length === 2, 2000, 10, 'fabrikam.stampede.test');
    expect(await ask('fabrikam.stampede.test')).toEqual([WEST, EUROPE]); // all *enabled* endpoints
    expect(await ask()).toEqual([EAST]);
  });
});

describe('flapping (DNS bouncing during a push)', () => {
  it('alternates the global name between two healthy regions at the configured rate, TTL 0', async () => {
    addFault('dns-flap', undefined, { regions: ['eastus', 'westus'] });
    const windowMs = 2000;
    const t0 = Date.now();
    const answers: string[] = [];
    const ttls = new Set<number>();
    while (Date.now() - t0 < windowMs && answers.length < 3000) {
      const r = await res.resolve4('contoso.stampede.test', { ttl: true });
      answers.push(r.map((x) => x.address).join(','));
      for (const x of r) ttls.add(x.ttl);
      await sleep(2);
    }
    expect(new Set(answers)).toEqual(new Set([EAST, WEST]));
    const flips = answers.filter((a, i) => i > 0 && a !== answers[i - 1]).length;
    const expected = windowMs / 200; // dns.flapIntervalS = 0.2
    // Never faster than configured; a stalled sampler only misses flips. The exact phase
    // arithmetic is tested on given instants (test/lab-logic/dns-flap.test.ts).
    expect(flips).toBeGreaterThanOrEqual(2);
    expect(flips).toBeLessThanOrEqual(expected + 1);
    expect([...ttls]).toEqual([0]);
    expect(dns.status().flaps.map((f) => f.regions)).toEqual([
      ['eastus', 'westus'],
      ['eastus', 'westus'],
    ]);
  });

  it('bounces across every healthy region when no regions are listed, with params.ttlS', async () => {
    addFault('dns-flap', undefined, { intervalS: 0.1, ttlS: 2 });
    const seen = new Set<string>();
    const ttls = new Set<number>();
    const t0 = Date.now();
    while (Date.now() - t0 < 800 && seen.size < 3) {
      for (const r of await res.resolve4('fabrikam.stampede.test', { ttl: true })) {
        seen.add(r.address);
        ttls.add(r.ttl);
      }
      await sleep(5);
    }
    expect(seen).toEqual(new Set([EAST, WEST, EUROPE]));
    expect([...ttls]).toEqual([2]);
    expect(dns.status().answers['fabrikam.stampede.test']?.reason).toBe('flap');
  });

  it('honours params.intervalS, and stops bouncing to a degraded region', async () => {
    addFault('dns-flap', undefined, {
      regions: ['eastus', 'westeurope'],
      intervalS: 0.25,
      registry: 'contoso',
    });
    const sample = async (ms: number) => {
      const out: string[] = [];
      const t0 = Date.now();
      while (Date.now() - t0 < ms && out.length < 3000) {
        out.push((await ask()).join(','));
        await sleep(2);
      }
      return out;
    };
    const a = await sample(1500);
    expect(new Set(a)).toEqual(new Set([EAST, EUROPE]));
    const flips = a.filter((x, i) => i > 0 && x !== a[i - 1]).length;
    // 1.5 s at 0.25 s: 6 flips at most (one more if the window straddles a boundary).
    expect(flips).toBeGreaterThanOrEqual(2);
    expect(flips).toBeLessThanOrEqual(7);
    expect(await ask('fabrikam.stampede.test')).toEqual([EAST]); // other registry unaffected
    healthy.westeurope = false;
    await until((ips) => ips[0] === EAST && dns.status().flaps.length === 0, 2000);
    const b = await sample(400);
    expect(new Set(b)).toEqual(new Set([EAST]));
  });
});
