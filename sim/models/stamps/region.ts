/**
 * The region's tenants: the large customer's registries (a few carry almost all of its
 * traffic) and a long tail of other tenants' registries homed on the shared stamps. Each
 * registry gets its peak demand on the registry pool (API calls) and on the dataproxy pool
 * (bytes streamed), in cores.
 */
import type { StampsParams } from './params';

export interface RegistrySpec {
  name: string;
  tenant: string;
  /** Index into the stamp list of the home stamp at the start. */
  home: number;
  /** Share of its tenant's traffic, 0..1. */
  share: number;
  /** Peak demand on [registry pool, dataproxy pool], in cores. */
  peak: [number, number];
}

/** Zipf weights 1/i^s for i = 1..n, summing to 1. */
export function zipf(n: number, s: number): number[] {
  const w = Array.from({ length: n }, (_, i) => (i + 1) ** -s);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

export const splitHomes = (text: string): string[] => (text === '' ? [] : text.split(','));

export function customerNames(p: StampsParams): string[] {
  const width = Math.max(2, String(p.customer.registries).length);
  return Array.from(
    { length: p.customer.registries },
    (_, i) => `${p.customer.name}-${String(i + 1).padStart(width, '0')}`,
  );
}

export function buildRegistries(p: StampsParams): RegistrySpec[] {
  const stamps = p.region.stamps;
  const index = (s: string) => stamps.indexOf(s);
  const out: RegistrySpec[] = [];
  const c = p.customer;
  const top = Math.min(c.topCount, c.registries);
  const tail = c.registries - top;
  // With no tail the top registries carry everything, whatever topSharePct says.
  const topShare = tail === 0 ? 1 : top === 0 ? 0 : c.topSharePct / 100;
  const topW = zipf(top, c.topSkew);
  const tailW = zipf(tail, c.tailSkew);
  const names = customerNames(p);
  const topHomes = splitHomes(c.topHomes);
  for (let i = 0; i < c.registries; i++) {
    const isTop = i < top;
    const share = isTop ? topShare * (topW[i] as number) : (1 - topShare) * (tailW[i - top] as number);
    const home = isTop ? (topHomes[i] as string) : (c.tailHomes[(i - top) % c.tailHomes.length] as string);
    out.push({
      name: names[i] as string,
      tenant: c.name,
      home: index(home),
      share,
      peak: [share * c.registryCores, share * c.dataproxyCores],
    });
  }
  // Other tenants: dealt to the stamps in turn, Zipf by rank within each stamp, scaled so
  // each stamp's total is the configured per-stamp demand.
  const t = p.tenants;
  const perStamp = stamps.map(
    (_, s) => Math.floor(t.registries / stamps.length) + (s < t.registries % stamps.length ? 1 : 0),
  );
  const weights = perStamp.map((n) => zipf(n, t.skew));
  const rank = stamps.map(() => 0);
  const width = Math.max(4, String(t.registries).length);
  for (let i = 0; i < t.registries; i++) {
    const s = i % stamps.length;
    const w = (weights[s] as number[])[rank[s] as number] as number;
    rank[s] = (rank[s] as number) + 1;
    const name = `t${String(i + 1).padStart(width, '0')}`;
    out.push({
      name,
      tenant: name,
      home: s,
      share: 1,
      peak: [w * (t.registryCores[s] as number), w * (t.dataproxyCores[s] as number)],
    });
  }
  return out;
}
