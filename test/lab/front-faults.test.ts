import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultKind } from '../../lib/lab/state';
import { homeBackends } from '../../lib/lab/storage';
import { type RegionFixture, startRegionFixture } from './helpers/region-fixture';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('front faults and deep health', () => {
  let lab: RegionFixture;
  beforeAll(async () => {
    lab = await startRegionFixture({
      slot: 5,
      names: ['contoso', 'fabrikam'],
      tree: {
        storage: { backends: 4, copies: 2, homeBackends: 1 },
        health: { sustainS: 0.6, checkIntervalS: 0.1 },
      },
    });
    await sleep(300); // first monitor ticks
  });
  afterAll(() => lab?.stop());

  const fault = (id: string, kind: FaultKind, params: Record<string, number> = {}, backends?: number[]) =>
    lab.state.faults.set(id, {
      id,
      kind,
      region: 'eastus',
      params,
      since: Date.now(),
      ...(backends ? { backends } : {}),
    });
  const deep = async (reg = 'contoso', host = lab.host.regional('eastus', reg)) => {
    const r = await lab.fetch(`${lab.base(host)}/_health/deep`);
    return { status: r.status, body: await r.json() };
  };
  const home = (reg: string) => homeBackends(reg, lab.topology.regions[0]!.backends, 1)[0]!;

  it('reports healthy per registry, on any of its names', async () => {
    for (const host of [lab.host.global(), lab.host.regional('eastus'), lab.host.data('eastus')]) {
      const h = await deep('contoso', host);
      expect(h.status).toBe(200);
      expect(h.body).toMatchObject({ status: 'healthy', registry: 'contoso', region: 'eastus' });
      expect(h.body.dependencies.map((d: { name: string }) => d.name)).toEqual([
        'registry',
        'auth',
        `storage:${home('contoso').id}`,
      ]);
    }
  });

  it('storage-fail on one registry home backends: unhealthy only after the sustain time, only for that registry; cleared, healthy', async () => {
    expect(home('contoso').id).not.toBe(home('fabrikam').id);
    fault('sf', 'storage-fail', {}, [home('contoso').index]);
    try {
      await sleep(250);
      const early = await deep('contoso');
      expect(early.status).toBe(200); // failing, but not for sustainS yet
      expect(early.body.detail).toContain('tolerating');
      await sleep(700);
      const late = await deep('contoso');
      expect(late.status).toBe(503);
      expect(late.body.status).toBe('unhealthy');
      expect(late.body.detail).toContain(`storage:${home('contoso').id}`);
      expect((await deep('fabrikam')).status).toBe(200);
      // the monitor itself breaks: fail open
      fault('hm', 'health-monitor-crash');
      await sleep(250);
      const open = await deep('contoso');
      expect(open.status).toBe(200);
      expect(open.body.detail).toContain('monitor unavailable');
      lab.state.faults.delete('hm');
    } finally {
      lab.state.faults.delete('sf');
      lab.state.faults.delete('hm');
    }
    await sleep(300);
    expect((await deep('contoso')).status).toBe(200);
  });

  it('a killed registry fails deep health after the sustain time and recovers on restart', async () => {
    await lab.registries.eastus!.kill();
    try {
      await sleep(1000);
      const h = await deep('fabrikam');
      expect(h.status).toBe(503);
      expect(h.body.detail).toContain('registry');
    } finally {
      await lab.registries.eastus!.restart();
    }
    await sleep(300);
    expect((await deep('fabrikam')).status).toBe(200);
  });

  it('region-down: every request 503 and deep health fails; cleared, back', async () => {
    fault('rd', 'region-down');
    try {
      expect((await lab.fetch(`${lab.base(lab.host.global())}/v2/`)).status).toBe(503);
      const tok = await lab.fetch(
        `${lab.base(lab.host.global())}/oauth2/token?service=contoso.stampede.test`,
      );
      expect(tok.status).toBe(503);
      expect((await deep()).status).toBe(503);
      await sleep(250);
      expect(lab.state.components.get('front:eastus')?.ok).toBe(false);
    } finally {
      lab.state.faults.delete('rd');
    }
    expect((await lab.fetch(`${lab.base(lab.host.global())}/v2/`)).status).toBe(401);
    expect((await deep()).status).toBe(200);
    await sleep(250);
    expect(lab.state.components.get('front:eastus')?.ok).toBe(true);
  });

  it('front-latency delays every request; cleared, fast again', async () => {
    const time = async () => {
      const t0 = performance.now();
      await (await lab.fetch(`${lab.base(lab.host.global())}/v2/`)).arrayBuffer();
      return performance.now() - t0;
    };
    fault('fl', 'front-latency', { latencyMs: 300 });
    try {
      expect(await time()).toBeGreaterThanOrEqual(295);
    } finally {
      lab.state.faults.delete('fl');
    }
    expect(await time()).toBeLessThan(200);
  });

  it('front-errors fails the configured fraction of requests with 500; cleared, none', async () => {
    const count500 = async (n: number) => {
      let e = 0;
      for (let i = 0; i < n; i++) {
        const r = await lab.fetch(`${lab.base(lab.host.global())}/v2/`);
        await r.arrayBuffer();
        if (r.status === 500) e++;
      }
      return e;
    };
    fault('fe', 'front-errors', { errorRate: 1 });
    try {
      expect(await count500(10)).toBe(10);
      fault('fe', 'front-errors', { errorRate: 0.5 });
      const half = await count500(60);
      expect(half).toBeGreaterThan(12);
      expect(half).toBeLessThan(48);
    } finally {
      lab.state.faults.delete('fe');
    }
    expect(await count500(10)).toBe(0);
  });

  it('throttle (a 429 storm) answers 429 TOOMANYREQUESTS, names the region, and leaves deep health healthy', async () => {
    fault('th', 'throttle', { rate: 1 });
    try {
      const r = await lab.fetch(`${lab.base(lab.host.global())}/v2/`);
      const body = (await r.json()) as { errors: Array<{ code: string }> };
      expect(r.status).toBe(429);
      expect(body.errors[0]?.code).toBe('TOOMANYREQUESTS');
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('x-stampede-region')).toBe('eastus');
      const h = await deep();
      expect(h.status).toBe(200);
      expect(h.body.status).toBe('healthy');
    } finally {
      lab.state.faults.delete('th');
    }
    const ok = await lab.fetch(`${lab.base(lab.host.global())}/v2/`);
    await ok.arrayBuffer();
    expect(ok.status).not.toBe(429);
    expect(ok.headers.get('x-stampede-region')).toBe('eastus');
  });
});

describe('per-replica throttling', () => {
  let lab: RegionFixture;
  beforeAll(async () => {
    lab = await startRegionFixture({ slot: 6, tree: { regions: { requestsPerS: 5, burst: 5 } } });
  });
  afterAll(() => lab?.stop());

  it('answers 429 TOOMANYREQUESTS with Retry-After over the limit, and admits again after it', async () => {
    const url = `${lab.base(lab.host.global())}/v2/`;
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 8; i++) {
      const r = await lab.fetch(url);
      statuses.push(r.status);
      if (r.status === 429 && !limited) limited = r;
      else await r.arrayBuffer();
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toContain(429);
    expect(limited).toBeDefined();
    const retry = Number(limited!.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect((await limited!.json()).errors[0].code).toBe('TOOMANYREQUESTS');
    // health probes are not API traffic: never throttled
    expect((await lab.fetch(`${lab.base(lab.host.global())}/_health/deep`)).status).toBe(200);
    await sleep(retry * 1000);
    expect((await lab.fetch(url)).status).toBe(401);
  });
});
