/**
 * The replicator against real docker-registry processes (one per region, notifying it):
 * propagation, ACR-style webhooks one per replica, no ping-pong, tag overwrites (last push
 * wins, also across regions), delete propagation, the pause and lag faults, and replication
 * between healthy regions while another is down. Addresses: 127.4.x.x (replication's octet).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryProcess } from '../../lib/lab/registry-process';
import type { AcrWebhookEvent, ReplicatorHandle } from '../../lib/lab/replication';
import type { LabState } from '../../lib/lab/state';
import { randomLayer } from '../../lib/oci/digest';
import { OCI_INDEX, OCI_MANIFEST } from '../../lib/oci/media-types';
import { pushImage } from '../../lib/oci/push';
import { type ReplicationFixture, startReplicationFixture } from './helpers/replication-fixture';

const BASE_LAG_S = 0.3;
const WEBHOOK = { ip: '127.4.9.9', port: 9100 };
const REGIONS = ['eastus', 'westus', 'westeurope'] as const;

let state: LabState;
let repl: ReplicatorHandle;
const regs: Record<string, RegistryProcess> = {};
let hookServer: Server;
const hooks: AcrWebhookEvent[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until fn() is truthy; bounded by timeoutMs. Returns elapsed ms, or throws. */
async function waitFor(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 8000, everyMs = 50) {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await fn()) return performance.now() - t0;
    await sleep(everyMs);
  }
  console.log(
    JSON.stringify(
      Object.fromEntries(
        Object.entries(repl.status().regions).map(([k, v]) => [
          k,
          {
            holds: v.holds,
            backlog: v.backlog,
            errors: v.errors,
            counters: v.counters,
            events: v.events.slice(-6),
          },
        ]),
      ),
      null,
      1,
    ),
  );
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const digestAt = (region: string, repo: string, ref: string) => fx.digestAt(region, repo, ref);

const push = (region: string, repo: string, tag: string, size = 4096) =>
  pushImage(regs[region]?.url as string, repo, tag, [randomLayer(size)]);

function addFault(
  id: string,
  kind: 'replication-pause' | 'replication-lag' | 'region-down',
  region: string,
  params = {},
) {
  state.faults.set(id, { id, kind, region, params, since: Date.now() });
}

let fx: ReplicationFixture;

beforeAll(async () => {
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      hooks.push(JSON.parse(body) as AcrWebhookEvent);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(WEBHOOK.port, WEBHOOK.ip, r));
  fx = await startReplicationFixture({
    tree: {
      lab: { name: 'replbasics' },
      regions: { names: [...REGIONS] },
      replication: { baseLagS: BASE_LAG_S, bandwidthBps: 0, jitterS: 0, concurrency: 2 },
    },
    webhookUrl: `http://${WEBHOOK.ip}:${WEBHOOK.port}/hooks`,
  });
  ({ state, repl } = fx);
  Object.assign(regs, fx.regs);
});

afterAll(async () => {
  await fx?.stop();
  await new Promise((r) => hookServer?.close(r));
});

describe('replicator', () => {
  it('replicates a push to every other region, says so in status, and reports healthy', async () => {
    const img = await push('eastus', 'contoso/app', 'v1');
    for (const r of ['westus', 'westeurope'])
      await waitFor(
        `${r} has contoso/app:v1`,
        async () => (await digestAt(r, 'contoso/app', 'v1')) === img.manifestDigest,
      );
    // Blobs came too: the layer is pullable from the replica's own registry.
    const blob = await fetch(`${regs.westus?.url}/v2/contoso/app/blobs/${img.layers[0]?.digest}`);
    expect(blob.status).toBe(200);
    expect((await blob.arrayBuffer()).byteLength).toBe(4096);

    await waitFor('status shows the tag everywhere', () =>
      REGIONS.every((r) => repl.status().regions[r]?.holds['contoso/app']?.tags.v1 === img.manifestDigest),
    );
    const st = repl.status();
    expect(st.ok).toBe(true);
    expect(state.components.get('replicator')?.ok).toBe(true);
    for (const r of ['westus', 'westeurope']) {
      const rs = st.regions[r];
      expect(rs?.holds['contoso/app']?.digests).toContain(img.manifestDigest);
      expect(rs?.lastLagS).toBeGreaterThanOrEqual(BASE_LAG_S);
      expect(rs?.lastLagS).toBeLessThan(BASE_LAG_S + 1);
      expect(rs?.lagS.count).toBeGreaterThanOrEqual(1);
      expect(rs?.backlog.items).toBe(0);
    }
  });

  it('posts one ACR-shaped webhook per replica, with that replica regional host', async () => {
    const img = await push('westus', 'contoso/hooked', 'v7');
    await waitFor(
      'three webhooks',
      () => hooks.filter((h) => h.target.digest === img.manifestDigest).length >= 3,
    );
    await sleep(500); // and no more than three
    const mine = hooks.filter((h) => h.target.digest === img.manifestDigest);
    expect(mine.map((h) => h.request.host).sort()).toEqual(
      REGIONS.map((r) => `contoso.${r}.geo.stampede.test`).sort(),
    );
    for (const h of mine) {
      expect(h.action).toBe('push');
      expect(h.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number.isNaN(Date.parse(h.timestamp))).toBe(false);
      expect(h.target).toMatchObject({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: img.manifestDigest,
        size: img.manifest.length,
        length: img.manifest.length,
        repository: 'hooked',
        tag: 'v7',
      });
      expect(h.request.method).toBe('PUT');
    }
    // The receiving replica's own event is recorded too (kind local), the others as replicas.
    const ev = REGIONS.flatMap((r) => repl.status().regions[r]?.events ?? []).filter(
      (e) => e.digest === img.manifestDigest,
    );
    expect(ev.map((e) => `${e.region}:${e.kind}`).sort()).toEqual([
      'eastus:replica',
      'westeurope:replica',
      'westus:local',
    ]);
    expect(ev.every((e) => e.webhook === 'sent')).toBe(true);
  });

  it('replicates an image index with its child manifests and their blobs', async () => {
    const amd = await push('eastus', 'contoso/multi', 'amd64');
    const arm = await push('eastus', 'contoso/multi', 'arm64');
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [amd, arm].map((m, i) => ({
        mediaType: OCI_MANIFEST,
        digest: m.manifestDigest,
        size: m.manifest.length,
        platform: { architecture: i ? 'arm64' : 'amd64', os: 'linux' },
      })),
    });
    const put = await fetch(`${regs.eastus?.url}/v2/contoso/multi/manifests/latest`, {
      method: 'PUT',
      headers: { 'content-type': OCI_INDEX },
      body: index,
    });
    expect(put.status).toBe(201);
    const digest = put.headers.get('docker-content-digest');
    for (const r of ['westus', 'westeurope']) {
      await waitFor(
        `${r} has the index`,
        async () => (await digestAt(r, 'contoso/multi', 'latest')) === digest,
      );
      for (const m of [amd, arm]) {
        expect(await digestAt(r, 'contoso/multi', m.manifestDigest)).toBe(m.manifestDigest);
        const head = await fetch(`${regs[r]?.url}/v2/contoso/multi/blobs/${m.layers[0]?.digest}`, {
          method: 'HEAD',
        });
        expect(head.status).toBe(200);
      }
    }
  });

  it('does not ping-pong: its own writes are ignored and counts stay bounded', async () => {
    const before = repl.status();
    const img = await push('eastus', 'contoso/pingpong', 'v1');
    for (const r of ['westus', 'westeurope'])
      await waitFor(
        `${r} has it`,
        async () => (await digestAt(r, 'contoso/pingpong', 'v1')) === img.manifestDigest,
      );
    await sleep(4 * BASE_LAG_S * 1000 + 500); // several lag periods: a loop would show by now
    const after = repl.status();
    const count = (r: string) =>
      after.regions[r]?.events.filter((e) => e.repository === 'contoso/pingpong').length ?? 0;
    expect(REGIONS.map(count)).toEqual([1, 1, 1]);
    for (const r of ['westus', 'westeurope']) {
      const a = after.regions[r]?.counters;
      const b = before.regions[r]?.counters;
      expect((a?.localPushes ?? 0) - (b?.localPushes ?? 0)).toBe(0);
      expect((a?.replicatedIn ?? 0) - (b?.replicatedIn ?? 0)).toBe(1);
      // The replica's registry did notify about our write: recognised as ours.
      expect((a?.ignored.own ?? 0) - (b?.ignored.own ?? 0)).toBeGreaterThanOrEqual(1);
    }
    expect(after.regions.eastus?.counters.replicatedIn).toBe(before.regions.eastus?.counters.replicatedIn);
    expect(REGIONS.every((r) => after.regions[r]?.backlog.items === 0)).toBe(true);
  });

  it('converges a tag overwrite to the latest digest everywhere, also when pushed in another region', async () => {
    const a = await push('eastus', 'contoso/over', 'stable');
    const b = await push('eastus', 'contoso/over', 'stable');
    await sleep(100);
    const c = await push('westeurope', 'contoso/over', 'stable'); // latest, from another region
    expect(new Set([a.manifestDigest, b.manifestDigest, c.manifestDigest]).size).toBe(3);
    await waitFor('all regions at the last push', async () => {
      const d = await Promise.all(REGIONS.map((r) => digestAt(r, 'contoso/over', 'stable')));
      return d.every((x) => x === c.manifestDigest);
    });
    await sleep(3 * BASE_LAG_S * 1000 + 300); // every queued write has landed or been skipped by now
    for (const r of REGIONS) {
      expect(await digestAt(r, 'contoso/over', 'stable')).toBe(c.manifestDigest);
      expect(repl.status().regions[r]?.holds['contoso/over']?.tags.stable).toBe(c.manifestDigest);
      // Earlier digests replicated too (reachable by digest), only the tag moved.
      expect(await digestAt(r, 'contoso/over', b.manifestDigest)).toBe(b.manifestDigest);
    }
    expect(REGIONS.map((r) => repl.status().regions[r]?.backlog.items)).toEqual([0, 0, 0]);
  });

  it('propagates a manifest delete', async () => {
    const img = await push('westus', 'contoso/gone', 'v1');
    await waitFor('replicated', async () =>
      (await Promise.all(REGIONS.map((r) => digestAt(r, 'contoso/gone', 'v1')))).every(
        (d) => d === img.manifestDigest,
      ),
    );
    // Timed from before the DELETE is sent: the registry notifies while it handles the
    // request, so on a loaded box the lag can run out before the 202 reaches us.
    const t0 = performance.now();
    const del = await fetch(`${regs.westus?.url}/v2/contoso/gone/manifests/${img.manifestDigest}`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(202);
    await waitFor('deleted everywhere', async () =>
      (await Promise.all(REGIONS.map((r) => digestAt(r, 'contoso/gone', img.manifestDigest)))).every(
        (d) => d === null,
      ),
    );
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(BASE_LAG_S * 1000 - 100); // after the lag, not at once
    // The registry's DELETE unlinks the manifest, then untags it: a HEAD can see the 404
    // while the replicator's DELETE into that region is still untagging (ci19: 'v1' listed
    // once just after). So the tags are waited for too, and must all go.
    const tagsAt = async (r: string) =>
      (
        (await (await fetch(`${regs[r]?.url}/v2/contoso/gone/tags/list`)).json()) as {
          tags?: string[] | null;
        }
      ).tags ?? [];
    await waitFor('tags gone everywhere', async () =>
      (await Promise.all(REGIONS.map(tagsAt))).every((t) => t.length === 0),
    );
    for (const r of REGIONS) expect(await tagsAt(r)).toEqual([]);
    await waitFor('status agrees', () =>
      REGIONS.every((r) => !repl.status().regions[r]?.holds['contoso/gone']),
    );
    const deletes = () =>
      hooks.filter((h) => h.action === 'delete' && h.target.digest === img.manifestDigest);
    await waitFor('delete webhooks', () => deletes().length >= 3);
    await sleep(300);
    expect(
      deletes()
        .map((h) => h.request.host)
        .sort(),
    ).toEqual(REGIONS.map((r) => `contoso.${r}.geo.stampede.test`).sort());
    expect(deletes()[0]?.target).toEqual({ digest: img.manifestDigest, repository: 'gone' });
  });

  it('retries into a region whose registry was killed, and delivers once it is back', async () => {
    await regs.westeurope?.kill();
    try {
      const img = await push('eastus', 'contoso/killed', 'v1');
      await waitFor(
        'westus has it',
        async () => (await digestAt('westus', 'contoso/killed', 'v1')) === img.manifestDigest,
      );
      await waitFor(
        'an error recorded for westeurope',
        () => (repl.status().regions.westeurope?.errors.length ?? 0) > 0,
      );
      expect(repl.status().regions.westeurope?.backlog.items).toBe(1);
    } finally {
      await regs.westeurope?.restart();
    }
    await waitFor(
      'westeurope caught up',
      async () => (await digestAt('westeurope', 'contoso/killed', 'v1')) !== null,
      10_000,
    );
    // The registry serves the manifest as soon as the replicator's PUT lands, a moment before
    // the replicator has the PUT's answer and takes the item off its backlog.
    await waitFor(
      'westeurope backlog drained',
      () => repl.status().regions.westeurope?.backlog.items === 0,
      2000,
    );
    expect(repl.status().regions.westeurope?.backlog.items).toBe(0);
  });

  it('holds content out of a paused region until cleared, then drains', async () => {
    addFault('p1', 'replication-pause', 'westeurope');
    try {
      const one = await push('eastus', 'contoso/paused', 'a');
      const two = await push('eastus', 'contoso/paused', 'b');
      await waitFor(
        'westus has both',
        async () => (await digestAt('westus', 'contoso/paused', 'b')) === two.manifestDigest,
      );
      await sleep(BASE_LAG_S * 1000 + 700);
      expect(await digestAt('westeurope', 'contoso/paused', 'a')).toBeNull();
      const st = repl.status().regions.westeurope;
      expect(st?.paused).toBe(true);
      expect(st?.backlog.queued).toBe(2);
      expect(st?.backlog.bytes).toBeGreaterThan(2 * 4096);
      expect(one.manifestDigest).not.toBe(two.manifestDigest);
    } finally {
      state.faults.delete('p1');
    }
    const drained = await waitFor('westeurope drained', async () => {
      const d = await Promise.all(['a', 'b'].map((t) => digestAt('westeurope', 'contoso/paused', t)));
      return d.every((x) => x !== null);
    });
    expect(drained).toBeLessThan(1000); // lag already served while paused: both land on the next tick
    expect(repl.status().regions.westeurope?.paused).toBe(false);
    await waitFor('backlog empty', () => repl.status().regions.westeurope?.backlog.items === 0);
  });

  it('adds the replication-lag fault to replication into that region only', async () => {
    const EXTRA_S = 1;
    addFault('l1', 'replication-lag', 'westeurope', { lagS: EXTRA_S });
    try {
      expect(repl.status().regions.westeurope?.extraLagS).toBe(EXTRA_S);
      // Lower bounds from before the push, upper bounds from after it: the origin's event
      // fires while its manifest PUT is handled, somewhere in between.
      const sent = performance.now();
      await push('eastus', 'contoso/lagged', 'v1');
      const pushed = performance.now();
      let westus = 0;
      let weu = 0;
      await waitFor(
        'both replicas',
        async () => {
          if (!westus && (await digestAt('westus', 'contoso/lagged', 'v1'))) westus = performance.now();
          if (!weu && (await digestAt('westeurope', 'contoso/lagged', 'v1'))) weu = performance.now();
          return westus > 0 && weu > 0;
        },
        6000,
        25,
      );
      expect(westus - pushed).toBeLessThan((BASE_LAG_S + 0.3) * 1000);
      expect(weu - sent).toBeGreaterThan((BASE_LAG_S + EXTRA_S) * 1000 * 0.9);
      expect(weu - pushed).toBeLessThan((BASE_LAG_S + EXTRA_S) * 1000 * 1.1 + 100);
      const lag = repl.status().regions.westeurope?.lastLagS ?? 0;
      // Measured from the origin's event time (a little before the push returned); the
      // precise ±10% check of the lag model is in replication-timing.test.ts.
      expect(lag).toBeGreaterThanOrEqual(BASE_LAG_S + EXTRA_S);
      expect(lag).toBeLessThan(BASE_LAG_S + EXTRA_S + 0.5);
    } finally {
      state.faults.delete('l1');
    }
  });

  it('keeps replicating between the other regions while one region is down', async () => {
    addFault('d1', 'region-down', 'eastus');
    try {
      const img = await push('westus', 'contoso/outage', 'v1');
      await waitFor(
        'westeurope has it',
        async () => (await digestAt('westeurope', 'contoso/outage', 'v1')) === img.manifestDigest,
      );
    } finally {
      state.faults.delete('d1');
    }
  });
});
