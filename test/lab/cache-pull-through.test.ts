/**
 * The pull-through cache with real registries: a whole small lab in this process on the host
 * loopback (octet 34, no namespace) with the upstream registry and one cache rule. An image
 * seeded upstream only is pulled through a front (manifest through the front, blobs streamed
 * from the upstream), hydrated downstream by the async import (replicated to the other region,
 * the ACR webhook record fires), then served locally (0 upstream requests for a digest pull,
 * one freshness HEAD for a tag pull). Then: coalescing off vs per-front for a burst, the
 * upstream's 429s, the upstream down (hydrated content still pulls, un-hydrated fails with
 * UPSTREAM_UNAVAILABLE) and the breaker stopping upstream traffic.
 */
import { rmSync } from 'node:fs';
import { fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheStatus } from '../../lib/lab/cache/runtime';
import { resolveLabConfig } from '../../lib/lab/config';
import { type Lab, startLab } from '../../lib/lab/supervisor';
import { randomLayer, sha256 } from '../../lib/oci/digest';
import { MANIFEST_ACCEPT } from '../../lib/oci/media-types';
import { type FetchLike, type PushedImage, pushImage } from '../../lib/oci/push';
import { prerequisites, REGISTRY } from '../helpers/prereq';

const NAME = `cache-${process.pid}`;
const HOME = `/tmp/stampede-cache-${process.pid}`;
let lab: Lab;
let base: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const cache = async (): Promise<CacheStatus> => (await lab.status()).cache;
const up = async () => (await cache()).upstream?.counters as NonNullable<CacheStatus['upstream']>['counters'];
const seedUpstream = (repo: string, tag: string, sizes = [48_000, 16_000]) =>
  pushImage(
    lab.upstream?.url as string,
    repo,
    tag,
    sizes.map((s) => randomLayer(s)),
    undiciFetch as unknown as FetchLike,
  );

/** An anonymous pull like containerd's: manifest, then every blob (following the 307 when local). */
async function pull(ref: string): Promise<{ status: number; code?: string; digest?: string }> {
  const m = await fetch(
    `${base}/v2/hub/library/${ref.replace(/[:@]/, (c) => (c === ':' ? '/manifests/' : '/manifests/'))}`,
    {
      headers: { accept: MANIFEST_ACCEPT },
    },
  );
  const text = await m.text();
  if (m.status !== 200) return { status: m.status, code: JSON.parse(text).errors?.[0]?.code };
  const digest = m.headers.get('docker-content-digest') ?? '';
  expect(sha256(Buffer.from(text))).toBe(digest);
  const repo = ref.split(/[:@]/)[0];
  const manifest = JSON.parse(text) as { config: { digest: string }; layers: Array<{ digest: string }> };
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const b = await fetch(`${base}/v2/hub/library/${repo}/blobs/${d}`);
    const body = Buffer.from(await b.arrayBuffer());
    if (b.status !== 200) return { status: b.status, code: JSON.parse(body.toString()).errors?.[0]?.code };
    expect(sha256(body)).toBe(d);
  }
  return { status: 200, digest };
}

const hydrated = (c: CacheStatus, repo: string, digest: string) =>
  c.fronts.eastus?.hydration.find((h) => h.image === `hub/library/${repo}@${digest}`);

const run = prerequisites('cache pull-through lab test', [REGISTRY]);

beforeAll(async () => {
  if (!run) return;
  process.env.STAMPEDE_LAB_HOME = HOME;
  const cfg = resolveLabConfig(
    [],
    [
      `lab.name=${NAME}`,
      'lab.octet=34',
      'lab.netns=off',
      'regions.names=eastus,westus',
      'storage.backends=2',
      'storage.copies=1',
      'storage.redirectHost=ip',
      'registry.anonymousPull=true',
      'replication.baseLagS=0.2',
      'upstream.enabled=true',
      'cache.rules=hub/library=upstream.stampede.test/library',
      'breaker.failures=3',
      'breaker.windowS=30',
      'breaker.openS=2',
    ],
  );
  lab = await startLab(cfg, { netns: false, watchMs: 200 });
  base = `http://${lab.topology.regions[0]?.frontIp}:${lab.topology.port}`;
}, 90_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(HOME, { recursive: true, force: true });
});

describe.runIf(run)('pull-through cache against real registries', () => {
  let app: PushedImage;

  it('serves a cold pull through from the upstream, hydrates it, replicates it, then serves it locally', async () => {
    app = await seedUpstream('library/app', 'v1');
    const before = await up();
    const first = await pull('app:v1');
    expect(first).toMatchObject({ status: 200, digest: app.manifestDigest });
    const during = await up();
    expect(during.manifestGets - before.manifestGets).toBeGreaterThanOrEqual(1);
    expect(during.requests.blob - before.requests.blob).toBeGreaterThanOrEqual(3);

    const rec = await until('hydration done', async () => {
      const h = hydrated(await cache(), 'app', app.manifestDigest);
      return h?.state === 'done' ? h : undefined;
    });
    expect(rec.hydratedAtS).toBeGreaterThan(0);
    // The import went through the normal push path: a local push event in eastus (the
    // webhook record), then replication to westus.
    await until('replicated to westus', async () => {
      const events = (await lab.status()).replication.regions.westus?.events ?? [];
      return events.find((e) => e.digest === app.manifestDigest && e.kind === 'replica') ? true : undefined;
    });
    const local = (await lab.status()).replication.regions.eastus?.events ?? [];
    expect(local.some((e) => e.digest === app.manifestDigest && e.kind === 'local' && e.tag === 'v1')).toBe(
      true,
    );

    const hydratedAt = await up();
    expect(await pull(`app@${app.manifestDigest}`)).toMatchObject({ status: 200 });
    const afterDigest = await up();
    expect(afterDigest.requests).toEqual(hydratedAt.requests); // 0 upstream requests for a digest pull
    expect(await pull('app:v1')).toMatchObject({ status: 200, digest: app.manifestDigest });
    const afterTag = await up();
    expect(afterTag.requests.manifest - afterDigest.requests.manifest).toBe(1); // the freshness HEAD
    expect(afterTag.manifestGets).toBe(afterDigest.manifestGets);
    expect(afterTag.requests.blob).toBe(afterDigest.requests.blob);
  }, 60_000);

  it('per-front coalescing: a burst of 20 cold pulls sends one manifest GET and one GET per blob upstream', async () => {
    lab.setCache({ 'cache.coalescing': 'per-front' });
    const img = await seedUpstream('library/burst', 'v1');
    const before = await up();
    const results = await Promise.all(Array.from({ length: 20 }, () => pull('burst:v1')));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const after = await up();
    expect(after.manifestGets - before.manifestGets).toBe(1);
    // config + 2 layers, once each, whether for the burst or the hydration (it reads the spool)
    expect(after.requests.blob - before.requests.blob).toBe(3);
    expect(after.throttled.manifest - before.throttled.manifest).toBe(0);
    await until('burst hydrated', async () =>
      hydrated(await cache(), 'burst', img.manifestDigest)?.state === 'done' ? true : undefined,
    );
  }, 60_000);

  it('coalescing off: every miss goes upstream and trips the rate limit', async () => {
    lab.setCache({
      'cache.coalescing': 'off',
      'breaker.enabled': false,
      'upstream.rateLimit.burst': 5,
      'upstream.rateLimit.perMin': 1,
    });
    await seedUpstream('library/naive', 'v1');
    const before = await up();
    const results = await Promise.all(Array.from({ length: 20 }, () => pull('naive:v1')));
    const after = await up();
    expect(after.manifestGets - before.manifestGets).toBe(20);
    expect(after.throttled.manifest - before.throttled.manifest).toBe(15);
    expect(results.filter((r) => r.status === 429 && r.code === 'TOOMANYREQUESTS')).toHaveLength(15);
    lab.setCache({
      'cache.coalescing': 'per-front',
      'breaker.enabled': true,
      'upstream.rateLimit.burst': 100,
      'upstream.rateLimit.perMin': 600,
    });
  }, 60_000);

  it('upstream down: hydrated content pulls, un-hydrated fails with UPSTREAM_UNAVAILABLE, the breaker stops upstream traffic', async () => {
    await seedUpstream('library/cold', 'v1');
    const fault = await lab.addFault({ kind: 'upstream-down' });
    try {
      expect(await pull('app:v1')).toMatchObject({ status: 200, digest: app.manifestDigest });
      expect(await pull(`app@${app.manifestDigest}`)).toMatchObject({ status: 200 });
      const before = await up();
      const cold = [];
      for (let i = 0; i < 8; i++) cold.push(await pull('cold:v1'));
      expect(cold.every((r) => r.status === 503 && r.code === 'UPSTREAM_UNAVAILABLE')).toBe(true);
      const after = await up();
      const front = (await cache()).fronts.eastus;
      expect(front?.breaker.state).toBe('open');
      // K = 3 failures open it (the tag pull's HEAD above was one): the rest are refused at the front.
      expect(after.dropped - before.dropped).toBeLessThanOrEqual(3);
      expect(front?.rules['hub/library=upstream.stampede.test/library']?.refused).toBeGreaterThanOrEqual(5);
      // Hydrated content still pulls while the breaker is open.
      expect(await pull('app:v1')).toMatchObject({ status: 200 });
    } finally {
      await lab.clearFault(fault.id);
    }
    // After openS one half-open probe succeeds and closes it.
    await sleep(2100);
    expect(await pull('cold:v1')).toMatchObject({ status: 200 });
    expect((await cache()).fronts.eastus?.breaker.state).toBe('closed');
  }, 60_000);
});
