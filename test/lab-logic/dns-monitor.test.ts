/**
 * The Traffic Manager endpoint monitor's logic on a fake clock: the probe schedule, the
 * tolerated-failures rule, failback, the timeout guard and skipped slots, exactly. (The
 * real probe over HTTP and answers over real DNS are in test/lab/dns-*.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { FakeClock, sleep } from '../../lib/clock';
import { resolveLabConfig } from '../../lib/lab/config';
import { type EndpointHealth, type ProbeFn, startMonitor } from '../../lib/lab/dns/monitor';
import { createState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';

const EPOCH = 1_800_000_000_000;

function lab(...sets: string[]) {
  const cfg = resolveLabConfig(
    [],
    ['registry.names=contoso', 'dns.probeIntervalS=1', 'dns.toleratedFailures=2', ...sets],
  );
  return createState(cfg, topology(cfg, { netns: false, octet: 3 }));
}

const east = (m: { endpoints(): EndpointHealth[] }) =>
  m.endpoints().find((e) => e.region === 'eastus') as EndpointHealth;

describe('Traffic Manager monitor on a fake clock', () => {
  it('probes every interval from the start; degrades on the failure after the tolerated ones; fails back on the first success', async () => {
    const c = new FakeClock(EPOCH);
    const state = lab('dns.probeTimeoutS=0.5');
    let eastOk = false;
    const calls: string[] = [];
    const probe: ProbeFn = async (region) => {
      calls.push(`${region.name}@${c.monotonic()}`);
      return region.name !== 'eastus' || eastOk;
    };
    const changes: string[] = [];
    const m = startMonitor(state, probe, (e) => changes.push(`${e.region} ${e.status}@${c.monotonic()}`), c);
    expect(east(m).status).toBe('checking');
    await c.advanceAsync(0);
    // First failure, tolerated (2 tolerated): online, not degraded.
    expect(east(m)).toMatchObject({ status: 'online', consecutiveFailures: 1, probes: 1 });
    await c.advanceAsync(1000);
    expect(east(m)).toMatchObject({ status: 'online', consecutiveFailures: 2 });
    expect(m.degraded('contoso', 'eastus')).toBe(false);
    await c.advanceAsync(1000);
    // The third failure exceeds the tolerated two: Degraded at t = 2 s exactly.
    expect(east(m)).toMatchObject({
      status: 'degraded',
      consecutiveFailures: 3,
      degradedSince: EPOCH + 2000,
    });
    expect(m.degraded('contoso', 'eastus')).toBe(true);
    eastOk = true;
    await c.advanceAsync(1000);
    expect(east(m)).toMatchObject({
      status: 'online',
      consecutiveFailures: 0,
      degradedSince: null,
      failures: 3,
    });
    expect(east(m).transitions).toEqual([
      { at: EPOCH, to: 'online' },
      { at: EPOCH + 2000, to: 'degraded' },
      { at: EPOCH + 3000, to: 'online' },
    ]);
    expect(changes.filter((x) => x.startsWith('eastus'))).toEqual([
      'eastus online@0',
      'eastus degraded@2000',
      'eastus online@3000',
    ]);
    expect(calls.filter((x) => x.startsWith('eastus'))).toEqual([
      'eastus@0',
      'eastus@1000',
      'eastus@2000',
      'eastus@3000',
    ]);
    m.stop();
    expect(c.pending).toBe(0);
  });

  it('tolerated 0: the first failure degrades', async () => {
    const c = new FakeClock(EPOCH);
    const m = startMonitor(lab('dns.toleratedFailures=0'), async (r) => r.name !== 'eastus', undefined, c);
    await c.advanceAsync(0);
    expect(east(m)).toMatchObject({ status: 'degraded', degradedSince: EPOCH });
    m.stop();
  });

  it('a probe that never answers fails at the timeout (+50 ms guard), named in the detail', async () => {
    const c = new FakeClock(EPOCH);
    const probe: ProbeFn = (r) =>
      r.name === 'eastus' ? new Promise<boolean>(() => {}) : Promise.resolve(true);
    const m = startMonitor(lab('dns.probeTimeoutS=0.5'), probe, undefined, c);
    await c.advanceAsync(549);
    expect(east(m).probes).toBe(0);
    await c.advanceAsync(1);
    expect(east(m)).toMatchObject({ probes: 1, failures: 1 });
    expect(east(m).lastProbe).toEqual({
      at: EPOCH + 550,
      ok: false,
      ms: 550,
      detail: 'timeout after 500 ms',
    });
    m.stop();
  });

  it('a probe still running when its next slot comes skips that slot (one probe in flight per endpoint)', async () => {
    const c = new FakeClock(EPOCH);
    // Each eastus probe takes 1.5 s (under the 2 s timeout): the slots at 1 s, 4 s, ... find it busy.
    const probe: ProbeFn = async (r) => {
      if (r.name === 'eastus') await sleep(c, 1500);
      return true;
    };
    const m = startMonitor(lab('dns.probeTimeoutS=2'), probe, undefined, c);
    await c.advanceAsync(4000);
    // Probes start at 0, 2, 4 s (the 4 s one still running); slots 1 and 3 s were skipped.
    expect(east(m)).toMatchObject({ probes: 2, skipped: 2, status: 'online' });
    expect(east(m).lastProbe).toMatchObject({ at: EPOCH + 3500, ms: 1500, ok: true });
    const west = m.endpoints().find((e) => e.region !== 'eastus') as EndpointHealth;
    expect(west).toMatchObject({ probes: 5, skipped: 0 });
    m.stop();
  });

  it('a probe that throws counts as a failure with its message', async () => {
    const c = new FakeClock(EPOCH);
    const probe: ProbeFn = async (r) => {
      if (r.name === 'eastus') throw new Error('connection refused');
      return true;
    };
    const m = startMonitor(lab(), probe, undefined, c);
    await c.advanceAsync(0);
    expect(east(m).lastProbe).toMatchObject({ ok: false, detail: 'connection refused' });
    m.stop();
  });
});
