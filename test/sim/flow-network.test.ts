import { describe, expect, it } from 'vitest';
import { createRng, Env } from '../../sim/kernel';
import { FlowNetwork } from '../../sim/net';

function setup() {
  const env = new Env();
  return { env, net: new FlowNetwork(env) };
}

describe('flow network (max-min fair sharing)', () => {
  it('N equal flows on one link finish together at N*S/B', () => {
    const { env, net } = setup();
    const B = 100;
    const S = 50;
    const N = 8;
    const link = net.addLink(B);
    const done: number[] = [];
    for (let i = 0; i < N; i++) net.startFlow([link], S, () => done.push(env.now));
    env.run();
    expect(done).toHaveLength(N);
    for (const t of done) expect(t).toBeCloseTo((N * S) / B, 9);
    expect(net.linkPeak(link)).toBeCloseTo(B, 9);
  });

  it('a finishing flow frees bandwidth: staggered sizes give closed-form times', () => {
    const { env, net } = setup();
    // Sizes 3,6,9 on capacity 3: all run at 1 B/s until t=3 (first done), then 1.5 each:
    // the second's last 3 bytes take 2 s (t=5), the third's last 3 bytes run at 3 B/s (t=6).
    const link = net.addLink(3);
    const at: Record<number, number> = {};
    for (const s of [1, 2, 3]) net.startFlow([link], s * 3, () => (at[s] = env.now));
    env.run();
    expect(at[1]).toBeCloseTo(3, 9);
    expect(at[2]).toBeCloseTo(3 + 3 / 1.5, 9);
    expect(at[3]).toBeCloseTo(5 + 3 / 3, 9);
  });

  it('two links: the classic parking-lot allocation', () => {
    const { env, net } = setup();
    // Long flow crosses A (cap 10) and B (cap 4); short1 on A, short2 on B.
    // Max-min: B splits 2/2, so long=2, short2=2, short1 takes A's rest = 8.
    const a = net.addLink(10);
    const b = net.addLink(4);
    const long = net.startFlow([a, b], 1000, () => {});
    const s1 = net.startFlow([a], 1000, () => {});
    const s2 = net.startFlow([b], 1000, () => {});
    env.run(0);
    expect(net.rate(long)).toBeCloseTo(2, 9);
    expect(net.rate(s2)).toBeCloseTo(2, 9);
    expect(net.rate(s1)).toBeCloseTo(8, 9);
    expect(net.linkUsage(a)).toBeCloseTo(10, 9);
  });

  it('caps bind before the link and leave the rest to others', () => {
    const { env, net } = setup();
    const link = net.addLink(10);
    const capped = net.startFlow([link], 100, () => {}, 1);
    const free = net.startFlow([link], 100, () => {});
    env.run(0);
    expect(net.rate(capped)).toBeCloseTo(1, 9);
    expect(net.rate(free)).toBeCloseTo(9, 9);
    // Lifting the cap splits the link evenly from then on.
    net.setCap(capped, Number.POSITIVE_INFINITY);
    env.run(0);
    expect(net.rate(capped)).toBeCloseTo(5, 9);
  });

  it('a cap change mid-flight gives the closed-form finish time', () => {
    const { env, net } = setup();
    const link = net.addLink(10);
    let end = 0;
    const f = net.startFlow([link], 30, () => (end = env.now), 2);
    env.schedule(5, () => net.setCap(f, 10));
    env.run();
    // 10 bytes in 5 s at 2 B/s, then 20 bytes at 10 B/s.
    expect(end).toBeCloseTo(7, 9);
  });

  it('a cancelled flow returns its undelivered bytes, never completes, and frees its share', () => {
    const { env, net } = setup();
    const link = net.addLink(10);
    let aDone = false;
    let bEnd = 0;
    const a = net.startFlow([link], 100, () => (aDone = true));
    net.startFlow([link], 100, () => (bEnd = env.now));
    let left = -1;
    env.schedule(4, () => (left = net.cancelFlow(a)));
    env.run();
    // 5 B/s each for 4 s: 20 delivered, 80 left; then B alone at 10 B/s for its last 80.
    expect(left).toBeCloseTo(80, 9);
    expect(aDone).toBe(false);
    expect(bEnd).toBeCloseTo(4 + 80 / 10, 9);
    expect(() => net.cancelFlow(a)).toThrow(/not active/);
  });

  it('a flow joining an unsaturated edge link that it fills pulls outside flows in', () => {
    const { env, net } = setup();
    // nic1 (cap 6) carries f1 to backend (cap 10); f2 arrives on nic2 (cap 100) -> backend
    // saturates, shares 5/5 (f1 is below its nic cap of 6).
    const nic1 = net.addLink(6);
    const nic2 = net.addLink(100);
    const backend = net.addLink(10);
    const f1 = net.startFlow([nic1, backend], 1e6, () => {});
    env.run(0);
    expect(net.rate(f1)).toBeCloseTo(6, 9);
    const f2 = net.startFlow([nic2, backend], 1e6, () => {});
    env.run(0);
    expect(net.rate(f1)).toBeCloseTo(5, 9);
    expect(net.rate(f2)).toBeCloseTo(5, 9);
  });

  it("a group's remaining bytes equal the sum over its flows, through churn, cap changes and regrouping", () => {
    const { env, net } = setup();
    const rng = createRng(23);
    // Links that start safe (capped flows below capacity) and turn unsafe as flows pile in,
    // so members move between classes while their group sums must follow.
    const links = Array.from({ length: 5 }, () => net.addLink(rng.uniform(20, 80)));
    const groupOf = new Map<number, number>();
    const start = () => {
      const g = rng.int(4);
      const path = rng.shuffle([...links]).slice(0, 1 + rng.int(2));
      const f = net.startFlow(path, rng.uniform(5, 200), (id) => groupOf.delete(id), rng.uniform(1, 15), g);
      groupOf.set(f, g);
    };
    const check = () => {
      for (let g = 0; g < 4; g++) {
        let want = 0;
        let n = 0;
        for (const [f, fg] of groupOf)
          if (fg === g) {
            want += net.remaining(f);
            n++;
          }
        expect(net.groupFlows(g), `group ${g} at ${env.now}`).toBe(n);
        expect(Math.abs(net.groupRemaining(g) - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, want));
      }
    };
    for (let step = 0; step < 300; step++) {
      const r = rng.next();
      const live = [...groupOf.keys()];
      if (r < 0.5 || live.length === 0) start();
      else if (r < 0.7)
        net.setCap(rng.choice(live), rng.next() < 0.2 ? Number.POSITIVE_INFINITY : rng.uniform(1, 15));
      else if (r < 0.8) {
        const f = rng.choice(live);
        net.cancelFlow(f);
        groupOf.delete(f);
      }
      env.run(env.now + rng.uniform(0, 2));
      check();
    }
    env.run();
    expect(groupOf.size).toBe(0);
    for (let g = 0; g < 4; g++) expect(net.groupRemaining(g)).toBe(0);
  });

  it('matches a from-scratch max-min solve after random churn', () => {
    const { env, net } = setup();
    const rng = createRng(11);
    const nics = Array.from({ length: 30 }, () => net.addLink(rng.uniform(5, 20)));
    const backs = Array.from({ length: 5 }, () => net.addLink(rng.uniform(20, 60)));
    const flows: TrackedFlow[] = [];
    const start = () => {
      const links = [rng.choice(nics), rng.choice(backs)];
      const cap = rng.next() < 0.3 ? rng.uniform(1, 8) : Number.POSITIVE_INFINITY;
      flows.push(startTracked(net, links, rng.uniform(10, 200), cap));
    };
    for (let i = 0; i < 80; i++) start();
    for (let t = 1; t <= 12; t++) {
      env.run(t);
      for (let i = 0; i < 5; i++) start();
      env.run(t);
      expectOracleRates(
        net,
        flows.filter((f) => f.live),
      );
    }
  });

  it('matches a from-scratch solve with paths of 1..4 links, cap changes and saturated chains', () => {
    const { env, net } = setup();
    const rng = createRng(23);
    const links = Array.from({ length: 12 }, () => net.addLink(rng.uniform(5, 40)));
    const flows: TrackedFlow[] = [];
    const start = () => {
      const path = rng.shuffle([...links]).slice(0, 1 + rng.int(4));
      const cap = rng.next() < 0.4 ? rng.uniform(0.5, 6) : Number.POSITIVE_INFINITY;
      flows.push(startTracked(net, path, rng.uniform(5, 120), cap));
    };
    for (let i = 0; i < 60; i++) start();
    for (let t = 1; t <= 15; t++) {
      env.run(t);
      for (let i = 0; i < 4; i++) start();
      let live = flows.filter((f) => f.live);
      for (let i = 0; i < 3 && live.length > 0; i++) {
        const f = rng.choice(live);
        f.cap = rng.next() < 0.5 ? rng.uniform(0.5, 6) : Number.POSITIVE_INFINITY;
        net.setCap(f.id, f.cap);
      }
      // Cancelled downloads leave mid-flight; their ids are recycled by later starts.
      for (let i = 0; i < 2 && live.length > 0; i++) {
        const f = rng.choice(live);
        net.cancelFlow(f.id);
        f.live = false;
        live = live.filter((g) => g !== f);
      }
      env.run(t);
      expectOracleRates(net, live);
      for (const l of links) {
        const onLink = live.filter((f) => f.links.includes(l));
        expect(net.linkFlowCount(l)).toBe(onLink.length);
        expect(net.linkUsage(l)).toBeCloseTo(
          onLink.reduce((s, f) => s + net.rate(f.id), 0),
          6,
        );
      }
    }
    env.run();
    expect(flows.every((f) => !f.live)).toBe(true);
    expect(net.activeFlows).toBe(0);
  });
});

/** A flow started for an oracle check: its path and cap, and whether it is still in flight. */
interface TrackedFlow {
  id: number;
  links: number[];
  cap: number;
  live: boolean;
}

function startTracked(net: FlowNetwork, links: number[], size: number, cap: number): TrackedFlow {
  const rec: TrackedFlow = { id: -1, links, cap, live: true };
  rec.id = net.startFlow(links, size, () => (rec.live = false), cap);
  return rec;
}

/** Every live flow runs at the rate a from-scratch max-min solve gives it. */
function expectOracleRates(net: FlowNetwork, live: TrackedFlow[]): void {
  const expected = maxMin(live, (l) => net.linkCapacity(l));
  live.forEach((f, i) => {
    expect(net.rate(f.id)).toBeCloseTo(expected[i] as number, 6);
  });
}

/** Textbook progressive filling, O(n^2): the oracle for the incremental solver. */
function maxMin(flows: Array<{ links: number[]; cap: number }>, capOf: (l: number) => number): number[] {
  const rate = flows.map(() => 0);
  const frozen = flows.map(() => false);
  const rem = new Map<number, number>();
  for (const f of flows) for (const l of f.links) rem.set(l, capOf(l));
  for (;;) {
    const active = flows.map((_, i) => i).filter((i) => !frozen[i]);
    if (active.length === 0) return rate;
    let inc = Number.POSITIVE_INFINITY;
    for (const [l, r] of rem) {
      const n = active.filter((i) => flows[i]?.links.includes(l)).length;
      if (n > 0) inc = Math.min(inc, r / n);
    }
    for (const i of active) inc = Math.min(inc, (flows[i]?.cap ?? 0) - (rate[i] ?? 0));
    for (const i of active) {
      rate[i] = (rate[i] ?? 0) + inc;
      for (const l of flows[i]?.links ?? []) rem.set(l, (rem.get(l) ?? 0) - inc);
    }
    for (const i of active) {
      const f = flows[i];
      if (!f) continue;
      if ((rate[i] ?? 0) >= f.cap - 1e-9 || f.links.some((l) => (rem.get(l) ?? 0) <= 1e-9)) frozen[i] = true;
    }
  }
}
