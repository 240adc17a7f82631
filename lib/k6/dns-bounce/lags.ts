/**
 * Replication lag of a dns-bounce run's own pushes, per target region, from the lab's
 * per-replica events (lib/lab/replication: one record per push landing in another region,
 * `lagS` from the home registry's event to the landing, the same records push-pull-race
 * reads). The lab keeps only the newest events of each region, and this run pushes hundreds
 * of images, so while k6 runs the run process reads them every pollMs and keeps every one of
 * this run's (duringRun), writing them to the run directory; summarize folds that file (and
 * the status read after the run) into metrics.replicationLagS and the per-region CDF the
 * replication lag chart draws. A registry URL target has no such events: no lag there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplicationEventRecord } from '../../lab/replication/status';
import type { Quantiles } from '../../results/envelope';
import { quantiles } from '../../results/stats';
import { regionCdf } from '../push-pull-race/collect';

export const LAG_FILE = 'replication-lags.json';

/** One landing of one of the run's pushes in a region other than the one it was pushed to. */
export interface BounceLag {
  id: string;
  region: string;
  origin: string;
  tag: string;
  lagS: number;
}

/** The k6 script's tags: `<mitigation>-<vu>-<iteration>-<attempt>` (scenarios/dns-bounce.ts). */
const RUN_TAG = /^(none|regional|dns-pin|retry-push)-\d+-\d+-\d+$/;

/** A replica landing of a push this run made: its repository, its tag shape, after it started. */
export function runLags(
  events: readonly ReplicationEventRecord[],
  repository: string,
  sinceMs: number,
): BounceLag[] {
  return events
    .filter(
      (e) =>
        e.kind === 'replica' &&
        e.action === 'push' &&
        typeof e.lagS === 'number' &&
        RUN_TAG.test(e.tag ?? '') &&
        (e.repository === repository || e.repository.endsWith(`/${repository}`)) &&
        Date.parse(e.at) >= sinceMs,
    )
    .map((e) => ({
      id: e.id,
      region: e.region,
      origin: e.origin,
      tag: e.tag as string,
      lagS: e.lagS as number,
    }));
}

export interface LagPoll {
  /** The lab's events now (every region's) and its replication backlog (items waiting or copying). */
  read(): Promise<{ events: ReplicationEventRecord[]; backlog: number }>;
  repository: string;
  sinceMs: number;
  /** Aborted when k6 has exited: then reads go on only until the backlog drains. */
  signal: AbortSignal;
  pollMs: number;
  /** Bound on reads while k6 runs (the run's time cap / pollMs). */
  maxPolls: number;
  /** Bound on reads after k6 exits, waiting for the backlog to drain (0: one last read). */
  drainPolls: number;
  sleep(ms: number): Promise<void>;
}

/**
 * Reads the lab's events every pollMs until k6 exits, then until the replication backlog is
 * empty (at most drainPolls more), keeping the run's landings by id. Bounded in reads both ways.
 */
export async function pollLags(o: LagPoll): Promise<BounceLag[]> {
  const kept = new Map<string, BounceLag>();
  const take = async (): Promise<number> => {
    try {
      const r = await o.read();
      for (const l of runLags(r.events, o.repository, o.sinceMs)) kept.set(l.id, l);
      return r.backlog;
    } catch {
      // the lab did not answer this time: the next read (or the status after the run) covers it
      return Number.POSITIVE_INFINITY;
    }
  };
  for (let i = 0; i < o.maxPolls && !o.signal.aborted; i++) {
    await take();
    await o.sleep(o.pollMs);
  }
  for (let i = 0; (await take()) > 0 && i < o.drainPolls; i++) await o.sleep(o.pollMs);
  return [...kept.values()];
}

export interface LagFile {
  /** When the run started reading (ms epoch): landings before it are another run's. */
  sinceMs: number;
  lags: BounceLag[];
}

export function writeLags(outDir: string, file: LagFile): void {
  writeFileSync(join(outDir, LAG_FILE), `${JSON.stringify(file)}\n`);
}

/** What pollLags kept; null when there is none (a URL target, an older run). */
export function readLags(outDir: string): LagFile | null {
  try {
    return JSON.parse(readFileSync(join(outDir, LAG_FILE), 'utf8')) as LagFile;
  } catch {
    return null;
  }
}

export interface BounceLagMetrics {
  /** Over every landing, and per target region. */
  replicationLagS: Quantiles & {
    n: number;
    /** ok pushes x (regions - 1): landings the run should have produced (a shortfall = events not seen). */
    expected: number;
    byRegion: Record<string, Quantiles & { n: number }>;
  };
  /** Per-region empirical CDF rows (the replication lag chart's). */
  lagCdf: Array<{ region: string; value: number; fraction: number }>;
}

export function lagMetrics(lags: readonly BounceLag[], expected: number): BounceLagMetrics | null {
  const unique = [...new Map(lags.map((l) => [l.id, l])).values()];
  if (unique.length === 0) return null;
  const regions = [...new Set(unique.map((l) => l.region))].sort();
  const byRegion = Object.fromEntries(
    regions.map((r) => {
      const v = unique.filter((l) => l.region === r).map((l) => l.lagS);
      return [r, { ...quantiles(v), n: v.length }];
    }),
  );
  return {
    replicationLagS: { ...quantiles(unique.map((l) => l.lagS)), n: unique.length, expected, byRegion },
    lagCdf: regionCdf(unique.map((l) => ({ region: l.region, v: l.lagS }))),
  };
}
