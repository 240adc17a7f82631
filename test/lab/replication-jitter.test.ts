/**
 * Jitter and the outbound pause, with their own replicator config: lags spread uniformly
 * over [base, base + jitter]; a replication-pause with direction "out" holds what a region
 * pushed while replication into it continues. Own addresses: 127.4.5x.2, notify 127.4.9.4.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLabConfig } from '../../lib/lab/config';
import { type RegistryProcess, startRegistry } from '../../lib/lab/registry-process';
import { type ReplicatorHandle, startReplicator } from '../../lib/lab/replication';
import { createState, type LabState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';
import { randomLayer } from '../../lib/oci/digest';
import { MANIFEST_ACCEPT } from '../../lib/oci/media-types';
import { pushImage } from '../../lib/oci/push';

const BASE_LAG_S = 0.2;
const JITTER_S = 1;

let dir: string;
let state: LabState;
let repl: ReplicatorHandle;
const regs: Record<string, RegistryProcess> = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function present(region: string, repo: string, tag: string): Promise<boolean> {
  const res = await fetch(`${regs[region]?.url}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: MANIFEST_ACCEPT },
  });
  await res.arrayBuffer();
  return res.status === 200;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stampede-repl-jitter-'));
  const cfg = resolveLabConfig([
    {
      source: 'test',
      tree: {
        lab: { name: 'repljitter' },
        regions: { names: ['eastus', 'westus'], clientRegion: 'eastus' },
        replication: { baseLagS: BASE_LAG_S, bandwidthBps: 0, jitterS: JITTER_S, concurrency: 4 },
      },
    },
  ]);
  const base = topology(cfg, { netns: false, octet: 4 });
  const topo = {
    ...base,
    regions: base.regions.map((r, i) => ({
      ...r,
      registryIp: `127.4.${50 + i}.2`,
      notifyUrl: `http://127.4.9.4:9000/notifications/${r.name}`,
    })),
  };
  state = createState(cfg, topo);
  await Promise.all(
    topo.regions.map(async (r) => {
      regs[r.name] = await startRegistry({
        name: r.name,
        ip: r.registryIp,
        port: r.registryPort,
        dir: join(dir, r.name),
        notifyUrl: r.notifyUrl,
      });
    }),
  );
  repl = await startReplicator(state, {
    registries: Object.fromEntries(Object.entries(regs).map(([k, v]) => [k, { url: v.url, root: v.root }])),
  });
});

afterAll(async () => {
  await repl?.stop();
  await Promise.all(Object.values(regs).map((r) => r.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('replication jitter and outbound pause', () => {
  it('spreads lags over [base, base + jitter]', async () => {
    const N = 10;
    for (let i = 0; i < N; i++)
      await pushImage(regs.eastus?.url as string, `contoso/j${i}`, 'v1', [randomLayer(1024)]);
    for (let i = 0; i < 60 && (repl.status().regions.westus?.lagS.count ?? 0) < N; i++) await sleep(50);
    const lags = (repl.status().regions.westus?.events ?? []).flatMap((e) =>
      e.lagS === undefined ? [] : [e.lagS],
    );
    const ev = (repl.status().regions.westus?.events ?? []).filter((e) => e.lagS !== undefined);
    console.log(
      `lags with jitter ${JITTER_S} s (copy part): ${ev.map((e) => `${e.lagS?.toFixed(2)} (${e.copyS?.toFixed(2)})`).join(' ')}`,
    );
    expect(lags).toHaveLength(N);
    for (const l of lags) {
      expect(l).toBeGreaterThanOrEqual(BASE_LAG_S);
      expect(l).toBeLessThan(BASE_LAG_S + JITTER_S + 0.3);
    }
    // Ten uniform draws over 1 s: a spread under 0.3 s has probability ~1e-4.
    expect(Math.max(...lags) - Math.min(...lags)).toBeGreaterThan(0.3);
  });

  it('pause "out" holds what the region pushed; replication into it continues', async () => {
    state.faults.set('po', {
      id: 'po',
      kind: 'replication-pause',
      region: 'eastus',
      params: { direction: 'out' },
      since: Date.now(),
    });
    try {
      await pushImage(regs.eastus?.url as string, 'contoso/out', 'v1', [randomLayer(1024)]);
      await pushImage(regs.westus?.url as string, 'contoso/in', 'v1', [randomLayer(1024)]);
      const end = performance.now() + 5000;
      while (performance.now() < end && !(await present('eastus', 'contoso/in', 'v1'))) await sleep(50);
      expect(await present('eastus', 'contoso/in', 'v1')).toBe(true);
      await sleep((BASE_LAG_S + JITTER_S) * 1000 + 200);
      expect(await present('westus', 'contoso/out', 'v1')).toBe(false);
      expect(repl.status().regions.westus?.backlog.queued).toBe(1);
      expect(repl.status().regions.eastus?.paused).toBe(false); // into eastus is not paused
    } finally {
      state.faults.delete('po');
    }
    const end = performance.now() + 3000;
    while (performance.now() < end && !(await present('westus', 'contoso/out', 'v1'))) await sleep(50);
    expect(await present('westus', 'contoso/out', 'v1')).toBe(true);
  });
});
