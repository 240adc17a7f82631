/**
 * The grouped solver (sim/net/flow-network.ts) against the per-flow solver it replaced
 * (test/sim/flow-network-oracle.ts, a verbatim copy): the same random operations on both,
 * on random topologies, and every live flow's rate, remaining bytes and completion time
 * must agree within 1e-9 relative. Topologies mix links that can never saturate (their
 * flows' caps sum below capacity; the new solver ignores them until that stops holding)
 * with hot links carrying hundreds of flows, paths of 1..4 links, cap changes and cancels.
 */
import { describe, expect, it } from 'vitest';
import { createRng, Env, type Rng } from '../../sim/kernel';
import { FlowNetwork } from '../../sim/net';
import { OracleFlowNetwork } from './flow-network-oracle';

interface Pair {
  links: number[];
  size: number;
  cap: number;
  a: number;
  b: number;
  liveA: boolean;
  liveB: boolean;
  endA: number;
  endB: number;
}

const REL = 1e-9;
const close = (x: number, y: number, scale: number): boolean =>
  Math.abs(x - y) <= REL * Math.max(Math.abs(x), Math.abs(y), scale);

function scenario(
  seed: number,
  shape: 'star' | 'mesh',
): { pairs: Pair[]; checks: number; regrouped: number } {
  const rng: Rng = createRng(seed);
  const envA = new Env();
  const envB = new Env();
  const netA = new FlowNetwork(envA);
  const netB = new OracleFlowNetwork(envB);
  const linkCaps: number[] = [];
  const addLink = (cap: number): number => {
    linkCaps.push(cap);
    const a = netA.addLink(cap);
    const b = netB.addLink(cap);
    expect(a).toBe(b);
    return a;
  };
  // star: many NICs (mostly never saturating) and a few backends that get hot;
  // mesh: a dozen links, random paths of 1..4, saturated chains.
  const nics = shape === 'star' ? Array.from({ length: 60 }, () => addLink(rng.uniform(8, 40))) : [];
  const backs = shape === 'star' ? Array.from({ length: 4 }, () => addLink(rng.uniform(100, 400))) : [];
  const mesh = shape === 'mesh' ? Array.from({ length: 12 }, () => addLink(rng.uniform(5, 60))) : [];
  const caps = [2, 3.5, 7];
  const pairs: Pair[] = [];
  const start = (): void => {
    const links =
      shape === 'star'
        ? [rng.choice(nics), rng.choice(backs)]
        : rng.shuffle([...mesh]).slice(0, 1 + rng.int(4));
    const r = rng.next();
    const cap = r < 0.1 ? Number.POSITIVE_INFINITY : r < 0.7 ? rng.choice(caps) : rng.uniform(0.5, 9);
    const size = rng.uniform(5, 300);
    const p: Pair = { links, size, cap, a: -1, b: -1, liveA: true, liveB: true, endA: -1, endB: -1 };
    p.a = netA.startFlow(
      links,
      size,
      () => {
        p.liveA = false;
        p.endA = envA.now;
      },
      cap,
    );
    p.b = netB.startFlow(
      links,
      size,
      () => {
        p.liveB = false;
        p.endB = envB.now;
      },
      cap,
    );
    pairs.push(p);
  };
  let checks = 0;
  // Plain checks (an expect() per value would dominate the run time).
  const fail = (what: string): never => {
    throw new Error(`at t=${envA.now}: ${what}`);
  };
  const compare = (): void => {
    for (const p of pairs) {
      if (p.liveA !== p.liveB) fail(`flow over ${p.links} live ${p.liveA}, oracle ${p.liveB}`);
      if (!p.liveA) {
        if (p.endA >= 0 && !close(p.endA, p.endB, 1)) fail(`flow ended at ${p.endA}, oracle ${p.endB}`);
        continue;
      }
      const ra = netA.rate(p.a);
      const rb = netB.rate(p.b);
      if (!close(ra, rb, 0)) fail(`rate ${ra} vs oracle ${rb} (flow over ${p.links}, cap ${p.cap})`);
      const la = netA.remaining(p.a);
      const lb = netB.remaining(p.b);
      if (!close(la, lb, p.size)) fail(`bytes left ${la} vs oracle ${lb}`);
      checks++;
    }
    for (let l = 0; l < linkCaps.length; l++) {
      if (netA.linkFlowCount(l) !== netB.linkFlowCount(l)) fail(`link ${l} flow count`);
      const ua = netA.linkUsage(l);
      const ub = netB.linkUsage(l);
      if (!close(ua, ub, linkCaps[l] as number)) fail(`link ${l} usage ${ua} vs oracle ${ub}`);
    }
  };
  for (let i = 0; i < (shape === 'star' ? 150 : 50); i++) start();
  let t = 0;
  for (let step = 0; step < 40; step++) {
    t += rng.uniform(0.2, 1.5);
    envA.run(t);
    envB.run(t);
    compare();
    const live = () => pairs.filter((p) => p.liveA);
    for (let i = 0; i < (shape === 'star' ? 30 : 5); i++) start();
    for (let i = 0; i < 4; i++) {
      const ls = live();
      if (ls.length === 0) break;
      const p = rng.choice(ls);
      const r = rng.next();
      p.cap = r < 0.2 ? Number.POSITIVE_INFINITY : r < 0.6 ? rng.choice(caps) : rng.uniform(0.5, 9);
      netA.setCap(p.a, p.cap);
      netB.setCap(p.b, p.cap);
    }
    for (let i = 0; i < 3; i++) {
      const ls = live();
      if (ls.length === 0) break;
      const p = rng.choice(ls);
      const la = netA.cancelFlow(p.a);
      const lb = netB.cancelFlow(p.b);
      expect(close(la, lb, p.size)).toBe(true);
      p.liveA = false;
      p.liveB = false;
    }
    envA.run(t);
    envB.run(t);
    compare();
  }
  envA.run();
  envB.run();
  compare();
  expect(netA.activeFlows).toBe(0);
  expect(pairs.every((p) => !p.liveA && !p.liveB)).toBe(true);
  return { pairs, checks, regrouped: netA.stats.regrouped };
}

describe('grouped flow network against the per-flow solver it replaced', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`star topology (60 NICs, 4 hot backends), seed ${seed}: rates, bytes left and completion times within 1e-9`, () => {
      const { pairs, checks, regrouped } = scenario(seed, 'star');
      expect(pairs.length).toBeGreaterThan(1000);
      // Links did go from never-saturating to possibly-saturating under load.
      expect(regrouped).toBeGreaterThan(0);
      expect(checks).toBeGreaterThan(1000);
    });
    it(`mesh topology (12 links, paths of 1..4), seed ${seed}: the same`, () => {
      const { checks } = scenario(100 + seed, 'mesh');
      expect(checks).toBeGreaterThan(100);
    });
  }
});
