import { describe, expect, it } from 'vitest';
import { defaults } from '../../lib/config/schema';
import { runColdPull } from '../../sim/experiments/cold-pull';
import { coldPullSchema } from '../../sim/experiments/params';
import { createRng, Env } from '../../sim/kernel';
import { backoffDelay, createStoragePool, startClients } from '../../sim/models';
import { FlowNetwork } from '../../sim/net';

const MiB = 2 ** 20;

function smallParams() {
  const p = defaults(coldPullSchema);
  p.workload.nodes = 1;
  p.workload.layerSizesMiB = [100, 300, 50];
  p.client.unpackSpread = 0;
  p.client.unpackBps = 10 * MiB;
  p.client.streamBps = 100 * MiB;
  p.client.nicBps = 1e12;
  p.client.startS = 4;
  p.storage.backends = 4;
  p.storage.copies = 2;
  p.storage.fanOutCost = false;
  return p;
}

describe('backoff', () => {
  it('doubles from the base, stops at the cap, and jitters within [d/2, d)', () => {
    const rng = createRng(1);
    for (let attempt = 0; attempt < 12; attempt++) {
      const d = Math.min(60, 2 * 2 ** attempt);
      const v = backoffDelay(attempt, 2, 60, rng);
      expect(v).toBeGreaterThanOrEqual(d / 2);
      expect(v).toBeLessThan(d);
    }
  });
});

describe('clients: sequential unpack critical path', () => {
  it('one uncontended node: closed-form pod startup', () => {
    const p = smallParams();
    const r = runColdPull(p, 1);
    // Downloads (3 streams at 100 MiB/s) all done by t=3 s; unpack is the critical path:
    // layer 0 arrives at 1 s, then 100+300+50 MiB at 10 MiB/s = 45 s, then start 4 s.
    expect(r.nodes.pullS[0]).toBeCloseTo(1 + 45, 9);
    expect(r.nodes.podStartupS[0]).toBeCloseTo(1 + 45 + 4, 9);
    // 450 MiB over the 3 s from first request to last byte.
    expect(r.nodes.egressBps[0]).toBeCloseTo((450 * MiB) / 3, 3);
    expect(r.metrics.throttleEvents).toBe(0);
  });

  it('limits a node to maxConcurrentDownloads streams sharing its NIC', () => {
    const p = smallParams();
    p.workload.layerSizesMiB = [100, 100, 100, 100];
    p.client.maxConcurrentDownloads = 2;
    p.client.nicBps = 100 * MiB; // two streams share 100 MiB/s -> 50 each
    p.client.unpackBps = 1e12;
    const r = runColdPull(p, 1);
    // Two waves of two 100 MiB layers at 50 MiB/s: last byte at 4 s.
    expect(r.nodes.pullS[0]).toBeCloseTo(4, 3);
  });
});

describe('storage pool', () => {
  it('places C copies of each layer on C distinct backends', () => {
    const env = new Env();
    const net = new FlowNetwork(env);
    const p = { ...defaults(coldPullSchema).storage, backends: 10, copies: 4 };
    const pool = createStoragePool(env, net, p, [1, 2, 3], MiB, createRng(1), createRng(2));
    for (let l = 0; l < 3; l++) {
      const bs = new Set(Array.from({ length: 4 }, (_, j) => pool.backendOf(l * 4 + j)));
      expect(bs.size).toBe(4);
    }
  });

  it('throttles with probability 1 - ceiling/demand once demand passes the ceiling', () => {
    const env = new Env();
    const net = new FlowNetwork(env);
    const p = { ...defaults(coldPullSchema).storage, backends: 1, copies: 1, ceilingBps: 10, burstFactor: 1 };
    const pool = createStoragePool(env, net, p, [1e9], 1, createRng(1), createRng(7));
    const nic = net.addLink(1e9);
    let admitted = 0;
    for (let i = 0; i < 4000; i++) if (pool.read(0, nic, 1e9, () => {})) admitted++;
    // The first 10 streams (demand <= ceiling) always pass; after that each is admitted
    // with p = 10/(demand+1), so admissions grow like sqrt(2*10*tries).
    expect(admitted).toBeGreaterThan(10);
    expect(pool.throttles).toBe(4000 - admitted);
    expect(admitted).toBeLessThan(4 * Math.sqrt(2 * 10 * 4000));
  });

  it('lets served egress exceed the ceiling up to the burst capacity', () => {
    const env = new Env();
    const net = new FlowNetwork(env);
    const p = {
      ...defaults(coldPullSchema).storage,
      backends: 1,
      copies: 1,
      ceilingBps: 10,
      burstFactor: 1.5,
    };
    const pool = createStoragePool(env, net, p, [100], 1, createRng(1), createRng(7));
    const nic = net.addLink(1e9);
    for (let i = 0; i < 200; i++) pool.read(0, nic, 100, () => {});
    env.run(1);
    expect(net.linkPeak(pool.links[0] as number)).toBeGreaterThan(10);
    expect(net.linkPeak(pool.links[0] as number)).toBeLessThanOrEqual(15 + 1e-9);
  });

  it('cold copies run at coldReadBps until warmBytes were served, then at streamBps', () => {
    const env = new Env();
    const net = new FlowNetwork(env);
    const p = {
      ...defaults(coldPullSchema).storage,
      backends: 1,
      copies: 1,
      ceilingBps: 1e9,
      fanOutCost: true,
      coldReadBps: 2,
      warmBytes: 10,
    };
    const pool = createStoragePool(env, net, p, [100], 20, createRng(1), createRng(7));
    const nic = net.addLink(1e9);
    let end = 0;
    pool.read(0, nic, 100, () => (end = env.now));
    env.run();
    // 10 bytes cold at 2 B/s (5 s), then 90 bytes at 20 B/s (4.5 s).
    expect(end).toBeCloseTo(9.5, 9);
  });

  it('uses the clients model with a shared storage pool (smoke)', () => {
    const env = new Env();
    const net = new FlowNetwork(env);
    const d = defaults(coldPullSchema);
    const pool = createStoragePool(
      env,
      net,
      { ...d.storage, backends: 8, copies: 2 },
      [MiB, 2 * MiB],
      d.client.streamBps,
      createRng(1),
      createRng(2),
    );
    const res = startClients(env, net, pool, d.client, 20, [MiB, 2 * MiB], createRng(3), createRng(4));
    env.run();
    expect(Array.from(res.podStartupS).every(Number.isFinite)).toBe(true);
  });
});
