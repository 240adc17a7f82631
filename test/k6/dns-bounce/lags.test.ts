/**
 * dns-bounce's replication lag: which lab events are this run's landings, the bounded poll
 * that keeps them while k6 runs (the lab holds only its newest events), and the metrics and
 * per-region CDF rows the lag chart reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lagMetrics, pollLags, readLags, runLags, writeLags } from '../../../lib/k6/dns-bounce/lags';
import type { ReplicationEventRecord } from '../../../lib/lab/replication/status';
import { lagCdfChartRows } from '../../../reports/charts/replication-lag-cdf';
import type { ReportRun } from '../../../reports/types';

const T0 = Date.parse('2026-01-01T00:00:00Z');
let n = 0;
const ev = (o: Partial<ReplicationEventRecord>): ReplicationEventRecord => ({
  id: `e${++n}`,
  at: new Date(T0 + 1000).toISOString(),
  region: 'westus',
  origin: 'eastus',
  kind: 'replica',
  action: 'push',
  repository: 'reg1/bounce',
  digest: 'sha256:aa',
  tag: 'none-1-0-1',
  host: 'reg1.westus.example',
  lagS: 1.2,
  webhook: 'none',
  ...o,
});

describe('runLags', () => {
  it("keeps replica landings of this run's pushes: its repository, its tags, after it started", () => {
    const keep = ev({});
    const other = [
      ev({ kind: 'local', lagS: undefined }),
      ev({ action: 'delete' }),
      ev({ repository: 'reg1/other' }),
      ev({ tag: 'app-v1' }),
      ev({ at: new Date(T0 - 1).toISOString() }),
    ];
    expect(runLags([keep, ...other], 'bounce', T0)).toEqual([
      { id: keep.id, region: 'westus', origin: 'eastus', tag: 'none-1-0-1', lagS: 1.2 },
    ]);
  });
});

describe('pollLags', () => {
  const base = { repository: 'bounce', sinceMs: T0, pollMs: 1000 };

  it('reads until k6 exits and keeps every landing once, though the lab forgets old ones', async () => {
    const ac = new AbortController();
    const a = ev({ lagS: 1 });
    const b = ev({ lagS: 2, region: 'eastus', origin: 'westus', tag: 'dns-pin-2-3-1' });
    const c = ev({ lagS: 3 });
    // the lab's ring: a, then a+b, then b+c (a dropped), after the abort c alone
    const answers = [[a], [a, b], [b, c]];
    let reads = 0;
    const lags = await pollLags({
      ...base,
      read: async () => {
        const events = answers[reads] ?? [c];
        reads++;
        if (reads === 2) throw new Error('lab busy'); // a failed read costs only itself
        return { events, backlog: 0 };
      },
      signal: ac.signal,
      maxPolls: 100,
      drainPolls: 10,
      sleep: async () => {
        if (reads >= 3) ac.abort();
      },
    });
    // three while k6 ran, one after: the backlog was already empty
    expect(reads).toBe(4);
    expect(lags.map((l) => l.lagS).sort()).toEqual([1, 2, 3]);
  });

  it('after k6 exits, reads on until the backlog drains, so the last pushes land too', async () => {
    const ac = new AbortController();
    ac.abort();
    const late = ev({ lagS: 40 });
    const backlogs = [3, 2, 0];
    let reads = 0;
    const lags = await pollLags({
      ...base,
      read: async () => {
        const backlog = backlogs[reads] ?? 0;
        reads++;
        return { events: backlog === 0 ? [late] : [], backlog };
      },
      signal: ac.signal,
      maxPolls: 100,
      drainPolls: 10,
      sleep: async () => {},
    });
    expect(reads).toBe(3);
    expect(lags.map((l) => l.lagS)).toEqual([40]);
  });

  it('is bounded in reads if k6 never exits and the backlog never drains', async () => {
    let reads = 0;
    await pollLags({
      ...base,
      read: async () => {
        reads++;
        return { events: [], backlog: 5 };
      },
      signal: new AbortController().signal,
      maxPolls: 5,
      drainPolls: 3,
      sleep: async () => {},
    });
    expect(reads).toBe(5 + 1 + 3);
  });
});

describe('lagMetrics', () => {
  const lags = [
    ...[1, 2, 3, 4].map((v, i) => ({ id: `w${i}`, region: 'westus', origin: 'eastus', tag: 't', lagS: v })),
    ...[10, 20].map((v, i) => ({ id: `e${i}`, region: 'eastus', origin: 'westus', tag: 't', lagS: v })),
  ];

  it('quantiles over all landings and per region, the expected count, per-region CDF rows', () => {
    const m = lagMetrics([...lags, lags[0] as (typeof lags)[number]], 8);
    expect(m?.replicationLagS).toMatchObject({ n: 6, expected: 8, max: 20 });
    expect(m?.replicationLagS.byRegion.westus).toMatchObject({ n: 4, max: 4 });
    expect(m?.replicationLagS.byRegion.eastus).toMatchObject({ n: 2, max: 20 });
    expect(new Set(m?.lagCdf.map((r) => r.region))).toEqual(new Set(['westus', 'eastus']));
    expect(m?.lagCdf.filter((r) => r.region === 'westus').at(-1)).toMatchObject({ value: 4, fraction: 1 });
    expect(lagMetrics([], 8)).toBeNull();
  });

  it("is what push-pull-race's lag chart draws for a dns-bounce run", () => {
    const m = lagMetrics(lags, 6);
    const run = {
      envelope: { kind: 'k6', metrics: { ...m } },
      raw: [],
      label: 'dns-bounce',
    } as unknown as ReportRun;
    expect(lagCdfChartRows(run).length).toBeGreaterThanOrEqual(6);
  });

  it('round-trips through the run directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bounce-lags-'));
    try {
      expect(readLags(dir)).toBeNull();
      writeLags(dir, { sinceMs: T0, lags });
      expect(readLags(dir)).toEqual({ sinceMs: T0, lags });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
