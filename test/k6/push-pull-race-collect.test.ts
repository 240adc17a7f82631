/**
 * push-pull-race results: raw k6 points -> per-strategy points (joined to the pusher's ack by
 * round), the lab's lag records, and the simulated twin's comparison; and the event board
 * that carries acks and webhook events to k6 (a real HTTP server on loopback).
 */
import { describe, expect, it } from 'vitest';
import { resolve } from '../../lib/config/schema';
import { acrEvents, startEventBoard } from '../../lib/k6/push-pull-race/board';
import { collectRace, type LabClockPull, pairedPulls } from '../../lib/k6/push-pull-race/collect';
import { raceSchema } from '../../lib/k6/push-pull-race/params';
import {
  answerWindowS,
  closeEnough,
  extraLagDeciles,
  firstGetDelayS,
  labClockGapS,
  labClockWindows,
  pairedShares,
  runTwin,
  twinSets,
} from '../../lib/k6/push-pull-race/twin';
import type { TracedRequest } from '../../lib/lab/front/trace-log';
import type { ReplicationEventRecord } from '../../lib/lab/replication/status';

const D = (n: number) => `sha256:${String(n).repeat(64)}`;
const T0 = 1_700_000_000_000;
const point = (metric: string, value: number, tags: Record<string, string>) => ({
  type: 'Point',
  metric,
  data: { time: new Date(T0).toISOString(), value, tags },
});
const push = (round: number, ackMs: number, phase = 'd1') =>
  point('race_push', ackMs, {
    round: String(round),
    phase,
    result: 'ok',
    digest: D(round + 1),
    startMs: String(ackMs - 300),
  });
const pull = (
  round: number,
  strategy: string,
  offset: number,
  result: string,
  at: number,
  more: Record<string, string> = {},
) =>
  point('race_pull', at, {
    round: String(round),
    strategy,
    offset: String(offset),
    result,
    late: 'false',
    seenAt: String(T0 + round * 10_000),
    startAt: String(at || T0 + round * 10_000 + offset * 1000),
    sentAt: String(at ? at - 20 : 0),
    attempts: '1',
    errs: result === 'ok' ? '' : `${result}:1`,
    ...more,
  });

const replica = (digest: string, region: string, lagS: number): ReplicationEventRecord => ({
  id: digest + region,
  at: new Date(T0).toISOString(),
  region,
  origin: 'eastus',
  kind: 'replica',
  action: 'push',
  repository: 'contoso/app',
  digest,
  host: `contoso.${region}.geo.x`,
  lagS,
  webhook: 'none',
});

describe('collectRace', () => {
  const records = [
    push(0, T0),
    push(1, T0 + 10_000),
    pull(0, 'none', 0, 'MANIFEST_UNKNOWN', 0),
    pull(0, 'retry', 0, 'ok', T0 + 2500),
    pull(1, 'none', 3, 'ok', T0 + 13_100),
    pull(1, 'retry', 3, 'ok', T0 + 13_050),
    // late: its round had started before it looked; counted apart
    pull(1, 'retry', 3, 'ok', T0 + 19_000, { late: 'true' }),
    // a round whose push failed: nothing to race
    point('race_pull', 0, { round: '2', strategy: 'none', offset: '0', result: 'NO_PUSH' }),
    point('race_push', 0, { round: '2', phase: 'd1', result: 'BLOB_UPLOAD_INVALID' }),
  ];
  const r = collectRace({
    records,
    mode: 'race',
    strategies: ['none', 'retry'],
    offsets: [0, 3],
    labEvents: [replica(D(1), 'westus', 2.05), replica(D(2), 'westus', 2.1), replica(D(9), 'westus', 99)],
  });

  it("joins every pull to its round's ack: time to success from the pusher's ack", () => {
    const retry = r.points.find((p) => p.label === 'retry')?.metrics ?? {};
    expect(retry.pullers).toBe(2);
    expect(retry.failedPulls).toBe(0);
    expect((retry.byOffset as Array<{ toSuccessS: { p50: number } }>)[0]?.toSuccessS?.p50).toBeCloseTo(
      2.5,
      6,
    );
    expect((retry.byOffset as Array<{ sentS: { p50: number } }>)[1]?.sentS?.p50).toBeCloseTo(3.03, 6);
  });

  it('failure share per offset, errors by code, late and no-push pullers apart, failed pushes counted', () => {
    const none = r.points.find((p) => p.label === 'none')?.metrics;
    expect(none?.byOffset).toMatchObject([
      { offsetS: 0, pullers: 1, failedShare: 1 },
      { offsetS: 3, pullers: 1, failedShare: 0 },
    ]);
    expect(r.metrics.latePullers).toBe(1);
    expect(r.metrics.pullers).toBe(4);
    expect(r.metrics.pushes).toEqual({ ok: 2, failed: 1 });
    expect(r.metrics.errors).toEqual({
      total: 2,
      byCode: { MANIFEST_UNKNOWN: 1, BLOB_UNKNOWN: 0, BLOB_UPLOAD_INVALID: 1 },
    });
  });

  it("takes the lab's lags of this run's pushes only (by digest)", () => {
    expect(r.lags.map((l) => l.lagS)).toEqual([2.05, 2.1]);
    expect(r.metrics.replicationLagS).toMatchObject({ max: 2.1 });
    expect(r.metrics.lagCdf).toHaveLength(2);
  });

  it('overwrite: races the re-push (d2) and its landing is the disagreement window', () => {
    const o = collectRace({
      records: [push(0, T0), push(0, T0 + 3000, 'd2'), pull(0, 'none', 0, 'stale', T0 + 3020)],
      mode: 'overwrite',
      strategies: ['none'],
      offsets: [0],
      labEvents: [replica(D(1), 'westus', 2)],
    });
    expect(o.points[0]?.metrics).toMatchObject({ staleShare: 1, failedShare: 0 });
    expect((o.points[0]?.metrics.timeToSuccessS as { p50: number } | undefined)?.p50).toBeCloseTo(0.02, 6);
  });
});

describe('collectRace, delete mode', () => {
  it("races the delete (phase del): content still pulled is a ghost, the delete's landing is the window", () => {
    const del = point('race_push', T0 + 3000, {
      round: '0',
      phase: 'del',
      result: 'ok',
      digest: D(1),
      startMs: String(T0 + 2990),
    });
    const deleted = { ...replica(D(1), 'westus', 1.9), action: 'delete' as const, id: 'del' };
    const o = collectRace({
      records: [
        push(0, T0),
        del,
        pull(0, 'none', 0, 'ghost', T0 + 3010),
        pull(0, 'retry', 0, 'ok', T0 + 3010),
      ],
      mode: 'delete',
      strategies: ['none'],
      offsets: [0],
      labEvents: [replica(D(1), 'westus', 2), deleted],
    });
    expect(o.points[0]?.metrics).toMatchObject({ ghostShare: 1, failedShare: 0 });
    expect(o.lags.map((l) => [l.phase, l.lagS])).toEqual([
      ['d1', 2],
      ['del', 1.9],
    ]);
    expect(o.metrics.disagreementS).toMatchObject({ p50: 1.9 });
    expect(o.metrics.replicationLagS).toMatchObject({ p50: 2 });
  });
});

describe('the simulated twin', () => {
  const params = resolve(raceSchema, [], ['offsets=0,3', 'retry.jitter=0', 'fixedSleep.sleepS=3']);
  const input = {
    params,
    pushRegion: 'eastus',
    pullRegion: 'westus',
    replication: { baseLagS: 1, bandwidthBps: 2e6, jitterS: 0, concurrency: 2 },
    pushBytes: 2e6,
    ackSeenS: 0,
    boardRefreshS: 0.05,
  };

  it('is `sim replication` with the lab parameters, as a --set list a user can run', () => {
    const sets = twinSets(input);
    expect(sets).toEqual(
      expect.arrayContaining([
        'regions.names=eastus,westus',
        'replication.baseLagS=1',
        'replication.bandwidthBps=2000000',
        'pullers.offsets=0,3',
        'retry.jitter=0',
        'webhook.delayS=0.05',
      ]),
    );
  });

  it("compares per strategy and offset: a lab equal to the model's closed form meets the targets", () => {
    // The lab as the model has it at lag L = 2 s: none fails at 0 and succeeds at 3 s.
    const lab = (strategy: string, rows: Array<[number, number, number | null]>) => ({
      label: strategy,
      metrics: {
        byOffset: rows.map(([offsetS, failedShare, t]) => ({
          offsetS,
          pullers: 4,
          failedShare,
          toSuccessS: t === null ? null : { p50: t + 0.03, p90: t + 0.04, p99: t + 0.04, max: t + 0.04 },
          sentS: t === null ? null : { p50: t, p90: t, p99: t, max: t },
        })),
      },
    });
    const twin = runTwin(input, [
      lab('none', [
        [0, 1, null],
        [3, 0, 3],
      ]),
      lab('retry', [
        [0, 0, 3.75],
        [3, 0, 3],
      ]),
      lab('fixed-sleep', [
        [0, 0, 3],
        [3, 0, 6],
      ]),
      lab('wait-webhook', [
        [0, 0, 2.05],
        [3, 0, 3],
      ]),
      lab('pin-home', [
        [0, 0, 0.01],
        [3, 0, 3],
      ]),
    ]);
    expect(twin.configuredLagP50S).toBe(2);
    expect(twin.rows).toHaveLength(10);
    expect(twin.rows.filter((r) => !r.shareOk || r.timeOk === false)).toEqual([]);
    expect(twin.targetsMet).toBe(true);
    // and a lab that fails where the model succeeds does not
    const off = runTwin(input, [
      lab('none', [
        [0, 1, null],
        [3, 0.5, 3],
      ]),
    ]);
    expect(off.targetsMet).toBe(false);
  });

  it("is given the run's measured lag spread (deciles beyond base + bytes/bandwidth), not the configured jitter", () => {
    // Measured lags 1.99-2.13 s around L = 2 s: the residuals 0..0.13 s (one below L counts 0).
    const lagsS = [2.0, 2.01, 2.02, 2.03, 2.05, 2.06, 2.08, 2.1, 2.12, 2.13, 1.99];
    expect(extraLagDeciles(lagsS, input.replication, input.pushBytes)).toEqual([
      0, 0, 0.01, 0.02, 0.03, 0.05, 0.06, 0.08, 0.1, 0.12, 0.13,
    ]);
    const sets = twinSets({ ...input, lagsS });
    expect(sets).toContain('replication.jitterS=0');
    expect(sets).toContain('replication.extraLagQuantilesS=0,0,0.01,0.02,0.03,0.05,0.06,0.08,0.1,0.12,0.13');
    // At offset L the twin now fails about as often as the measured lags exceed L (5 of 11
    // residuals above 0.05 s at offset L + 0.05 s), where without them it failed none or all.
    const at = resolve(raceSchema, [], ['offsets=2.05', 'strategies=none']);
    const twin = runTwin({ ...input, params: at, lagsS }, [
      { label: 'none', metrics: { byOffset: [{ offsetS: 2.05, pullers: 11, failedShare: 5 / 11 }] } },
    ]);
    expect(twin.lagSpread).toMatchObject({ from: 'measured', lags: 11 });
    expect(twin.rows[0]?.simFailedShare).toBeGreaterThan(0.35);
    expect(twin.rows[0]?.simFailedShare).toBeLessThan(0.55);
    expect(runTwin({ ...input, params: at }, []).lagSpread).toEqual({ from: 'configured', jitterS: 0 });
  });

  it('the paired replay: each lab round at its offset with its own measured lag', () => {
    const lagsS = [2.0, 2.01, 2.02, 2.03, 2.05, 2.06, 2.08, 2.1, 2.12, 2.13, 1.99];
    const at = resolve(raceSchema, [], ['offsets=2.05', 'strategies=none,retry', 'retry.jitter=0']);
    // both rounds at 2.05 s landed at 2.1 s: both pullers failed, where the distribution says half
    const rounds = [
      { offsetS: 2.05, sinceAckS: 2.1 },
      { offsetS: 2.05, sinceAckS: 2.1 },
    ];
    const lab = (label: string, failedShare: number) => ({
      label,
      metrics: { byOffset: [{ offsetS: 2.05, pullers: 2, failedShare, toSuccessS: null, sentS: null }] },
    });
    const twin = runTwin({ ...input, params: at, lagsS, rounds }, [lab('none', 1)]);
    const none = twin.rows.find((r) => r.strategy === 'none');
    expect(none).toMatchObject({ labFailedShare: 1, pairedFailedShare: 1, pairedOk: true, shareOk: false });
    expect(twin.targetsMet).toBe(false);
    expect(twin.targetsMetWithReplay).toBe(true);
    // one landed before the pull, one after: half
    const mixed = pairedShares(
      {
        ...input,
        params: at,
        rounds: [
          { offsetS: 2.05, sinceAckS: 2.1 },
          { offsetS: 2.05, sinceAckS: 2.0 },
        ],
      },
      1,
    );
    expect(mixed.get('none')?.get(2.05)).toBe(0.5);
    expect(mixed.get('retry')?.get(2.05)).toBe(0);
    // without per-round lags there is no replay
    expect(runTwin({ ...input, params: at, lagsS }, [lab('none', 1)]).rows[0]?.pairedOk).toBeNull();
  });

  it('a landing between a GET being sent and answered may go either way: the replay accepts both', () => {
    // ci15 under load: pulls at L sent 2.001 s after the ack, answered 0.21 s later; the
    // rounds' tags landed 2.15 s after it, inside that window, and 2 of 3 pullers got it.
    const at = resolve(raceSchema, [], ['offsets=2', 'strategies=none']);
    const rounds = [0, 1, 2].map(() => ({ offsetS: 2, sinceAckS: 2.15 }));
    const lab = (failedShare: number, timed: boolean) => ({
      label: 'none',
      metrics: {
        byOffset: [
          {
            offsetS: 2,
            pullers: 3,
            failedShare,
            toSuccessS: timed ? { p50: 2.2085, p90: 2.2089, p99: 2.209, max: 2.209 } : null,
            sentS: timed ? { p50: 2.001, p90: 2.001, p99: 2.001, max: 2.001 } : null,
          },
        ],
      },
    });
    const row = (share: number, timed: boolean) =>
      runTwin({ ...input, params: at, rounds }, [lab(share, timed)]).rows[0];
    expect(answerWindowS([lab(1 / 3, true)])).toBeCloseTo(0.2075, 9);
    expect(row(1 / 3, true)).toMatchObject({
      pairedFailedShare: 1,
      pairedLateFailedShare: 0,
      pairedOk: true,
    });
    // every puller failing is inside the range too; with no GET answered there is no window
    expect(row(1, false)).toMatchObject({
      pairedFailedShare: 1,
      pairedLateFailedShare: null,
      pairedOk: true,
    });
    // ci17, quiet: a GET answered within 10 ms, but the tag's PUT took 50 ms and the landing
    // (recorded at its answer) came 30 ms after the pull was sent: readable before it, maybe
    const putRounds = rounds.map(() => ({ offsetS: 2, sinceAckS: 2.03, tagPutS: 0.05 }));
    const quick = {
      label: 'none',
      metrics: {
        byOffset: [
          {
            offsetS: 2,
            pullers: 2,
            failedShare: 0.5,
            toSuccessS: { p50: 2.01, p90: 2.01, p99: 2.01, max: 2.01 },
            sentS: { p50: 2.0, p90: 2.0, p99: 2.0, max: 2.0 },
          },
        ],
      },
    };
    expect(runTwin({ ...input, params: at, rounds: putRounds }, [quick]).rows[0]).toMatchObject({
      pairedFailedShare: 1,
      pairedLateFailedShare: 0,
      pairedOk: true,
    });
    // without the PUT's window the same round is a miss
    const noPut = putRounds.map(({ offsetS, sinceAckS }) => ({ offsetS, sinceAckS }));
    expect(runTwin({ ...input, params: at, rounds: noPut }, [quick]).rows[0]?.pairedOk).toBe(false);
    // a landing well before the pull is not a knife edge: all failing is then a miss
    const early = runTwin({ ...input, params: at, rounds: rounds.map((r) => ({ ...r, sinceAckS: 1.5 })) }, [
      lab(1, false),
    ]).rows[0];
    expect(early).toMatchObject({ pairedFailedShare: 0, pairedOk: false });
  });

  it('times at the knife edge: a lab puller that got the tag first try matches the far end of the windows', () => {
    // the local run after ci17: tags landed 20-30 ms after L (their PUTs ~10 ms), GETs sent
    // at L answered 30 ms later; none got it 2 of 3 times, retry first try at 2.001 s
    const at = resolve(raceSchema, [], ['offsets=2', 'strategies=none,retry', 'retry.jitter=0']);
    const lagsS = [2.01, 2.012, 2.015, 2.018, 2.02, 2.022, 2.024, 2.025, 2.027, 2.029, 2.03];
    const rounds = [
      { offsetS: 2, sinceAckS: 2.02, tagPutS: 0.01 },
      { offsetS: 2, sinceAckS: 2.025, tagPutS: 0.01 },
    ];
    const q = (v: number) => ({ p50: v, p90: v, p99: v, max: v });
    const row = (failedShare: number, sent: number, answered: number) => ({
      offsetS: 2,
      pullers: 3,
      failedShare,
      toSuccessS: q(answered),
      sentS: q(sent),
    });
    const labPoints = [
      { label: 'none', metrics: { byOffset: [row(1 / 3, 2.0, 2.0315)] } },
      { label: 'retry', metrics: { byOffset: [row(0, 2.001, 2.035)] } },
    ];
    const twin = runTwin({ ...input, params: at, lagsS, rounds }, labPoints);
    const none = twin.rows.find((r) => r.strategy === 'none');
    const retry = twin.rows.find((r) => r.strategy === 'retry');
    // at the send instant every first try fails; one GET later (lags shorter by the PUT) none do
    expect(none?.simFailedShare).toBe(1);
    expect(none?.simLate?.failedShare).toBe(0);
    expect(none?.timeOk).toBe(true);
    expect(retry?.simToSuccessS?.p50).toBeGreaterThan(2.2);
    expect(retry?.timeOk).toBe(true);
    expect(none?.pairedOk).toBe(true);
    // a lab retry that needed its back-off is the near end's time, and still passes
    const slow = runTwin({ ...input, params: at, lagsS, rounds }, [
      { label: 'retry', metrics: { byOffset: [row(0, retry?.simToSuccessS?.p50 as number, 2.3)] } },
    ]);
    expect(slow.rows[0]?.timeOk).toBe(true);
  });

  describe("paired on the lab clock (the front's record of each first GET beside the landing)", () => {
    const at = resolve(
      raceSchema,
      [],
      [
        'offsets=2',
        'strategies=none,retry,fixed-sleep,wait-webhook',
        'retry.jitter=0',
        'fixedSleep.sleepS=3',
      ],
    );
    // The tag landed (its PUT answered) 2.03 s after k6's ack, at LANDED on the lab's clock.
    const LANDED = T0 + 2030;
    const pullAt = (
      arrivedMs: number,
      answeredMs: number,
      putMs = 0,
      status = 404,
      more: Partial<LabClockPull> = {},
    ): LabClockPull => ({
      landedMs: LANDED,
      putStartMs: LANDED - putMs,
      arrivedMs,
      forwardedMs: null,
      answeredMs,
      status,
      ...more,
    });
    const entry = (strategy: string, lab?: LabClockPull, sinceAckS = 2.03) => ({
      offsetS: 2,
      strategy,
      sinceAckS,
      tagPutS: lab ? (lab.landedMs - lab.putStartMs) / 1000 : 0,
      ...(lab ? { lab } : {}),
    });
    const shares = (rounds: ReturnType<typeof entry>[], far = false) =>
      pairedShares({ ...input, params: at, rounds }, 1, far ? { lookLaterS: 0 } : null);
    /** The replay's failed share of one `none` pull at offset 2 s (near end, or with `far` the far end). */
    const noneShare = (lab: LabClockPull, far = false): number | undefined =>
      shares([entry('none', lab)], far)
        .get('none')
        ?.get(2);

    it('arrival 1 ms before the landing fails at both ends; 1 ms after succeeds at both', () => {
      const before = pullAt(LANDED - 1, LANDED - 1);
      const after = pullAt(LANDED + 1, LANDED + 3, 0, 200);
      expect(labClockGapS(before, 'near')).toBeCloseTo(0.0015, 12);
      expect(labClockGapS(before, 'far')).toBeCloseTo(0.0005, 12);
      expect(labClockGapS(after, 'near')).toBeCloseTo(-0.0005, 12);
      expect(labClockGapS(after, 'far')).toBeCloseTo(-0.0035, 12);
      for (const far of [false, true]) {
        expect(noneShare(before, far)).toBe(1);
        expect(noneShare(after, far)).toBe(0);
        // the same 1 ms decides fixed-sleep's one GET, 3 s after its offset
        expect(
          shares([entry('fixed-sleep', before)], far)
            .get('fixed-sleep')
            ?.get(2),
        ).toBe(1);
        expect(
          shares([entry('fixed-sleep', after)], far)
            .get('fixed-sleep')
            ?.get(2),
        ).toBe(0);
        // retry's first GET fails, its next finds the tag
        expect(
          shares([entry('retry', before)], far)
            .get('retry')
            ?.get(2),
        ).toBe(0);
      }
    });

    it('whatever k6 measured: the lab clock alone decides (k6 said the landing came 50 ms before the pull)', () => {
      const before = pullAt(LANDED - 1, LANDED - 1);
      expect(
        shares([entry('none', before, 1.95)])
          .get('none')
          ?.get(2),
      ).toBe(1);
      // on k6's clock the same round succeeds
      const { lab: _l, ...k6Only } = entry('none', before, 1.95);
      expect(shares([k6Only]).get('none')?.get(2)).toBe(0);
    });

    it('only a GET overlapping the PUT (or equal ms readings) is undecided: the bracket [far, near] opens', () => {
      // arrived 1 ms before the PUT answered, answered 2 ms after it: either order possible
      expect(
        shares([entry('none', pullAt(LANDED - 1, LANDED + 2))])
          .get('none')
          ?.get(2),
      ).toBe(1);
      expect(
        shares([entry('none', pullAt(LANDED - 1, LANDED + 2))], true)
          .get('none')
          ?.get(2),
      ).toBe(0);
      // equal readings: the lab's ms cannot order them
      const tie = pullAt(LANDED, LANDED);
      expect(noneShare(tie)).toBe(1);
      expect(noneShare(tie, true)).toBe(0);
      // the first CI-like case: a 40 ms PUT, a GET arriving 45 ms before its answer and taking
      // 25 ms. On the PUT's window alone either order is possible...
      const slow = pullAt(LANDED - 45, LANDED - 20, 40);
      expect(noneShare(slow)).toBe(1);
      expect(noneShare(slow, true)).toBe(0);
      // ...but the tag's link file was written 3 ms before the PUT answered: certain
      const written = { ...slow, tagWrittenMs: LANDED - 2.6 };
      expect(labClockWindows(written).write).toEqual([LANDED - 3, LANDED]);
      expect(noneShare(written, true)).toBe(1);
      // an mtime outside the PUT (not the lab's clock) is ignored
      expect(labClockWindows({ ...slow, tagWrittenMs: LANDED + 5000 }).write).toEqual([LANDED - 40, LANDED]);
      // a GET that reached the front before the landing but was handed to the registry after it: certain success
      const handed = pullAt(LANDED - 2, LANDED + 4, 10, 200, { forwardedMs: LANDED + 1 });
      expect(labClockWindows(handed).read).toEqual([LANDED + 1, LANDED + 4]);
      expect(noneShare(handed)).toBe(0);
      expect(noneShare({ ...handed, forwardedMs: null })).toBe(1);
      // answered before a 5 ms PUT began: certain at both ends
      const early = pullAt(LANDED - 9, LANDED - 6, 5);
      expect(noneShare(early)).toBe(1);
      expect(noneShare(early, true)).toBe(1);
    });

    it('runTwin: clock lab, rows exact (no 5 pp slack), the front answers beside them; unscheduled strategies stay on k6', () => {
      const lab = (label: string, pullers: number, failedShare: number) => ({
        label,
        metrics: { byOffset: [{ offsetS: 2, pullers, failedShare, toSuccessS: null, sentS: null }] },
      });
      // 25 rounds at the edge: 24 pulls arrived 1 ms before their landing, one 1 ms after
      const rounds = [
        ...Array.from({ length: 24 }, () => entry('none', pullAt(LANDED - 1, LANDED - 1))),
        entry('none', pullAt(LANDED + 1, LANDED + 2, 0, 200)),
        entry('wait-webhook', pullAt(LANDED + 60, LANDED + 62, 0, 200)),
      ];
      const twin = runTwin({ ...input, params: at, rounds }, [
        lab('none', 25, 24 / 25),
        lab('wait-webhook', 1, 0),
      ]);
      expect(twin.clock).toBe('lab');
      expect(twin.pairing).toEqual({ lab: 25, k6: 1 });
      const none = twin.rows.find((r) => r.strategy === 'none');
      expect(none).toMatchObject({
        pairedClock: 'lab',
        pairedFailedShare: 0.96,
        pairedLateFailedShare: 0.96,
        pairedExact: true,
        pairedOk: true,
        firstGetMissShare: 0.96,
      });
      expect(none?.labGapsMs?.slice(23)).toEqual([
        { gapMs: 1, writeMs: 0, readMs: 0 },
        { gapMs: -1, writeMs: 0, readMs: 1 },
      ]);
      expect(twin.rows.find((r) => r.strategy === 'wait-webhook')).toMatchObject({
        pairedClock: 'k6',
        pairedFailedShare: 0,
        firstGetMissShare: null,
      });
      // one pull off is a miss on the lab clock, though within 5 pp
      const off = runTwin({ ...input, params: at, rounds }, [lab('none', 25, 1)]).rows[0];
      expect(off).toMatchObject({ pairedExact: false, pairedOk: false });
      // the same rounds on k6's clock alone keep the 5 pp rule
      const k6 = rounds.map(({ lab: _l, ...r }) => r);
      const onK6 = runTwin({ ...input, params: at, rounds: k6 }, [lab('none', 25, 1)]);
      expect(onK6.clock).toBe('k6');
      expect(onK6.rows[0]?.pairedClock).toBe('k6');
      // one pull without a front record: the row is mixed, and says what the fronts recorded
      const mixed = runTwin(
        {
          ...input,
          params: at,
          rounds: [...rounds.slice(1), { ...(k6[0] as (typeof k6)[number]), labMissing: 'no record' }],
        },
        [lab('none', 25, 24 / 25)],
      ).rows[0];
      expect(mixed).toMatchObject({ pairedClock: 'mixed', labMissing: ['no record'] });
      expect(none?.labMissing).toBeNull();
    });

    it("the knife edge's time: one retry pull is timed by the outcome its first GET had (pairedTimeOk)", () => {
      // CI of 2026-12-05: one lab retry pull at L found the tag at once (2.001 s) where the
      // distribution, whose lags straddle L, put P50 on the back-off (2.25 s): timeOk false.
      const lagsS = [2.0, 2.01, 2.02, 2.03, 2.05, 2.06, 2.08, 2.1, 2.12, 2.13, 1.99];
      const q = (v: number) => ({ p50: v, p90: v, p99: v, max: v });
      const retry = (sent: number, status: number, arrivedMs: number) =>
        runTwin(
          {
            ...input,
            params: at,
            lagsS,
            rounds: [entry('retry', pullAt(arrivedMs, arrivedMs + 2, 0, status))],
          },
          [
            {
              label: 'retry',
              metrics: {
                byOffset: [
                  { offsetS: 2, pullers: 1, failedShare: 0, toSuccessS: q(sent + 0.015), sentS: q(sent) },
                ],
              },
            },
          ],
        ).rows.find((r) => r.strategy === 'retry');
      const first = retry(2.001, 200, LANDED + 1);
      expect(first?.simToSuccessS?.p50).toBeGreaterThan(2.2);
      expect(first).toMatchObject({ timeOk: false, pairedExact: true, pairedTimeOk: true });
      expect(first?.pairedToSuccessS?.p50).toBe(2);
      // the same pull, had its first GET missed (read and answered before the landing), is timed
      // by the back-off
      const backed = retry(2.001, 404, LANDED - 3);
      expect(backed?.pairedToSuccessS?.p50).toBeGreaterThan(2.2);
      expect(backed?.pairedTimeOk).toBe(false);
      // a replay that disagrees with the lab's outcome times nothing
      const wrong = runTwin(
        { ...input, params: at, lagsS, rounds: [entry('none', pullAt(LANDED - 1, LANDED - 1))] },
        [
          {
            label: 'none',
            metrics: {
              byOffset: [{ offsetS: 2, pullers: 1, failedShare: 0, toSuccessS: q(2.016), sentS: q(2.001) }],
            },
          },
        ],
      ).rows.find((r) => r.strategy === 'none');
      expect(wrong).toMatchObject({ pairedExact: false, pairedTimeOk: null });
    });

    it('firstGetDelayS: none and retry at the offset, fixed-sleep after its sleep, the others unscheduled', () => {
      expect(
        ['none', 'retry', 'fixed-sleep', 'wait-webhook', 'pin-home'].map((s) => firstGetDelayS(s, at)),
      ).toEqual([0, 0, 3, null, null]);
    });

    it("pairedPulls: each counted puller with its round's landing and its first GET in the pull region", () => {
      const records = [
        push(0, T0),
        push(1, T0 + 10_000),
        pull(0, 'none', 2, 'MANIFEST_UNKNOWN', 0, { trace: 'n/0/1' }),
        pull(0, 'retry', 2, 'ok', T0 + 2400, { trace: 'n/0/2' }),
        pull(1, 'none', 2, 'ok', T0 + 12_100, { trace: 'n/1/1' }),
        // unmarked (a k6 script from before the marks): paired on k6's clock
        pull(1, 'retry', 2, 'ok', T0 + 12_100),
      ];
      const landing = (digest: string, atMs: number, tagPutS: number): ReplicationEventRecord => ({
        ...replica(digest, 'westus', 2),
        at: new Date(atMs).toISOString(),
        tagPutS,
        tagWrittenMs: atMs - 1.25,
      });
      const race = collectRace({
        records,
        mode: 'race',
        strategies: ['none', 'retry'],
        offsets: [2],
        labEvents: [landing(D(1), T0 + 2030, 0.004), landing(D(2), T0 + 12_010, 0.003)],
      });
      const tr = (id: string, region: string, arrivedMs: number, status: number): TracedRequest => ({
        id,
        region,
        method: 'GET',
        path: '/v2/stampede/race/manifests/x',
        arrivedMs,
        forwardedMs: arrivedMs + 1,
        answeredMs: arrivedMs + 2,
        status,
      });
      const traces = [
        tr('n/0/1.1', 'westus', T0 + 2028, 429), // throttled: the registry never read the tag
        tr('n/0/1.1', 'westus', T0 + 2029, 404),
        tr('n/0/2.1', 'eastus', T0 + 2000, 200), // another region's front
        tr('n/0/2.1', 'westus', T0 + 2027, 404),
        tr('n/0/2.2', 'westus', T0 + 2290, 200), // a later attempt: not the first GET
        tr('n/1/1.1', 'westus', T0 + 12_020, 200),
      ];
      const pulls = pairedPulls(race, 'race', 'westus', traces);
      expect(pulls).toHaveLength(4);
      expect(pulls[0]).toEqual({
        offsetS: 2,
        strategy: 'none',
        sinceAckS: 2.03,
        tagPutS: 0.004,
        lab: {
          landedMs: T0 + 2030,
          putStartMs: T0 + 2026,
          tagWrittenMs: T0 + 2028.75,
          arrivedMs: T0 + 2029,
          forwardedMs: T0 + 2030,
          answeredMs: T0 + 2031,
          status: 404,
        },
      });
      expect(pulls[1]?.lab?.arrivedMs).toBe(T0 + 2027);
      expect(pulls[2]?.lab).toMatchObject({ landedMs: T0 + 12_010, arrivedMs: T0 + 12_020, status: 200 });
      expect(pulls[3]?.lab).toBeUndefined();
      // unmarked: nothing to look for. A marked pull with no readable first GET says what the
      // fronts recorded for it instead, so a fall-back to k6's clock can be explained.
      expect(pulls[3]?.labMissing).toBeUndefined();
      const lost = pairedPulls(race, 'race', 'westus', [
        tr('n/0/1.1', 'westus', T0 + 2028, 429),
        tr('n/0/1.1', 'eastus', T0 + 2029, 404),
        tr('n/0/2.1', 'westus', T0 + 2027, 404),
      ]);
      expect(lost.map((p) => p.labMissing)).toEqual([
        'westus GET 429, eastus GET 404',
        undefined,
        'no record',
        undefined,
      ]);
      // without the lab's records every pull is on k6's clock; delete mode races no landing
      expect(pairedPulls(race, 'race', 'westus').every((p) => p.lab === undefined)).toBe(true);
      expect(pairedPulls(race, 'delete', 'westus', traces)).toEqual([]);
    });
  });

  it('closeEnough: 10%, with a 0.05 s floor under 0.5 s', () => {
    expect(closeEnough(3.3, 3)).toBe(true);
    expect(closeEnough(3.31, 3)).toBe(false);
    expect(closeEnough(0.04, 0)).toBe(true);
    expect(closeEnough(0.06, 0)).toBe(false);
  });
});

describe('the event board', () => {
  it('serves the lab records as ACR webhook events, filtered by digest', () => {
    const ev = acrEvents([replica(D(1), 'westus', 2), replica(D(2), 'westus', 2)], D(2));
    expect(ev).toEqual([
      expect.objectContaining({
        action: 'push',
        target: expect.objectContaining({ digest: D(2), repository: 'contoso/app' }),
        request: expect.objectContaining({ host: 'contoso.westus.geo.x', method: 'PUT' }),
      }),
    ]);
  });

  it('holds a puller until the pusher posts its ack, and answers later askers at once', async () => {
    let reads = 0;
    const board = await startEventBoard(
      async () => {
        reads++;
        return [replica(D(1), 'westus', 2)];
        // a refresh window no machine's slowness can outlast: the count below is exact
      },
      { refreshMs: 600_000 },
    );
    try {
      const waiting = fetch(`${board.acksUrl}?round=3&phase=d1`);
      await new Promise((r) => setTimeout(r, 50));
      const posted = await fetch(board.acksUrl, {
        method: 'POST',
        body: JSON.stringify({ round: 3, phase: 'd1', ackMs: 123, digest: D(1) }),
      });
      expect(posted.status).toBe(204);
      expect(await (await waiting).json()).toEqual({ round: 3, phase: 'd1', ackMs: 123, digest: D(1) });
      expect((await fetch(`${board.acksUrl}?round=3&phase=d1`)).status).toBe(200);
      const events = (await (
        await fetch(`${board.url}?digest=${encodeURIComponent(D(1))}`)
      ).json()) as unknown[];
      expect(events).toHaveLength(1);
      await fetch(board.url);
      expect(reads).toBe(1); // one lab read within the refresh window, however many askers
    } finally {
      await board.close();
    }
  });
});
