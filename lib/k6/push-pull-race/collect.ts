/**
 * A push-pull-race run's raw points (k6 JSON output) -> its metrics and one point per
 * strategy, in the simulator's shapes (sim/models/replication: failedShare, staleShare,
 * timeToSuccessS, errors, byOffset; replicationLagS, lagCdf, windowCdf) so the replication
 * charts draw a lab run and its twin alike. Pure over the records and the lab's replication
 * events, so a report can be rebuilt from a run directory.
 *
 * Time since ack is measured from the pusher's own ack instant (race_push), joined by round:
 * a puller only saw the ack when its poll of A found the tag (ackSeenS later).
 */
import type { TracedRequest } from '../../lab/front/trace-log';
import type { ReplicationEventRecord } from '../../lab/replication/status';
import type { Metrics, Point, Quantiles } from '../../results/envelope';
import { cdf, quantiles } from '../../results/stats';
import { isPoint, type K6Point } from '../collect';

export interface PushRecord {
  round: number;
  phase: string;
  result: string;
  digest: string;
  /** ms epoch; 0 for a failed push */
  ackMs: number;
  startMs: number;
}

export interface PullerRecord {
  kind: 'puller';
  round: number;
  strategy: string;
  offsetS: number;
  result: string;
  late: boolean;
  /** Pusher's ack -> the successful manifest answer (s); null on failure. */
  toSuccessS: number | null;
  /** Pusher's ack -> the puller saw the tag in A (s). */
  ackSeenS: number | null;
  /** Pusher's ack -> first pull sent (s). */
  startS: number | null;
  /** Pusher's ack -> the successful manifest GET was sent (s): the simulator's pull instant. */
  sentS: number | null;
  attempts: number;
  errors: Record<string, number>;
  /** The puller's id for its round: its attempt k's manifest GET carried `<trace>.<k>` ('' : not marked). */
  trace: string;
}

const tagsOf = (p: K6Point) => p.data.tags ?? {};
const num = (s: string | undefined) => (s === undefined || s === '' ? Number.NaN : Number(s));

export function pushRecords(records: readonly unknown[]): PushRecord[] {
  return records
    .filter(isPoint)
    .filter((p) => p.metric === 'race_push')
    .map((p) => {
      const t = tagsOf(p);
      return {
        round: num(t.round),
        phase: t.phase ?? 'd1',
        result: t.result ?? 'UNKNOWN',
        digest: t.digest ?? '',
        ackMs: p.data.value,
        startMs: num(t.startMs),
      };
    });
}

/** The push each round's pullers race: the first (race) or the re-push (overwrite). */
export function watchedPushes(pushes: readonly PushRecord[], mode: string): Map<number, PushRecord> {
  const want = mode === 'overwrite' ? 'd2' : mode === 'delete' ? 'del' : 'd1';
  return new Map(pushes.filter((p) => p.phase === want).map((p) => [p.round, p]));
}

function parseErrs(s: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (s ?? '').split(',')) {
    const at = part.lastIndexOf(':');
    if (at > 0) out[part.slice(0, at)] = (out[part.slice(0, at)] ?? 0) + Number(part.slice(at + 1));
  }
  return out;
}

export function pullerRecords(records: readonly unknown[], watched: Map<number, PushRecord>): PullerRecord[] {
  return records
    .filter(isPoint)
    .filter((p) => p.metric === 'race_pull')
    .map((p) => {
      const t = tagsOf(p);
      const round = num(t.round);
      const push = watched.get(round);
      const ack = push && push.result === 'ok' ? push.ackMs : null;
      const since = (ms: number) =>
        ack === null || !Number.isFinite(ms) || ms <= 0 ? null : (ms - ack) / 1000;
      const ok = t.result === 'ok' || t.result === 'stale' || t.result === 'ghost';
      return {
        kind: 'puller' as const,
        round,
        strategy: t.strategy ?? 'unknown',
        offsetS: num(t.offset),
        result: t.result ?? 'UNKNOWN',
        late: t.late === 'true',
        toSuccessS: ok ? since(p.data.value) : null,
        ackSeenS: since(num(t.seenAt)),
        startS: since(num(t.startAt)),
        sentS: ok ? since(num(t.sentAt)) : null,
        attempts: num(t.attempts) || 0,
        errors: parseErrs(t.errs),
        trace: t.trace ?? '',
      };
    });
}

const q = (v: number[]): Quantiles | null => (v.length ? quantiles(v) : null);
const share = (n: number, d: number) => (d > 0 ? n / d : 0);
/** Got content (the simulator's success): the raced digest, an older one, or deleted content. */
const succeeded = (r: PullerRecord) => r.result === 'ok' || r.result === 'stale' || r.result === 'ghost';

/** Pullers that raced a push they saw happen (not a failed push, not a late start). */
export const counted = (r: PullerRecord) => r.result !== 'NO_PUSH' && !r.late && r.ackSeenS !== null;

export function strategyPoints(
  pullers: readonly PullerRecord[],
  strategies: readonly string[],
  offsets: readonly number[],
): Point[] {
  return strategies.map((strategy) => {
    const mine = pullers.filter((r) => r.strategy === strategy && counted(r));
    const failed = mine.filter((r) => !succeeded(r));
    const byCode: Record<string, number> = { MANIFEST_UNKNOWN: 0, BLOB_UNKNOWN: 0 };
    for (const r of mine) for (const [k, v] of Object.entries(r.errors)) byCode[k] = (byCode[k] ?? 0) + v;
    const byOffset = offsets.map((offsetS) => {
      const at = mine.filter((r) => r.offsetS === offsetS);
      return {
        offsetS,
        pullers: at.length,
        failedShare: share(at.filter((r) => !succeeded(r)).length, at.length),
        staleShare: share(at.filter((r) => r.result === 'stale').length, at.length),
        ghostShare: share(at.filter((r) => r.result === 'ghost').length, at.length),
        toSuccessS: q(at.filter(succeeded).map((r) => r.toSuccessS as number)),
        sentS: q(at.filter((r) => succeeded(r) && r.sentS !== null).map((r) => r.sentS as number)),
      };
    });
    return {
      label: strategy,
      params: { strategy },
      metrics: {
        pullers: mine.length,
        failedPulls: failed.length,
        failedShare: share(failed.length, mine.length),
        staleShare: share(mine.filter((r) => r.result === 'stale').length, mine.length),
        ghostShare: share(mine.filter((r) => r.result === 'ghost').length, mine.length),
        timeToSuccessS: q(mine.filter(succeeded).map((r) => r.toSuccessS as number)),
        pullLatencyS: q(
          mine
            .filter((r) => succeeded(r) && r.startS !== null)
            .map((r) => (r.toSuccessS as number) - (r.startS as number)),
        ),
        attemptsMean: mine.reduce((a, r) => a + r.attempts, 0) / Math.max(1, mine.length),
        errors: { total: Object.values(byCode).reduce((a, b) => a + b, 0), byCode },
        byOffset,
      },
    };
  });
}

export interface LagRecord {
  kind: 'lag';
  round: number;
  phase: string;
  region: string;
  lagS: number;
  /**
   * The pusher's ack -> the landing (s): the lag on the clock the pullers' offsets run on
   * (lagS runs from the home registry's event, a few ms before the ack reaches the pusher).
   */
  sinceAckS: number;
  /** The tag's PUT in that region took this long: it became readable in [sinceAckS - tagPutS, sinceAckS]. */
  tagPutS: number;
  /** The landing (the tag's PUT answered) on the lab's clock, ms epoch. */
  landedMs: number;
  /** The tag's link file's mtime in that region's registry (ms epoch); absent when not recorded. */
  tagWrittenMs?: number;
}

/** The lab's replica landings of this run's pushes (matched by digest), one per push and region. */
export function lagRecords(
  events: readonly ReplicationEventRecord[],
  pushes: readonly PushRecord[],
): LagRecord[] {
  // A delete (phase del) names the digest of its push: key by action too.
  const byDigest = new Map(
    pushes
      .filter((p) => p.result === 'ok')
      .map((p) => [`${p.phase === 'del' ? 'delete' : 'push'} ${p.digest}`, p]),
  );
  const out: LagRecord[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const p = e.digest ? byDigest.get(`${e.action} ${e.digest}`) : undefined;
    if (!p || e.kind !== 'replica' || typeof e.lagS !== 'number') continue;
    const key = `${e.action} ${e.digest}@${e.region}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const landed = Date.parse(e.at);
    const sinceAckS = Number.isFinite(landed) ? (landed - p.ackMs) / 1000 : e.lagS;
    out.push({
      kind: 'lag',
      round: p.round,
      phase: p.phase,
      region: e.region,
      lagS: e.lagS,
      sinceAckS,
      tagPutS: e.tagPutS ?? 0,
      landedMs: landed,
      ...(typeof e.tagWrittenMs === 'number' ? { tagWrittenMs: e.tagWrittenMs } : {}),
    });
  }
  return out.sort((a, b) => a.round - b.round || a.region.localeCompare(b.region));
}

/**
 * A raced pull for the paired replay: its offset and strategy, its round's landing in the
 * pull region after the ack (k6's ack, the lab's landing), and where the lab recorded the
 * puller's first manifest GET, the instants that decide it on the lab's one clock.
 */
export interface PairedPull {
  offsetS: number;
  strategy: string;
  sinceAckS: number;
  tagPutS: number;
  lab?: LabClockPull;
  /**
   * A marked pull with no front record of its first GET reading the tag in the pull region:
   * what the fronts did record for that GET (`westus GET 401`, ...), or 'no record' (the
   * pairing then falls back to k6's clock, and this says why).
   */
  labMissing?: string;
}

/** One first pull and its round's landing, all on the lab's clock (ms epoch). */
export interface LabClockPull {
  /** The tag's PUT into the pull region answered (the landing record's time). */
  landedMs: number;
  /** That PUT was sent: the tag became readable in [putStartMs, landedMs]. */
  putStartMs: number;
  /** The tag's link file's mtime (at or before the write): not readable before it. Absent: unknown. */
  tagWrittenMs?: number;
  /** The puller's first manifest GET reached the pull region's front. */
  arrivedMs: number;
  /** The front handed it to the registry (null: not recorded): the registry read the tag after this. */
  forwardedMs: number | null;
  /** The front finished answering it: the registry read the tag before this. */
  answeredMs: number;
  /** What the front answered (200: the tag resolved). */
  status: number;
}

/** Statuses of a manifest GET that read the tag (found or not): others (429, 401, 5xx) never got that far. */
const READ_STATUS = new Set([200, 404]);

/**
 * Per counted puller of the raced push (race: the push, overwrite: the re-push; none in
 * delete mode), paired with its round's landing in the pull region; with `traces` (the lab's
 * records of marked requests) also with the front's record of its first manifest GET in the
 * pull region: the first record of `<trace>.1` there whose status says the tag was read.
 */
export function pairedPulls(
  race: Pick<RaceResult, 'pullers' | 'lags'>,
  mode: string,
  pullRegion: string,
  traces: readonly TracedRequest[] = [],
): PairedPull[] {
  if (mode === 'delete') return [];
  const phase = mode === 'overwrite' ? 'd2' : 'd1';
  const landing = new Map(
    race.lags.filter((l) => l.region === pullRegion && l.phase === phase).map((l) => [l.round, l]),
  );
  const firstGet = new Map<string, TracedRequest>();
  const seen = new Map<string, string[]>();
  for (const t of traces) {
    if (t.region === pullRegion && t.method === 'GET' && READ_STATUS.has(t.status) && !firstGet.has(t.id))
      firstGet.set(t.id, t);
    seen.set(t.id, [...(seen.get(t.id) ?? []), `${t.region} ${t.method} ${t.status}`]);
  }
  const out: PairedPull[] = [];
  for (const p of race.pullers) {
    const l = landing.get(p.round);
    if (!l || !counted(p)) continue;
    const t = p.trace ? firstGet.get(`${p.trace}.1`) : undefined;
    const missing =
      p.trace && traces.length && !t ? (seen.get(`${p.trace}.1`) ?? ['no record']).join(', ') : '';
    out.push({
      offsetS: p.offsetS,
      strategy: p.strategy,
      sinceAckS: l.sinceAckS,
      tagPutS: l.tagPutS,
      ...(missing ? { labMissing: missing } : {}),
      ...(t && Number.isFinite(l.landedMs)
        ? {
            lab: {
              landedMs: l.landedMs,
              putStartMs: l.landedMs - Math.round(l.tagPutS * 1000),
              ...(l.tagWrittenMs !== undefined ? { tagWrittenMs: l.tagWrittenMs } : {}),
              arrivedMs: t.arrivedMs,
              forwardedMs: t.forwardedMs ?? null,
              answeredMs: t.answeredMs,
              status: t.status,
            },
          }
        : {}),
    });
  }
  return out;
}

/** Per-region empirical CDF rows ({region, value, fraction}), the shape the replication charts read. */
export const regionCdf = (rows: ReadonlyArray<{ region: string; v: number }>) => {
  const by = new Map<string, number[]>();
  for (const r of rows) by.set(r.region, [...(by.get(r.region) ?? []), r.v]);
  return [...by].flatMap(([region, v]) => cdf(v).map((c) => ({ region, ...c })));
};

export interface RaceCollectInput {
  records: readonly unknown[];
  mode: string;
  strategies: readonly string[];
  offsets: readonly number[];
  /** The lab's replication events after the run (none for a registry URL). */
  labEvents?: readonly ReplicationEventRecord[];
}

export interface RaceResult {
  metrics: Metrics;
  points: Point[];
  pullers: PullerRecord[];
  lags: LagRecord[];
}

export function collectRace(i: RaceCollectInput): RaceResult {
  const pushes = pushRecords(i.records);
  const watched = watchedPushes(pushes, i.mode);
  const pullers = pullerRecords(i.records, watched);
  const points = strategyPoints(pullers, i.strategies, i.offsets);
  const lags = lagRecords(i.labEvents ?? [], pushes);
  const first = lags.filter((l) => l.phase === 'd1');
  const okPushes = pushes.filter((p) => p.result === 'ok');
  // overwrite: per round and target, d2's landing after d2's ack (lab lag is from the home's event, a few ms before the ack).
  // delete: the delete's landing after its ack, the time the content stays pullable there.
  const windowPhase = i.mode === 'overwrite' ? 'd2' : i.mode === 'delete' ? 'del' : '';
  const windows = lags.filter((l) => l.phase === windowPhase).map((l) => ({ region: l.region, v: l.lagS }));
  const byCode: Record<string, number> = { MANIFEST_UNKNOWN: 0, BLOB_UNKNOWN: 0 };
  for (const pt of points)
    for (const [k, v] of Object.entries((pt.metrics.errors as { byCode: Record<string, number> }).byCode))
      byCode[k] = (byCode[k] ?? 0) + v;
  const pushFailures = pushes.filter((p) => p.result !== 'ok');
  for (const p of pushFailures) byCode[p.result] = (byCode[p.result] ?? 0) + 1;
  const metrics: Metrics = {
    mode: i.mode,
    rounds: new Set(pushes.map((p) => p.round)).size,
    pushes: { ok: okPushes.length, failed: pushFailures.length },
    pushLatencyS: q(
      okPushes.filter((p) => Number.isFinite(p.startMs)).map((p) => (p.ackMs - p.startMs) / 1000),
    ),
    pullers: pullers.filter(counted).length,
    latePullers: pullers.filter((r) => r.late).length,
    ackSeenS: q(pullers.filter(counted).map((r) => r.ackSeenS as number)),
    ...(first.length > 0 && {
      replicationLagS: quantiles(first.map((l) => l.lagS)),
      lagCdf: regionCdf(first.map((l) => ({ region: l.region, v: l.lagS }))),
    }),
    ...(windows.length > 0 && {
      disagreementS: quantiles(windows.map((w) => w.v)),
      windowCdf: regionCdf(windows),
    }),
    failedShareByStrategy: Object.fromEntries(points.map((p) => [p.label, p.metrics.failedShare])),
    errors: { total: Object.values(byCode).reduce((a, b) => a + b, 0), byCode },
  };
  return { metrics, points, pullers, lags };
}
