/**
 * The region's deep-health verdict on a fake clock: the sustain window, failing open when
 * the monitor is starting, crashed or stale, and the failure run restarting after a crash.
 * The checks are injected (name -> ok); the real HTTP checks are exercised by the lab tests.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/clock';
import { resolveLabConfig } from '../../lib/lab/config';
import { startHealthMonitor } from '../../lib/lab/front/health';
import { createState, type LabState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';

function lab(): LabState {
  const cfg = resolveLabConfig(
    [],
    ['registry.names=contoso', 'health.sustainS=5', 'health.checkIntervalS=1'],
  );
  return createState(cfg, topology(cfg, { netns: false, octet: 3 }));
}

/** A monitor whose checks answer from `failing` (names that fail); `hang` makes checks never finish. */
function monitor(c: FakeClock, state: LabState) {
  const region = state.topology.regions[0]!;
  const failing = new Set<string>();
  const ctl = { failing, hang: false, ticks: 0 };
  const names = ['registry', 'auth', ...region.backends.map((b) => `storage:${b.id}`)];
  const m = startHealthMonitor(state, region, {
    registryUrl: 'http://unused',
    auth: undefined as never,
    backends: [],
    signer: undefined as never,
    dispatcher: undefined as never,
    clock: c,
    onTick: () => ctl.ticks++,
    check: () =>
      ctl.hang
        ? new Promise(() => {})
        : Promise.resolve(names.map((n) => [n, !failing.has(n), failing.has(n) ? 'HTTP 500' : 'HTTP 200'])),
  });
  return { m, ctl, region };
}

describe('deep health on a fake clock', () => {
  it('fails open while starting, then is healthy', async () => {
    const c = new FakeClock();
    const { m } = monitor(c, lab());
    expect(m.evaluate('contoso')).toMatchObject({
      healthy: true,
      detail: 'monitor unavailable (starting): failing open',
    });
    await c.advanceAsync(0);
    expect(m.evaluate('contoso')).toMatchObject({ healthy: true, detail: 'healthy' });
    m.stop();
  });

  it('a dependency makes the registry unhealthy only after failing for sustainS (5 s), exactly', async () => {
    const c = new FakeClock();
    const { m, ctl } = monitor(c, lab());
    await c.advanceAsync(1999);
    ctl.failing.add('registry');
    await c.advanceAsync(1);
    // Seen failing at the 2 s check.
    expect(m.evaluate('contoso')).toMatchObject({
      healthy: true,
      detail: 'healthy (tolerating: registry failing 0.0s)',
    });
    await c.advanceAsync(4999);
    expect(m.evaluate('contoso').healthy).toBe(true);
    expect(m.evaluate('contoso').dependencies[0]).toMatchObject({
      name: 'registry',
      ok: false,
      failingForS: 4.999,
    });
    await c.advanceAsync(1);
    expect(m.evaluate('contoso')).toMatchObject({
      healthy: false,
      detail: 'unhealthy: registry failing 5.0s',
    });
    // The first passing check ends the run.
    ctl.failing.clear();
    await c.advanceAsync(1000);
    expect(m.evaluate('contoso')).toMatchObject({ healthy: true, detail: 'healthy' });
    m.stop();
  });

  it('a failing backend no registry is homed on does not count; one it is homed on does', async () => {
    const c = new FakeClock();
    const state = lab();
    const { m, ctl } = monitor(c, state);
    await c.advanceAsync(0);
    const deps = m.evaluate('contoso').dependencies.map((d) => d.name);
    const home = deps.filter((d) => d.startsWith('storage:'));
    const region = state.topology.regions[0]!;
    const other = region.backends.map((b) => `storage:${b.id}`).find((n) => !home.includes(n));
    expect(home.length).toBeGreaterThan(0);
    if (other) ctl.failing.add(other);
    ctl.failing.add(home[0]!);
    await c.advanceAsync(6000);
    expect(m.evaluate('contoso')).toMatchObject({
      healthy: false,
      detail: `unhealthy: ${home[0]} failing 5.0s`,
    });
    m.stop();
  });

  it('fails open when the monitor crashes; after it recovers the failure run starts over', async () => {
    const c = new FakeClock();
    const state = lab();
    const { m, ctl, region } = monitor(c, state);
    ctl.failing.add('auth');
    await c.advanceAsync(4000);
    state.faults.set('f1', {
      id: 'f1',
      kind: 'health-monitor-crash',
      region: region.name,
      params: {},
      since: 0,
    });
    await c.advanceAsync(1000);
    expect(m.evaluate('contoso')).toMatchObject({
      healthy: true,
      detail: 'monitor unavailable (health monitor crashed): failing open',
    });
    state.faults.clear();
    await c.advanceAsync(1000);
    // auth has failed since 0 s, but the crash cleared what was seen: its run restarts at 6 s.
    expect(m.evaluate('contoso')).toMatchObject({
      healthy: true,
      detail: 'healthy (tolerating: auth failing 0.0s)',
    });
    await c.advanceAsync(5000);
    expect(m.evaluate('contoso').healthy).toBe(false);
    m.stop();
  });

  it('fails open on stale results: checks that stop finishing for 3 intervals + 4 s', async () => {
    const c = new FakeClock();
    const { m, ctl } = monitor(c, lab());
    await c.advanceAsync(0);
    ctl.hang = true;
    await c.advanceAsync(1000);
    // The last tick finished at 0; stale after 3 x 1 s + 2 x 2 s = 7 s.
    await c.advanceAsync(6000);
    expect(m.evaluate('contoso').detail).toBe('healthy');
    await c.advanceAsync(1);
    expect(m.evaluate('contoso')).toMatchObject({
      healthy: true,
      detail: 'monitor unavailable (stale results): failing open',
    });
    expect(ctl.ticks).toBe(1);
    m.stop();
  });

  it('stop leaves no timer behind', async () => {
    const c = new FakeClock();
    const { m } = monitor(c, lab());
    await c.advanceAsync(2500);
    m.stop();
    expect(c.pending).toBe(0);
  });
});
