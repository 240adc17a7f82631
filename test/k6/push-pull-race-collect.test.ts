/**
 * push-pull-race results: raw k6 points -> per-strategy points (joined to the pusher's ack by
 * round), the lab's lag records, and the simulated twin's comparison; and the event board
 * that carries acks and webhook events to k6 (a real HTTP server on loopback).
 */
import { describe, expect, it } from 'vitest';
import { resolve } from '../../lib/config/schema';
import { acrEvents, startEventBoard } from '../../lib/k6/push-pull-race/board';
import { collectRace } from '../../lib/k6/push-pull-race/collect';
import { raceSchema } from '../../lib/k6/push-pull-race/params';
import {
  answerWindowS,
  closeEnough,
  extraLagDeciles,
  pairedShares,
  runTwin,
  twinSets,
} from '../../lib/k6/push-pull-race/twin';
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
