/**
 * Push then cross-region pull (lib/k6/push-pull-race): one pusher VU pushes a fresh image
 * (random layers) to region A every roundS; M puller VUs "in" region B wait for that push's
 * ack, wait the round's offset and pull through B's endpoint by their strategy. Runs
 * unchanged against the lab and a real registry with regional endpoints.
 *
 * How pullers learn the ack (k6 VUs share nothing): the round's tag itself. Pullers sleep
 * until the round's scheduled push (a schedule setup() hands every VU), then poll A's
 * endpoint for the tag every ackPollS; A holds the tag from the moment it answers the
 * manifest PUT. The pusher records its own ack instant; the run joins both afterwards, so
 * every "time since ack" is measured from the pusher's ack, and the few ms the pullers saw
 * it late are reported (ackSeenS), not hidden.
 *   STAMPEDE_PARAMS      the validated parameters as JSON (lib/k6/push-pull-race/params.ts)
 *   STAMPEDE_RACE_PUSH/_PULL/_EVENTS  lab runs: A's and B's regional endpoints, the event board
 *   credentials          as cold-pull (push scope needed)
 */
import { sleep } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import type { RaceScriptParams, RaceStrategy } from '../lib/k6/push-pull-race/params';
import {
  type AckSeen,
  type Clock,
  pullByStrategy,
  waitForBoardAck,
  waitForGone,
  waitForTag,
} from '../lib/k6/push-pull-race/puller';
import * as vu from '../lib/k6/vu';
import { pushImage } from '../lib/k6/vu/push';

const P = vu.scriptParams<RaceScriptParams>(__ENV.STAMPEDE_PARAMS);
const trim = (u: string) => u.replace(/\/$/, '');
const PUSH = trim(__ENV.STAMPEDE_RACE_PUSH || P.endpoints.push || P.baseUrl);
const PULL = trim(__ENV.STAMPEDE_RACE_PULL || P.endpoints.pull || P.baseUrl);
const EVENTS = __ENV.STAMPEDE_RACE_EVENTS || P.endpoints.events;
/** Lab runs: where the pusher posts its ack and pullers wait for it (else they poll A for the tag). */
const ACKS = __ENV.STAMPEDE_RACE_ACKS || '';
const LATE_MS = 250;
const CREDS = vu.credentialSettings(__ENV);
const ROUNDS = P.repeats * P.offsets.length;
const maxDuration = `${P.maxDurationS}s`;

export const options = {
  scenarios: {
    pusher: { executor: 'per-vu-iterations', exec: 'pusher', vus: 1, iterations: ROUNDS, maxDuration },
    pullers: {
      executor: 'per-vu-iterations',
      exec: 'puller',
      vus: P.pullers,
      iterations: ROUNDS,
      maxDuration,
    },
  },
  hosts: P.hosts ?? {},
  setupTimeout: '60s',
  maxRedirects: 0,
  systemTags: vu.SAFE_SYSTEM_TAGS,
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

const pushes = new Trend('race_push');
const pulls = new Trend('race_pull');
const errors = new Counter('errors');
const throttled = new Counter('throttled');
const named = vu.withSafeNames(vu.fromK6(http));
const client = vu.withRetry(named, {
  maxRetries: P.maxRetries,
  sleep,
  random: Math.random,
  onThrottle: (status, step) => throttled.add(1, { code: String(status), what: step }),
});
const clock: Clock = { now: () => Date.now(), sleep, random: Math.random };
const sha256hex = (b: ArrayBuffer | string) => crypto.sha256(b, 'hex');

interface Shared {
  refreshToken?: string;
  /** Tags of this run: race-<nonce>-<round>. */
  nonce: string;
  /** Round 0's scheduled push (ms epoch). */
  startMs: number;
}

export function setup(): Shared {
  return {
    ...vu.loginOnce(named, PUSH, CREDS),
    nonce: Math.random().toString(16).slice(2, 10),
    // VUs are initialised before setup(): a second is enough for every puller to be waiting.
    startMs: Date.now() + 1000,
  };
}

/** k6's end-of-test summary where the run command asks, minus setup_data (the refresh token). */
export function handleSummary(data: Record<string, unknown>): Record<string, string> {
  const { setup_data: _secret, ...rest } = data;
  return __ENV.STAMPEDE_K6_SUMMARY ? { [__ENV.STAMPEDE_K6_SUMMARY]: JSON.stringify(rest, null, 2) } : {};
}

const tagOf = (d: Shared, round: number) => `race-${d.nonce}-${round}`;
const sleepUntil = (ms: number) => {
  const s = (ms - Date.now()) / 1000;
  if (s > 0) sleep(s);
};
const token = (d: Shared, base: string, actions: string[]) =>
  vu.bearer(vu.registryToken(client, base, vu.vuCredentials(CREDS, d), [{ repo: P.repository, actions }]));

const postAck = (body: Record<string, unknown>) => {
  if (ACKS)
    named.request('POST', ACKS, JSON.stringify(body), {
      headers: { 'content-type': 'application/json' },
      tags: { step: 'ack-post' },
    });
};

/** Pushes the round's image; its digest, or null when the push failed midway. */
function pushOnce(d: Shared, round: number, phase: string, auth: Record<string, string>): string | null {
  const start = Date.now();
  try {
    const pushed = pushImage(client, {
      base: PUSH,
      repo: P.repository,
      tag: tagOf(d, round),
      layers: P.layers.map((n) => {
        const data = crypto.randomBytes(n);
        return { data, digest: `sha256:${sha256hex(data)}` };
      }),
      sha256hex,
      auth,
    });
    const ack = Date.now();
    postAck({ round, phase, ackMs: ack, digest: pushed.digest });
    pushes.add(ack, {
      round: String(round),
      phase,
      result: 'ok',
      digest: pushed.digest,
      startMs: String(start),
      bytes: String(pushed.bytes),
    });
    return pushed.digest;
  } catch (e) {
    // A push that failed midway wrote no tag: nothing for the pullers to find, never a success.
    const code = vu.codeOf(e);
    errors.add(1, { code, what: 'push' });
    pushes.add(0, { round: String(round), phase, result: code, startMs: String(start) });
    console.error(`push of round ${round} (${phase}) failed [${code}]: ${(e as Error).message}`);
    postAck({ round, phase, failed: code });
    return null;
  }
}

/** Deletes the round's manifest at A (by digest, as ACR and distribution delete). */
function deleteOnce(round: number, digest: string, auth: Record<string, string>): void {
  const start = Date.now();
  const res = client.request('DELETE', `${PUSH}/v2/${P.repository}/manifests/${digest}`, null, {
    headers: auth,
    tags: { step: 'manifest-delete' },
  });
  const ack = Date.now();
  const ok = res.status === 202;
  const code = ok ? 'ok' : vu.codeOf(vu.failed('manifest delete', res));
  if (!ok) errors.add(1, { code, what: 'delete' });
  pushes.add(ok ? ack : 0, {
    round: String(round),
    phase: 'del',
    result: code,
    digest,
    startMs: String(start),
  });
  postAck(ok ? { round, phase: 'del', ackMs: ack, digest } : { round, phase: 'del', failed: code });
}

export function pusher(d: Shared): void {
  const round = exec.vu.iterationInScenario;
  sleepUntil(d.startMs + round * P.roundS * 1000);
  const auth = token(d, PUSH, P.mode === 'delete' ? ['pull', 'push', 'delete'] : ['pull', 'push']);
  const d1 = pushOnce(d, round, 'd1', auth);
  if (P.mode === 'overwrite') {
    sleep(P.overwrite.gapS);
    pushOnce(d, round, 'd2', auth);
  }
  if (P.mode === 'delete' && d1) {
    sleep(P.delete.gapS);
    deleteOnce(round, d1, auth);
  }
}

export function puller(d: Shared): void {
  const round = exec.vu.iterationInScenario;
  const strategy = P.strategies[(exec.vu.idInTest + round) % P.strategies.length] as RaceStrategy;
  const offsetS = P.offsets[round % P.offsets.length] as number;
  const tag = tagOf(d, round);
  // Marks this puller's manifest GETs (attempt k: `<trace>.<k>`): a lab front records when each
  // reached it and what it answered, on the clock the landing is stamped with.
  const trace = `${d.nonce}/${round}/${exec.vu.idInTest}`;
  const tags: Record<string, string> = { round: String(round), strategy, offset: String(offsetS), trace };
  const record = (value: number, more: Record<string, string>) => pulls.add(value, { ...tags, ...more });
  const scheduled = d.startMs + round * P.roundS * 1000;
  try {
    // Tokens first (they are not what is raced), then wait for the round's push.
    const homeAuth = token(d, PUSH, ['pull']);
    const pullAuth = PULL === PUSH ? homeAuth : token(d, PULL, ['pull']);
    sleepUntil(scheduled);
    const poll = {
      base: PUSH,
      repo: P.repository,
      tag,
      auth: homeAuth,
      pollS: P.ackPollS,
      maxPolls: Math.ceil(P.roundS / P.ackPollS),
    };
    const phase = P.mode === 'overwrite' ? 'd2' : P.mode === 'delete' ? 'del' : 'd1';
    let ack: AckSeen | null;
    if (ACKS) {
      ack = waitForBoardAck(client, clock, {
        acksUrl: ACKS,
        round,
        phase,
        maxPolls: Math.ceil((P.roundS + P.overwrite.gapS + P.delete.gapS) / 5) + 2,
      });
    } else {
      ack = waitForTag(client, clock, poll);
      if (ack && P.mode === 'overwrite') {
        // d1 is up; the race is the re-push's: wait for A to answer another digest.
        sleep(P.overwrite.gapS * 0.8);
        const d2 = waitForTag(client, clock, { ...poll, notDigest: ack.digest });
        ack = d2 && { ...d2, late: ack.late };
      }
      if (ack && P.mode === 'delete') {
        // the push is up; the race is its delete: wait for A to answer 404.
        sleep(P.delete.gapS * 0.8);
        const gone = waitForGone(client, clock, { ...poll, digest: ack.digest });
        ack = gone && { ...gone, late: ack.late };
      }
    }
    if (!ack) {
      record(0, { result: 'NO_PUSH' });
      return;
    }
    // Past the asked offset already (the previous round overran): counted apart, not raced.
    const late = ack.late || Date.now() > ack.seenAt + offsetS * 1000 + LATE_MS;
    sleepUntil(ack.seenAt + offsetS * 1000);
    const out = pullByStrategy(
      client,
      clock,
      P,
      strategy,
      {
        pullBase: PULL,
        homeBase: PUSH,
        pullAuth,
        homeAuth,
        eventsUrl: EVENTS,
        pullHost: PULL.replace(/^https?:\/\//, ''),
      },
      { repo: P.repository, tag, digest: ack.digest, sha256hex, deleted: P.mode === 'delete', trace },
    );
    for (const [code, n] of Object.entries(out.errors)) errors.add(n, { code, strategy });
    record(out.resolvedAt ?? 0, {
      result: out.result,
      late: String(late),
      sentAt: String(out.sentAt ?? 0),
      seenAt: String(ack.seenAt),
      startAt: String(out.startAt),
      attempts: String(out.attempts),
      errs: Object.entries(out.errors)
        .map(([c, n]) => `${c}:${n}`)
        .join(','),
      digest: out.digest,
      expected: ack.digest,
    });
  } catch (e) {
    const code = vu.codeOf(e);
    errors.add(1, { code, strategy });
    record(0, { result: code, errs: `${code}:1` });
    console.error(`vu ${exec.vu.idInTest} round ${round} failed [${code}]: ${(e as Error).message}`);
  }
}
