/**
 * The published table (Johnson Shi, Richard Yuan et al., "How ACR Runs Multi-Tenancy at
 * Scale: Compute Stamp Rebalancing and Why You Never See It Happen", Azure Container
 * Registry team blog; shared/seeds/acr-compute-stamp-rebalancing.txt): the cumulative
 * change on the two shared stamps after the customer's 40 registries left them.
 * Hot-node P95 changes are relative (%), Max changes are percentage points; Stamp A
 * dataproxy also has its absolute values (P95 43 -> 28.5, Max 96 -> 64).
 */
export const PUBLISHED_SOURCE =
  'Johnson Shi, Richard Yuan et al., "How ACR Runs Multi-Tenancy at Scale: Compute Stamp Rebalancing and Why You Never See It Happen", Azure Container Registry team blog (shared/seeds/acr-compute-stamp-rebalancing.txt), table of the customer\'s move';

export interface PublishedRow {
  stamp: string;
  pool: 'registry' | 'dataproxy';
  /** Relative change of hot-node P95, in percent. */
  hotNodeP95ChangePct: number;
  /** Change of single-sample Max, in percentage points of CPU. */
  maxChangePts: number;
  /** Absolute values where the post gives them. */
  before?: { hotNodeP95: number; max: number };
  after?: { hotNodeP95: number; max: number };
}

export const PUBLISHED: readonly PublishedRow[] = [
  { stamp: 'A', pool: 'registry', hotNodeP95ChangePct: -7, maxChangePts: 0 },
  {
    stamp: 'A',
    pool: 'dataproxy',
    hotNodeP95ChangePct: -34,
    maxChangePts: -32,
    before: { hotNodeP95: 43, max: 96 },
    after: { hotNodeP95: 28.5, max: 64 },
  },
  { stamp: 'B', pool: 'registry', hotNodeP95ChangePct: -33, maxChangePts: -3 },
  { stamp: 'B', pool: 'dataproxy', hotNodeP95ChangePct: -44, maxChangePts: -5 },
];

/** Tolerances of the targets: hot-node P95 change within 3 points of the published relative change, Max within 4 points. */
export const TOLERANCE = { hotNodeP95ChangePts: 3, maxPts: 4 } as const;

export interface Residual {
  stamp: string;
  pool: string;
  hotNodeP95ChangePct: number;
  publishedHotNodeP95ChangePct: number;
  maxChangePts: number;
  publishedMaxChangePts: number;
  /** Simulated minus published; in tolerance when |p95| <= 3 and |max| <= 4. */
  p95Residual: number;
  maxResidual: number;
  ok: boolean;
}

export function residuals(
  signals: ReadonlyArray<{
    stamp: string;
    pool: string;
    before: { hotNodeP95: number; max: number };
    after: { hotNodeP95: number; max: number };
  }>,
): Residual[] {
  return PUBLISHED.map((row) => {
    const s = signals.find((x) => x.stamp === row.stamp && x.pool === row.pool);
    const change = s ? (100 * (s.after.hotNodeP95 - s.before.hotNodeP95)) / s.before.hotNodeP95 : Number.NaN;
    const maxChange = s ? s.after.max - s.before.max : Number.NaN;
    // Where the post gives absolute Max values, the residual is on them (96 -> 64, each within 4 points).
    const maxResidual =
      s && row.before && row.after
        ? Math.max(Math.abs(s.before.max - row.before.max), Math.abs(s.after.max - row.after.max)) *
          Math.sign(s.after.max - row.after.max || 1)
        : maxChange - row.maxChangePts;
    const p95Residual = change - row.hotNodeP95ChangePct;
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      stamp: row.stamp,
      pool: row.pool,
      hotNodeP95ChangePct: round(change),
      publishedHotNodeP95ChangePct: row.hotNodeP95ChangePct,
      maxChangePts: round(maxChange),
      publishedMaxChangePts: row.maxChangePts,
      p95Residual: round(p95Residual),
      maxResidual: round(maxResidual),
      ok: Math.abs(p95Residual) <= TOLERANCE.hotNodeP95ChangePts && Math.abs(maxResidual) <= TOLERANCE.maxPts,
    };
  });
}
