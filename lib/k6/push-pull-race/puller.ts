/**
 * One puller's round in the push-pull race, as plain logic over the k6 client library (the
 * `http` interface, a clock, a sleep and a random source come in as arguments, so vitest
 * drives it with a recording fake and k6 with its own modules).
 *
 * A round: wait for the push's ack (poll the push region's endpoint for the round's tag),
 * wait the offset, then pull from the pull region by the puller's strategy. "Success" is the
 * instant the manifest GET that led to a complete pull answered (the simulator's "the tag
 * resolves"); the blobs are then fetched and checked so a manifest whose blobs are missing
 * (BLOB_UNKNOWN) is a failure, not a success.
 */
import { responseErrorCode } from '../../oci/error-body';
import { parseManifest } from '../../oci/manifest';
import { MANIFEST_ACCEPT } from '../../oci/media-types';
import { TRACE_HEADER } from '../../oci/trace-header';
import { checkedBody, getBlobs } from '../vu/blob';
import { codeOf, PullError } from '../vu/errors';
import type { VuHttp } from '../vu/http';
import type { RaceParams, RaceStrategy } from './params';

export interface Clock {
  /** ms since the epoch */
  now(): number;
  sleep(seconds: number): void;
  random(): number;
}

export interface AckSeen {
  /** When the puller saw the tag in the push region (ms epoch). */
  seenAt: number;
  digest: string;
  /** The tag was already there at the first look: the puller came late, its offset is not the asked one. */
  late: boolean;
}

const digestOf = (headers: Record<string, string>): string =>
  headers['Docker-Content-Digest'] ?? headers['docker-content-digest'] ?? '';

interface TagPoll {
  base: string;
  repo: string;
  tag: string;
  auth: Record<string, string>;
  pollS: number;
  maxPolls: number;
}

/**
 * HEADs repo:tag at `base` every pollS, at most `maxPolls` times, until `seen` reads a digest
 * out of the answer ('' : not yet). `late` when it was already so at the first look.
 */
function pollTag(
  http: VuHttp,
  c: Clock,
  o: TagPoll,
  seen: (res: { status: number; headers: Record<string, string> }) => string,
): AckSeen | null {
  for (let i = 0; i < o.maxPolls; i++) {
    const res = http.request('HEAD', `${o.base}/v2/${o.repo}/manifests/${o.tag}`, null, {
      headers: { ...o.auth, accept: MANIFEST_ACCEPT },
      tags: { step: 'ack-poll' },
    });
    const digest = seen(res);
    if (digest) return { seenAt: c.now(), digest, late: i === 0 };
    c.sleep(o.pollS);
  }
  return null;
}

/**
 * Polls `base` for repo:tag until it resolves to a digest other than `notDigest`. Null when
 * it never did (the push failed: nothing to race).
 */
export function waitForTag(http: VuHttp, c: Clock, o: TagPoll & { notDigest?: string }): AckSeen | null {
  return pollTag(http, c, o, (res) => {
    const digest = res.status === 200 ? digestOf(res.headers) : '';
    return digest !== o.notDigest ? digest : '';
  });
}

/** Polls `base` until repo:tag is gone (a delete reached A). */
export function waitForGone(http: VuHttp, c: Clock, o: TagPoll & { digest: string }): AckSeen | null {
  return pollTag(http, c, o, (res) => (res.status === 404 ? o.digest : ''));
}

/**
 * Waits for the pusher's ack of (round, phase) on the run's board (a long poll, at most
 * `maxPolls` asks). The ack carries the pusher's own instant, so `seenAt` is that instant.
 */
export function waitForBoardAck(
  http: VuHttp,
  c: Clock,
  o: { acksUrl: string; round: number; phase: string; maxPolls: number },
): AckSeen | null {
  for (let i = 0; i < o.maxPolls; i++) {
    const res = http.request('GET', `${o.acksUrl}?round=${o.round}&phase=${o.phase}`, null, {
      tags: { step: 'ack-wait' },
      timeout: '30s',
    });
    if (res.status === 200) {
      try {
        const ack = JSON.parse(String(res.body)) as { ackMs?: unknown; digest?: unknown; failed?: unknown };
        // The push failed midway: there is nothing to race.
        if (ack.failed !== undefined) return null;
        if (typeof ack.ackMs === 'number' && typeof ack.digest === 'string')
          return { seenAt: ack.ackMs, digest: ack.digest, late: false };
      } catch {
        // not an ack: ask again
      }
    }
    if (res.status === 0) c.sleep(0.1);
  }
  return null;
}

export interface Attempt {
  ok: boolean;
  /** When the manifest GET was sent (ms epoch): the simulator's instant of the pull. */
  sentAt: number;
  /** When the manifest answer arrived (ms epoch). */
  at: number;
  digest?: string;
  code?: string;
}

// The header a lab front records a request by: when the GET reached the pull region and what
// it answered, on the lab's clock, beside the landing.
export { TRACE_HEADER };

/** One pull attempt: manifest by tag (marked with `trace` when given), then every blob checked. */
export function pullAttempt(
  http: VuHttp,
  c: Clock,
  o: {
    base: string;
    repo: string;
    tag: string;
    auth: Record<string, string>;
    sha256hex?: (b: ArrayBuffer) => string;
    trace?: string;
  },
): Attempt {
  const sentAt = c.now();
  const res = http.request('GET', `${o.base}/v2/${o.repo}/manifests/${o.tag}`, null, {
    headers: { ...o.auth, accept: MANIFEST_ACCEPT, ...(o.trace ? { [TRACE_HEADER]: o.trace } : {}) },
    tags: { step: 'manifest' },
  });
  const at = c.now();
  if (res.status !== 200) return { ok: false, sentAt, at, code: responseErrorCode(res) };
  const digest = digestOf(res.headers);
  try {
    const parsed = parseManifest(
      String(res.body),
      res.headers['Content-Type'] ?? res.headers['content-type'],
    );
    if (parsed.kind !== 'manifest')
      throw new PullError('MANIFEST_INVALID', 'the race pushes image manifests');
    const blobs = [parsed.config, ...parsed.layers];
    getBlobs(http, o.base, o.repo, blobs, o.auth).forEach(({ res: b }, k) => {
      checkedBody(blobs[k] as (typeof blobs)[number], b, o.sha256hex ? { sha256hex: o.sha256hex } : {});
    });
    return { ok: true, sentAt, at, digest };
  } catch (e) {
    return { ok: false, sentAt, at, digest, code: codeOf(e) };
  }
}

export interface PullerOutcome {
  /** ok: the raced digest; stale: another digest (overwrite: d1); else the failure's code. */
  result: string;
  /** When the successful attempt's manifest answered (ms epoch); null on failure. */
  resolvedAt: number | null;
  /** When that attempt was sent (ms epoch); null on failure. */
  sentAt: number | null;
  /** When the first pull was sent (ms epoch). */
  startAt: number;
  attempts: number;
  errors: Record<string, number>;
  digest: string;
}

export interface StrategyTargets {
  /** The pull region's endpoint. */
  pullBase: string;
  /** The push region's endpoint (pin-home). */
  homeBase: string;
  /** Auth for each (one token per endpoint). */
  pullAuth: Record<string, string>;
  homeAuth: Record<string, string>;
  /** Where wait-webhook reads events; its host names the pull region's replica. */
  eventsUrl: string;
  pullHost: string;
}

/** Back-off before attempt a + 1 (a from 0): the simulator's formula (sim/models/backoff.ts). */
export function backoffS(a: number, r: RaceParams['retry'], random: () => number): number {
  const d = Math.min(r.capS, r.baseS * 2 ** Math.max(0, a));
  return d * (1 - r.jitter) + random() * d * r.jitter;
}

interface AcrEventLike {
  action?: string;
  target?: { digest?: string };
  request?: { host?: string };
}

/** Whether `events` (a JSON array of ACR webhook events) has the push of `digest` at `host`. */
export function hasEvent(body: unknown, digest: string, host: string): boolean {
  let list: unknown;
  try {
    list = JSON.parse(String(body));
  } catch {
    return false;
  }
  if (!Array.isArray(list)) return false;
  const want = host.replace(/:\d+$/, '');
  return list.some((e: AcrEventLike) => {
    const h = (e?.request?.host ?? '').replace(/:\d+$/, '');
    return e?.action === 'push' && e.target?.digest === digest && h === want;
  });
}

/** The pull part of a round, after the ack was seen and the offset waited. */
export function pullByStrategy(
  http: VuHttp,
  c: Clock,
  p: Pick<RaceParams, 'retry' | 'fixedSleep' | 'webhook'>,
  strategy: RaceStrategy,
  t: StrategyTargets,
  o: {
    repo: string;
    tag: string;
    digest: string;
    sha256hex?: (b: ArrayBuffer) => string;
    /** Delete mode: the raced digest was deleted, so getting it is a ghost. */
    deleted?: boolean;
    /** This puller's id for the round: attempt k's manifest GET carries TRACE_HEADER `<trace>.<k>`. */
    trace?: string;
  },
): PullerOutcome {
  const errors: Record<string, number> = {};
  let attempts = 0;
  let startAt = 0;
  const once = (base: string, auth: Record<string, string>): Attempt => {
    if (attempts === 0) startAt = c.now();
    attempts++;
    const a = pullAttempt(http, c, {
      base,
      repo: o.repo,
      tag: o.tag,
      auth,
      ...(o.sha256hex ? { sha256hex: o.sha256hex } : {}),
      ...(o.trace ? { trace: `${o.trace}.${attempts}` } : {}),
    });
    if (!a.ok) errors[a.code ?? 'UNKNOWN'] = (errors[a.code ?? 'UNKNOWN'] ?? 0) + 1;
    return a;
  };
  const end = (a: Attempt): PullerOutcome => ({
    result: a.ok ? (a.digest !== o.digest ? 'stale' : o.deleted ? 'ghost' : 'ok') : (a.code ?? 'UNKNOWN'),
    resolvedAt: a.ok ? a.at : null,
    sentAt: a.ok ? a.sentAt : null,
    startAt,
    attempts,
    errors,
    digest: a.digest ?? '',
  });

  switch (strategy) {
    case 'none':
      return end(once(t.pullBase, t.pullAuth));
    case 'pin-home':
      return end(once(t.homeBase, t.homeAuth));
    case 'fixed-sleep':
      c.sleep(p.fixedSleep.sleepS);
      return end(once(t.pullBase, t.pullAuth));
    case 'wait-webhook': {
      const from = c.now();
      for (let i = 0; i < p.webhook.maxPolls; i++) {
        const url = `${t.eventsUrl}${t.eventsUrl.includes('?') ? '&' : '?'}digest=${encodeURIComponent(o.digest)}`;
        const res = http.request('GET', url, null, { tags: { step: 'events' } });
        if (res.status === 200 && hasEvent(res.body, o.digest, t.pullHost))
          return end(once(t.pullBase, t.pullAuth));
        c.sleep(p.webhook.pollS);
      }
      errors.NO_EVENT = 1;
      return {
        result: 'NO_EVENT',
        resolvedAt: null,
        sentAt: null,
        startAt: from,
        attempts: 0,
        errors,
        digest: '',
      };
    }
    case 'retry': {
      for (let a = 0; ; a++) {
        const r = once(t.pullBase, t.pullAuth);
        if (r.ok || a + 1 >= p.retry.maxAttempts) return end(r);
        c.sleep(backoffS(a, p.retry, c.random));
      }
    }
  }
}
