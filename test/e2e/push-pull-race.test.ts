/**
 * `stampede run push-pull-race --target lab` end to end, and its simulated twin: a real lab
 * with a configured replication lag L = base + bytes/bandwidth (1 s + 2 MB at 2 MB/s), a
 * real k6 pushing fresh random layers to eastus and pullers racing them from westus. Checks
 * the targets: with offset 0 `none` fails for every puller (its pull lands before L)
 * and succeeds once the offset passes L; retry, wait-webhook and pin-home end with 0 failed
 * pulls; the measured lag P50 is within ±10% of L; `sim replication` with the lab's
 * parameters (the run's metrics.twin) predicts the failure share per offset within 5 pp and
 * the time to first success P50/P90 within 10%, and its paired replay, on the lab's one clock
 * (the front's record of each first GET beside the landing), the lab's failures at every row
 * with no slack. Retry jitter is 0 here so the few pullers a
 * test can afford compare one deterministic schedule (with jitter the model's P50 is the
 * mean of a distribution the lab samples four times). Offsets 0, L and 3 s: at L the twin is
 * given the run's own lag spread (the deciles of ack -> landing beyond L), not a step.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { labCommand } from '../../lib/cli/commands/lab';
import { runScenarioCommand } from '../../lib/cli/commands/run';
import type { Twin } from '../../lib/k6/push-pull-race/twin';
import type { Envelope, Quantiles } from '../../lib/results/envelope';
import { K6, prerequisites, ROOT } from '../helpers/prereq';
import { labUpArgs } from './helpers/lab-up';

const LAB = 'racee2e';
const LAG_S = 1 + 2_000_600 / 2_000_000;
const canRun = prerequisites('stampede run push-pull-race --target lab', [ROOT, K6]);
let home: string;
const lines: string[] = [];
const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };
const runs: Record<string, { code: number; env: Envelope }> = {};

async function race(name: string, ...sets: string[]): Promise<void> {
  const out = join(home, name);
  const code = await runCommand(
    runScenarioCommand,
    ['push-pull-race', '--target', 'lab', '--name', LAB, '--out', out, ...sets.flatMap((s) => ['--set', s])],
    io,
  );
  runs[name] = { code, env: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Envelope };
}

beforeAll(async () => {
  if (!canRun) return;
  home = mkdtempSync(join(tmpdir(), 'stampede-race-'));
  process.env.STAMPEDE_LAB_HOME = home;
  const up = await runCommand(
    labCommand,
    labUpArgs(
      LAB,
      'lab.octet=21',
      'regions.names=eastus,westus',
      'storage.backends=1',
      'storage.copies=1',
      'replication.baseLagS=1',
      'replication.bandwidthBps=2000000',
    ),
    io,
  );
  expect(up, lines.join('\n')).toBe(0);
  const common = ['pullers=5', 'layers=1000000,1000000', 'roundS=8', 'fixedSleep.sleepS=3', 'retry.jitter=0'];
  await race('race', ...common, 'offsets=0,2,3', 'repeats=2');
  await race(
    'overwrite',
    ...common,
    'mode=overwrite',
    'overwrite.gapS=3',
    'offsets=0',
    'repeats=2',
    'strategies=none,retry',
  );
  await race(
    'delete',
    ...common,
    'mode=delete',
    'delete.gapS=3',
    'offsets=0',
    'repeats=2',
    'strategies=none,pin-home',
  );
}, 500_000);

afterAll(async () => {
  if (!canRun) return;
  await runCommand(labCommand, ['down', '--name', LAB], io);
  rmSync(home, { recursive: true, force: true });
}, 60_000);

const point = (env: Envelope, s: string) => env.points.find((p) => p.label === s)?.metrics ?? {};
const byOffset = (env: Envelope, s: string) =>
  point(env, s).byOffset as Array<{
    offsetS: number;
    pullers: number;
    failedShare: number;
    staleShare: number;
  }>;

describe.runIf(canRun)('push-pull-race on the lab', () => {
  it('pushes every round and counts every puller', () => {
    const { code, env } = runs.race as { code: number; env: Envelope };
    expect(code, lines.join('\n')).toBe(0);
    expect(env.metrics.pushes).toEqual({ ok: 6, failed: 0 });
    // A puller that heard of the ack after its offset had passed (a machine too loaded to wake
    // it in time) is counted apart, never raced: together they are every puller of every round.
    expect((env.metrics.pullers as number) + (env.metrics.latePullers as number)).toBe(30);
    expect(env.metrics.latePullers).toBeLessThanOrEqual(2);
  });

  it('none fails for every puller whose pull lands before the lag, and none after it', () => {
    const { env } = runs.race as { env: Envelope };
    const none = byOffset(env, 'none');
    expect(none.map((o) => o.offsetS)).toEqual([0, 2, 3]);
    expect(none[0]?.pullers).toBeGreaterThan(0);
    expect(none[0]?.failedShare).toBe(1);
    expect(none[2]?.failedShare).toBe(0);
    expect(
      (env.metrics.errors as { byCode: Record<string, number> }).byCode.MANIFEST_UNKNOWN,
    ).toBeGreaterThan(0);
  });

  it('retry, wait-webhook and pin-home end with 0 failed pulls', () => {
    const { env } = runs.race as { env: Envelope };
    for (const s of ['retry', 'wait-webhook', 'pin-home', 'fixed-sleep']) {
      expect(point(env, s).pullers, s).toBeGreaterThan(0);
      expect(point(env, s).failedPulls, s).toBe(0);
    }
  });

  it('measures the replication lag P50 within 10% of the configured lag', () => {
    const lag = (runs.race as { env: Envelope }).env.metrics.replicationLagS as Quantiles;
    expect(Math.abs(lag.p50 - LAG_S) / LAG_S).toBeLessThanOrEqual(0.1);
  });

  it('agrees with its simulated twin: failure share within 5 pp, time to success P50/P90 within 10%', () => {
    const twin = (runs.race as { env: Envelope }).env.metrics.twin as Twin;
    expect(twin.sets).toContain('replication.bandwidthBps=2000000');
    expect(twin.rows.length).toBe(15);
    // the run's own lag spread, not the configured jitter (0 here): it decides who fails at L
    expect(twin.lagSpread.from).toBe('measured');
    expect(twin.sets).toContain('replication.jitterS=0');
    // offset = L: the knife edge, where the lag's spread decides. Two rounds there: the lab's
    // share is 0, 1/2 or 1, so the check is the paired replay (each pull against its round's
    // landing); the distribution's share is its expectation, kept beside it.
    const atL = twin.rows.find((r) => r.strategy === 'none' && r.offsetS === 2);
    expect(atL?.labPullers).toBeGreaterThan(0);
    expect(atL?.simFailedShare).toBeGreaterThanOrEqual(0);
    // The replay is on the lab's one clock: each pull's first manifest GET as the pull region's
    // front recorded it (handed to the registry, answered) beside the tag's write window the
    // replicator recorded (its link file's mtime to its PUT's answer). Only a read window
    // overlapping the write window is undecided (the bracket [late, paired] opens), so the
    // lab's share lies inside the bracket with no slack at every row, the edge included.
    // Runs of 2026-12-05 (load average ~4.5 on 2 cores; the last beside a CPU burner): edge
    // lab 3/3, 2/2, 2/2, 1/2 failed; replay [1, 1], [0.5, 1], [1, 1], [0.5, 1]: 7 of 9 edge
    // pulls decided on the lab clock, all as the lab; every other row paired = late = lab.
    expect(twin.clock).toBe('lab');
    expect(twin.pairing.lab).toBeGreaterThan(0);
    // what the front answered to the first GETs at the edge is what k6 counted
    expect(atL?.firstGetMissShare, JSON.stringify(atL)).toBe(atL?.labFailedShare);
    for (const r of twin.rows) {
      const what = `${r.strategy} at ${r.offsetS} s: ${JSON.stringify(r)}`;
      // wait-webhook's first GET waits for its event, pin-home's asks A: on k6's clock. The
      // others on the lab's, or 'mixed' when a pull's first GET is missing from the front's
      // record and falls back to k6's clock: CI run of 2026-12-05 22:10 UTC, one of the two
      // edge pulls (not yet explained; the replay was still exact and equal to the lab).
      if (['wait-webhook', 'pin-home'].includes(r.strategy)) expect(r.pairedClock, what).toBe('k6');
      else expect(['lab', 'mixed'], what).toContain(r.pairedClock);
      if (r.pairedClock === 'mixed')
        console.log(`${r.strategy} at ${r.offsetS} s on k6's clock: ${r.labMissing}`);
      expect(r.pairedExact, what).toBe(true);
      expect(r.pairedOk, what).toBe(true);
      if (r.offsetS !== 2)
        expect(Math.abs(r.labFailedShare - r.simFailedShare), what).toBeLessThanOrEqual(0.05);
      // At L one pull's retry decides the distribution's P50 (the landing CI of a1734f9: a lab retry
      // pull found the tag at once, 2.001 s, where the distribution said 2.25 s): there the time
      // is checked by the paired replay, each pull timed by its own first GET's outcome.
      if (r.offsetS === 2) expect(r.timeOk !== false || r.pairedTimeOk === true, what).toBe(true);
      else expect(r.timeOk, what).not.toBe(false);
    }
  });

  it('overwrite: pulls right after the re-push resolve the old digest with none, the new one with retry', () => {
    const { code, env } = runs.overwrite as { code: number; env: Envelope };
    expect(code, lines.join('\n')).toBe(0);
    expect(env.metrics.pushes).toEqual({ ok: 4, failed: 0 });
    // d1 landed in westus before the re-push (gap 3 s > lag): the tag resolves, to d1.
    expect(byOffset(env, 'none')[0]).toMatchObject({ failedShare: 0, staleShare: 1 });
    // retry keeps what it got, as the model's: a stale answer is not an error to retry.
    expect(point(env, 'retry').failedPulls).toBe(0);
    const window = env.metrics.disagreementS as Quantiles;
    expect(Math.abs(window.p50 - LAG_S) / LAG_S).toBeLessThanOrEqual(0.1);
  });

  it('delete: right after the delete, westus still serves the deleted content (a ghost), A does not', () => {
    const { code, env } = runs.delete as { code: number; env: Envelope };
    expect(env.metrics.pushes).toEqual({ ok: 4, failed: 0 });
    expect(byOffset(env, 'none')[0]).toMatchObject({ ghostShare: 1 });
    // pin-home asks A, where the delete already is: MANIFEST_UNKNOWN (no content, as meant).
    expect(point(env, 'pin-home').failedShare).toBe(1);
    expect(code, lines.join('\n')).toBe(0);
    // the delete carries no bytes: it lands after the base lag alone
    const window = env.metrics.disagreementS as Quantiles;
    expect(window.p50).toBeGreaterThanOrEqual(0.9);
    expect(window.p50).toBeLessThanOrEqual(1.5);
  });
});
