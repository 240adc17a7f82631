/**
 * Per-front coalescing under a k6-shaped burst (issue 20): 40 clients at once, each the way
 * containerd (and the k6 scenario) pulls: the manifest by tag, then its 3 blobs at once;
 * then, once the image is hydrated, a second wave by digest. The upstream must see exactly
 * one manifest GET and one GET per blob digest across both waves and the hydration, on a
 * lab on the host loopback (octet 43) with the e2e's topology (2 regions, 2 storage
 * backends). Each burst follows what made the e2e count 4-5: an earlier image's import
 * still running (a coalescing-off pull through a 500 ms upstream, as the e2e's off run
 * leaves one behind). Counted like the scenario counts, by the upstream's global counters
 * over the burst's window, after waitImportsIdle (lib/k6/cache-stampede/quiesce.ts); the
 * front's own record of every upstream request it sent (`calls`: which path and why) is in
 * the assertion message. Three bursts of fresh images.
 */
import { rmSync } from 'node:fs';
import { fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyImports, waitImportsIdle } from '../../lib/k6/cache-stampede/quiesce';
import type { CacheStatus } from '../../lib/lab/cache/runtime';
import { resolveLabConfig } from '../../lib/lab/config';
import { type Lab, startLab } from '../../lib/lab/supervisor';
import { randomLayer } from '../../lib/oci/digest';
import { MANIFEST_ACCEPT } from '../../lib/oci/media-types';
import { type FetchLike, pushImage } from '../../lib/oci/push';
import { prerequisites, REGISTRY } from '../helpers/prereq';

const NAME = `cache-burst-${process.pid}`;
const HOME = `/tmp/stampede-cache-burst-${process.pid}`;
const CLIENTS = 40;
const BURSTS = 3;
let lab: Lab;
let base: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const status = async (): Promise<CacheStatus> => (await lab.status()).cache;
const counters = async () =>
  (await status()).upstream?.counters as NonNullable<CacheStatus['upstream']>['counters'];
const seed = (repo: string, sizes = [200_000, 100_000]) =>
  pushImage(
    lab.upstream?.url as string,
    `library/${repo}`,
    'v1',
    sizes.map((s) => randomLayer(s)),
    undiciFetch as unknown as FetchLike,
  );

/** One pull: the manifest, then every blob at once (following the 307 when local). */
async function pull(repo: string, ref: string): Promise<number> {
  const m = await undiciFetch(`${base}/v2/hub/library/${repo}/manifests/${ref}`, {
    headers: { accept: MANIFEST_ACCEPT },
  });
  const text = await m.text();
  if (m.status !== 200) return m.status;
  const man = JSON.parse(text) as { config: { digest: string }; layers: Array<{ digest: string }> };
  const codes = await Promise.all(
    [man.config.digest, ...man.layers.map((l) => l.digest)].map(async (d) => {
      const b = await undiciFetch(`${base}/v2/hub/library/${repo}/blobs/${d}`);
      await b.arrayBuffer();
      return b.status;
    }),
  );
  return codes.find((c) => c !== 200) ?? 200;
}

const run = prerequisites('cache burst lab test', [REGISTRY]);

beforeAll(async () => {
  if (!run) return;
  process.env.STAMPEDE_LAB_HOME = HOME;
  const cfg = resolveLabConfig(
    [],
    [
      `lab.name=${NAME}`,
      'lab.octet=43',
      'lab.netns=off',
      'regions.names=eastus,westus',
      'storage.backends=2',
      'storage.copies=1',
      'storage.redirectHost=ip',
      'registry.anonymousPull=true',
      'replication.baseLagS=0.2',
      'upstream.enabled=true',
      'cache.rules=hub/library=upstream.stampede.test/library',
      'cache.coalescing=per-front',
    ],
  );
  lab = await startLab(cfg, { netns: false, watchMs: 200 });
  base = `http://${lab.topology.regions[0]?.frontIp}:${lab.topology.port}`;
}, 90_000);

afterAll(async () => {
  await lab?.stop();
  rmSync(HOME, { recursive: true, force: true });
});

describe.runIf(run)('per-front coalescing under a k6-shaped burst', () => {
  for (let b = 0; b < BURSTS; b++)
    it(`burst ${b + 1}: ${CLIENTS} pulls then ${CLIENTS} by digest send one GET per digest upstream`, async () => {
      // What the e2e's off run leaves behind: an import of another image still fetching upstream.
      lab.setCache({ 'cache.coalescing': 'off', 'upstream.latencyMs': 500 });
      // 6 layers: its import fetches them one after another (>= 3.5 s at 500 ms each), the pull at once (~1 s).
      await seed(`earlier${b}`, [20_000, 20_000, 20_000, 20_000, 20_000, 20_000]);
      expect(await pull(`earlier${b}`, 'v1')).toBe(200);
      expect(busyImports(await status()), 'the earlier import is still running').not.toEqual([]);
      const idle = await waitImportsIdle({ status }, 60_000);
      expect(idle.busy).toEqual([]);
      lab.setCache({ 'cache.coalescing': 'per-front', 'upstream.latencyMs': 0 });
      const repo = `burst${b}`;
      const img = await seed(repo);
      const before = await counters();
      const t0 = Date.now();
      const cold = await Promise.all(Array.from({ length: CLIENTS }, () => pull(repo, 'v1')));
      expect(cold.filter((c) => c !== 200)).toEqual([]);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const h = (await status()).fronts.eastus?.hydration.find(
          (x) => x.image === `hub/library/${repo}@${img.manifestDigest}`,
        );
        if (h?.state === 'done') break;
        expect(h?.state, 'hydration').not.toBe('failed');
        expect(Date.now() < deadline, 'hydration within 30 s').toBe(true);
        await sleep(100);
      }
      const warm = await Promise.all(Array.from({ length: CLIENTS }, () => pull(repo, img.manifestDigest)));
      expect(warm.filter((c) => c !== 200)).toEqual([]);
      const after = await counters();
      const s = await status();
      const mine = Object.entries(s.fronts).flatMap(([region, f]) =>
        f.calls.filter((c) => c.at >= t0 && c.path.includes(`/${repo}/`)).map((c) => ({ region, ...c })),
      );
      const trace = mine
        .map((c) => `${c.region} ${c.method} ${c.path.slice(-20)} ${c.why} ${c.status}`)
        .join('\n');
      const gets = mine.filter((c) => c.method === 'GET');
      const perObject = new Map<string, number>();
      for (const c of gets) perObject.set(c.path, (perObject.get(c.path) ?? 0) + 1);
      // The front sent one GET per object for this image ...
      expect(gets.length, trace).toBe(4);
      expect([...perObject.values()], trace).toEqual([1, 1, 1, 1]);
      // ... and the upstream's window holds nothing else (the scenario's measure).
      const window = {
        manifestGets: after.manifestGets - before.manifestGets,
        blob: after.requests.blob - before.requests.blob,
      };
      console.log(
        `burst ${b + 1}: upstream window ${JSON.stringify(window)}; waited ${idle.waitedMs} ms for the earlier import`,
      );
      expect(window, trace).toEqual({ manifestGets: 1, blob: 3 });
    }, 90_000);
});
