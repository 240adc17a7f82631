/**
 * A failover run's k6 points and the runner's fault schedule -> the same metrics and raw
 * records `stampede sim failover` writes (sim/models/failover/README.md, "what the k6
 * scenario must record"), with the simulator's definitions:
 * - failoverS: fault start -> end of the VU's first successful pull among those started
 *   at or after the fault (and before the clear);
 * - switchedS: fault start -> end of its first success served by another region;
 * - failbackS: clear -> end of its first success served by its own region again, for VUs
 *   that left; failedBeforeSuccess: its failed pulls in between.
 * Times are seconds from the runner's start (schedule.t0Ms). Pure: a report can be rebuilt.
 */

import { shareOfBins } from '../../../reports/charts/failover-region-share';
import type { BinRecord, ClientRecord as SimClientRecord } from '../../../sim/models/failover/simulate';
import type { Metrics, Quantiles } from '../../results/envelope';
import { cdf, quantiles } from '../../results/stats';
import { isPoint } from '../collect';

/** What the runner saw and did (lib/k6/failover/schedule.ts writes it beside the run). */
export interface FailoverSchedule {
  t0Ms: number;
  /** The clients' region (the lab's regions.clientRegion) and every region, in latency order. */
  home: string;
  regions: string[];
  fault: {
    kind: string;
    region: string;
    /** The lab's own start stamp of the fault (its `since`); null: never injected. */
    sinceMs: number | null;
    clearedMs: number | null;
  };
  /** Traffic Manager transitions of the run's registry, lab clock (ms since epoch). */
  transitions: Array<{ atMs: number; region: string; to: string }>;
  /** Start of one probe of the faulted region's endpoint (ms since epoch): the probe clock's phase. */
  probeAtMs: number | null;
  /** Moments the lab DNS answered the global name (polled): k6's cache refreshes. */
  lookupsMs: number[];
  settings: Record<string, number>;
}

export interface RequestRecord {
  kind: 'request';
  vu: number;
  startS: number;
  endS: number;
  durS: number;
  ok: boolean;
  region: string;
  code: string;
}

/** The simulator's records, measured: a VU is a client (k6 has no nodes). */
export type ClientRecord = Omit<SimClientRecord, 'node'>;
export type { BinRecord };

export function requestsOf(records: readonly unknown[], t0Ms: number): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (const p of records) {
    if (!isPoint(p) || p.metric !== 'failover_request') continue;
    const tags = p.data.tags ?? {};
    const endS = (Date.parse(p.data.time) - t0Ms) / 1000;
    out.push({
      kind: 'request',
      vu: Number(tags.vu ?? 0),
      startS: endS - p.data.value / 1000,
      endS,
      durS: p.data.value / 1000,
      ok: tags.result === 'ok',
      region: tags.region ?? 'none',
      code: tags.code ?? '',
    });
  }
  return out.sort((a, b) => a.endS - b.endS);
}

function present(v: ReadonlyArray<number | null>): number[] {
  return v.filter((x): x is number => x !== null);
}
const mean = (v: readonly number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
const q = (v: number[]): Quantiles | null => (v.length ? quantiles(v) : null);

export interface Measured {
  metrics: Metrics;
  raw: Array<
    RequestRecord | ClientRecord | BinRecord | { kind: 'tm'; t: number; region: string; to: string }
  >;
}

export function measureFailover(
  records: readonly unknown[],
  s: FailoverSchedule,
  p: { vus: number; binS: number; durationS: number },
): Measured {
  const reqs = requestsOf(records, s.t0Ms);
  const F = s.fault.sinceMs === null ? null : (s.fault.sinceMs - s.t0Ms) / 1000;
  const C = s.fault.clearedMs === null ? null : (s.fault.clearedMs - s.t0Ms) / 1000;
  const clients = new Map<number, ClientRecord & { left: boolean }>();
  for (let v = 1; v <= p.vus; v++)
    clients.set(v, {
      kind: 'client',
      client: v,
      failoverS: null,
      failedBeforeSuccess: 0,
      switchedS: null,
      failbackS: null,
      failedDuringFailback: 0,
      left: false,
    });
  const errorsByCode: Record<string, number> = {};
  for (const r of reqs) {
    if (!r.ok) errorsByCode[r.code || 'UNKNOWN'] = (errorsByCode[r.code || 'UNKNOWN'] ?? 0) + 1;
    const c = clients.get(r.vu);
    if (!c || F === null) continue;
    const inWindow = r.startS >= F && (C === null || r.startS < C);
    if (inWindow) {
      if (c.failoverS === null) {
        if (r.ok) c.failoverS = r.endS - F;
        else c.failedBeforeSuccess++;
      }
      if (r.ok && r.region !== s.home && c.switchedS === null) {
        c.switchedS = r.endS - F;
        c.left = true;
      }
    }
    if (C !== null && r.startS >= C && c.left && c.failbackS === null) {
      if (r.ok && r.region === s.home) c.failbackS = r.endS - C;
      else if (!r.ok) c.failedDuringFailback++;
    }
  }
  const clientRecords: ClientRecord[] = [...clients.values()].map(({ left: _l, ...c }) => c);

  // Bins by end time, as the simulator counts them; failures count against the region that answered.
  const binCount = Math.max(1, Math.ceil(p.durationS / p.binS));
  const regions = [...s.regions];
  for (const r of reqs) if (!regions.includes(r.region)) regions.push(r.region);
  const bins: BinRecord[] = [];
  const cell = new Map<string, BinRecord>();
  for (let i = 0; i < binCount; i++)
    for (const region of regions) {
      const b: BinRecord = { kind: 'bin', t: i * p.binS, region, served: 0, failed: 0 };
      bins.push(b);
      cell.set(`${i}/${region}`, b);
    }
  for (const r of reqs) {
    const i = Math.min(binCount - 1, Math.max(0, Math.floor(r.endS / p.binS)));
    const b = cell.get(`${i}/${r.region}`) as BinRecord;
    if (r.ok) b.served++;
    else b.failed++;
  }
  // Regions nobody was ever sent to stay out of the chart (as "none" when every answer came).
  const used = new Set(bins.filter((b) => b.served + b.failed > 0).map((b) => b.region));
  const binRecords = bins.filter((b) => used.has(b.region) || s.regions.includes(b.region));

  const tm = s.transitions.map((t) => ({ t: (t.atMs - s.t0Ms) / 1000, region: t.region, to: t.to }));
  let detectionS: number | null = null;
  let failbackDetectionS: number | null = null;
  if (F !== null) {
    const mine = tm.filter((t) => t.region === s.fault.region);
    const down = mine.find((t) => t.to === 'degraded' && t.t >= F);
    if (down) {
      detectionS = down.t - F;
      const up = C === null ? undefined : mine.find((t) => t.to === 'online' && t.t >= Math.max(C, down.t));
      if (up && C !== null) failbackDetectionS = up.t - C;
    }
  }

  const failover = present(clientRecords.map((c) => c.failoverS));
  const switched = present(clientRecords.map((c) => c.switchedS));
  const failback = present(clientRecords.map((c) => c.failbackS));
  const failed = clientRecords.map((c) => c.failedBeforeSuccess);
  const okBefore = reqs.filter((r) => r.ok && (F === null || r.endS < F)).map((r) => r.durS);
  const failedIn = reqs.filter((r) => !r.ok).map((r) => r.durS);
  const metrics: Metrics = {
    ...(failover.length ? { failoverS: quantiles(failover) } : {}),
    failoverMinS: failover.length ? Math.min(...failover) : null,
    failoverMeanS: mean(failover),
    switchedS: q(switched),
    failbackS: q(failback),
    failbackMinS: failback.length ? Math.min(...failback) : null,
    failbackMeanS: mean(failback),
    detectionS,
    failbackDetectionS,
    clients: p.vus,
    clientsSwitched: switched.length,
    clientsWithoutSuccess: p.vus - failover.length,
    failedBeforeSuccess: { total: failed.reduce((a, b) => a + b, 0), perClient: quantiles(failed) },
    errors: { total: Object.values(errorsByCode).reduce((a, b) => a + b, 0), byCode: errorsByCode },
    requests: reqs.length,
    requestS: { okBeforeFault: q(okBefore), failed: q(failedIn) },
    failoverCdf: cdf(failover),
    failbackCdf: cdf(failback),
    regionShare: shareOfBins(binRecords),
    faultWindow: { kind: s.fault.kind, region: s.fault.region, startS: F, clearS: C },
    tmTransitions: tm,
  };
  return {
    metrics,
    raw: [...reqs, ...clientRecords, ...binRecords, ...tm.map((t) => ({ kind: 'tm' as const, ...t }))],
  };
}
