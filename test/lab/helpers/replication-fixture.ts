/**
 * Real docker-registry processes (one per region, notifying the replicator) and a
 * replicator, on the replication tests' octet. Each test file passes its own registry
 * subnet and notification address so several files can run side by side.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveLabConfig } from '../../../lib/lab/config';
import { type RegistryProcess, startRegistry } from '../../../lib/lab/registry-process';
import { type ReplicatorHandle, startReplicator } from '../../../lib/lab/replication';
import { createState, type LabState } from '../../../lib/lab/state';
import { topology } from '../../../lib/lab/topology';
import { MANIFEST_ACCEPT } from '../../../lib/oci/media-types';

export interface ReplicationFixture {
  state: LabState;
  repl: ReplicatorHandle;
  regs: Record<string, RegistryProcess>;
  /** The manifest digest a region's registry serves for repo:ref, null on 404; throws on anything else. */
  digestAt(region: string, repo: string, ref: string): Promise<string | null>;
  stop(): Promise<void>;
}

export async function startReplicationFixture(o: {
  /** Config tree (lab name, regions, replication settings). */
  tree: Record<string, unknown>;
  /** Third address byte of the first region's registry: 127.4.<subnet + i>.2. */
  subnet?: number;
  /** Where the registries notify the replicator, e.g. 127.4.9.3. */
  notifyIp?: string;
  webhookUrl?: string;
}): Promise<ReplicationFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'stampede-repl-'));
  const cfg = resolveLabConfig([{ source: 'test', tree: o.tree }]);
  const base = topology(cfg, { netns: false, octet: 4 });
  const topo = {
    ...base,
    regions: base.regions.map((r, i) => ({
      ...r,
      ...(o.subnet !== undefined ? { registryIp: `127.4.${o.subnet + i}.2` } : {}),
      ...(o.notifyIp ? { notifyUrl: `http://${o.notifyIp}:9000/notifications/${r.name}` } : {}),
    })),
  };
  const state = createState(cfg, topo);
  const regs: Record<string, RegistryProcess> = {};
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
  const repl = await startReplicator(state, {
    registries: Object.fromEntries(Object.entries(regs).map(([k, v]) => [k, { url: v.url, root: v.root }])),
    ...(o.webhookUrl ? { webhookUrl: o.webhookUrl } : {}),
  });
  return {
    state,
    repl,
    regs,
    async digestAt(region, repo, ref) {
      // null only for a real 404: a failed or 5xx answer must not read as "deleted" (a wait
      // for a delete would pass at once) nor as "there"; it is asked again, then thrown.
      let last = '';
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          const res = await fetch(`${regs[region]?.url}/v2/${repo}/manifests/${ref}`, {
            method: 'HEAD',
            headers: { accept: MANIFEST_ACCEPT },
          });
          await res.arrayBuffer();
          if (res.status === 404) return null;
          if (res.status === 200) return res.headers.get('docker-content-digest');
          last = `HTTP ${res.status}`;
        } catch (e) {
          last = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`HEAD ${repo}:${ref} in ${region}: ${last} (5 tries)`);
    },
    async stop() {
      await repl.stop();
      await Promise.all(Object.values(regs).map((r) => r.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
