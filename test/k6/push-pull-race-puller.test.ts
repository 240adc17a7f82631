/**
 * The push-pull-race puller and the VU push, against a recording fake of k6's http: what each
 * strategy sends and when, what counts as a success (the manifest and every blob) and what a
 * failure is counted by (the OCI code), on a fake clock.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolve } from '../../lib/config/schema';
import { raceSchema } from '../../lib/k6/push-pull-race/params';
import {
  backoffS,
  type Clock,
  hasEvent,
  pullByStrategy,
  TRACE_HEADER,
  waitForBoardAck,
  waitForGone,
  waitForTag,
} from '../../lib/k6/push-pull-race/puller';
import { pushImage } from '../../lib/k6/vu/push';
import { OCI_MANIFEST } from '../../lib/oci/media-types';
import { type Answer, bytes, fakeHttp, json, ociError, type Recorded } from './vu/fake-http';

const sha = (b: ArrayBuffer | string) =>
  createHash('sha256')
    .update(typeof b === 'string' ? b : Buffer.from(b))
    .digest('hex');
const LAYER = bytes('layer-bytes');
const LAYER_D = `sha256:${sha(LAYER)}`;
const CONFIG = bytes('{}');
const CONFIG_D = `sha256:${sha(CONFIG)}`;
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: CONFIG_D,
    size: CONFIG.byteLength,
  },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: LAYER_D, size: LAYER.byteLength },
  ],
});
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const P = resolve(
  raceSchema,
  [],
  ['retry.jitter=0', 'retry.baseS=0.25', 'retry.capS=2', 'retry.maxAttempts=4'],
);

/** A fake clock: sleep moves time, every request takes 10 ms. */
function fakeClock(): Clock & { t: number; sleeps: number[] } {
  const c = {
    t: 1_000_000,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: (s: number) => {
      c.sleeps.push(s);
      c.t += s * 1000;
    },
    random: () => 0.5,
  };
  return c;
}

/** A replica that holds the tag from `landsAt` (clock ms) as `digest`; blobs missing when told. */
function replica(
  clock: { t: number },
  o: { landsAt: number; digest?: string; blobsMissing?: boolean; home?: boolean },
) {
  return (r: Recorded): Answer => {
    clock.t += 10;
    const home = r.url.startsWith('http://a');
    const has = o.home === undefined ? home || clock.t >= o.landsAt : clock.t >= o.landsAt;
    if (r.url.includes('/events')) return json(200, []);
    if (r.url.includes('/manifests/'))
      return has
        ? {
            status: 200,
            body: MANIFEST,
            headers: { 'Content-Type': OCI_MANIFEST, 'Docker-Content-Digest': o.digest ?? D1 },
          }
        : ociError(404, 'MANIFEST_UNKNOWN');
    if (r.url.includes(`/blobs/${LAYER_D}`))
      return o.blobsMissing && !home ? ociError(404, 'BLOB_UNKNOWN') : { status: 200, body: LAYER };
    if (r.url.includes(`/blobs/${CONFIG_D}`)) return { status: 200, body: CONFIG };
    return { status: 500 };
  };
}

const targets = {
  pullBase: 'http://b',
  homeBase: 'http://a',
  pullAuth: { authorization: 'Bearer b' },
  homeAuth: { authorization: 'Bearer a' },
  eventsUrl: 'http://board/events',
  pullHost: 'b',
};
const race = { repo: 'app', tag: 'race-x-0', digest: D1, sha256hex: sha };

describe('pullByStrategy', () => {
  it('none: one GET; before the content lands it fails with MANIFEST_UNKNOWN', () => {
    const c = fakeClock();
    const http = fakeHttp(replica(c, { landsAt: c.t + 2000 }));
    const out = pullByStrategy(http, c, P, 'none', targets, race);
    expect(out).toMatchObject({
      result: 'MANIFEST_UNKNOWN',
      resolvedAt: null,
      attempts: 1,
      errors: { MANIFEST_UNKNOWN: 1 },
    });
    expect(http.log.map((r) => r.url)).toEqual(['http://b/v2/app/manifests/race-x-0']);
  });

  it("retry: backs off by the simulator's formula until the tag resolves, then fetches every blob", () => {
    const c = fakeClock();
    const start = c.t;
    const http = fakeHttp(replica(c, { landsAt: start + 700 }));
    const out = pullByStrategy(http, c, P, 'retry', targets, race);
    // jitter 0: 0.25 s, then 0.5 s; the third GET (sent at +0.77 s) finds it.
    expect(c.sleeps).toEqual([0.25, 0.5]);
    expect(out).toMatchObject({ result: 'ok', attempts: 3, errors: { MANIFEST_UNKNOWN: 2 } });
    expect(out.sentAt).toBe(start + 10 + 250 + 10 + 500);
    expect(http.log.filter((r) => r.url.includes('/blobs/')).map((r) => r.url)).toEqual([
      `http://b/v2/app/blobs/${CONFIG_D}`,
      `http://b/v2/app/blobs/${LAYER_D}`,
    ]);
  });

  it("marks each manifest GET with the puller's trace and its attempt (what a lab front records), nothing else", () => {
    const c = fakeClock();
    const http = fakeHttp(replica(c, { landsAt: c.t + 700 }));
    pullByStrategy(http, c, P, 'retry', targets, { ...race, trace: 'n1/4/7' });
    const marks = http.log.map((r) => [
      r.url.replace(/^.*\/(manifests|blobs)\/.*$/, '$1'),
      r.params?.headers?.[TRACE_HEADER],
    ]);
    expect(marks).toEqual([
      ['manifests', 'n1/4/7.1'],
      ['manifests', 'n1/4/7.2'],
      ['manifests', 'n1/4/7.3'],
      ['blobs', undefined],
      ['blobs', undefined],
    ]);
    // unmarked when no trace is given (a k6 run that does not ask)
    const plain = fakeHttp(replica(c, { landsAt: 0 }));
    pullByStrategy(plain, c, P, 'none', targets, race);
    expect(plain.log.every((r) => r.params?.headers?.[TRACE_HEADER] === undefined)).toBe(true);
  });

  it('retry gives up after maxAttempts with the last code', () => {
    const c = fakeClock();
    const out = pullByStrategy(
      fakeHttp(replica(c, { landsAt: Number.POSITIVE_INFINITY })),
      c,
      P,
      'retry',
      targets,
      race,
    );
    expect(out).toMatchObject({ result: 'MANIFEST_UNKNOWN', attempts: 4, errors: { MANIFEST_UNKNOWN: 4 } });
    expect(c.sleeps).toEqual([0.25, 0.5, 1, 2].slice(0, 3));
  });

  it('a manifest whose blobs are missing is a failure counted as BLOB_UNKNOWN, never a success', () => {
    const c = fakeClock();
    const out = pullByStrategy(
      fakeHttp(replica(c, { landsAt: 0, blobsMissing: true })),
      c,
      P,
      'none',
      targets,
      race,
    );
    expect(out).toMatchObject({ result: 'BLOB_UNKNOWN', resolvedAt: null, errors: { BLOB_UNKNOWN: 1 } });
  });

  it('another digest than the raced one is stale (a success with old content)', () => {
    const c = fakeClock();
    const out = pullByStrategy(fakeHttp(replica(c, { landsAt: 0, digest: D2 })), c, P, 'none', targets, race);
    expect(out).toMatchObject({ result: 'stale', digest: D2 });
    expect(out.resolvedAt).not.toBeNull();
  });

  it('delete mode: the deleted digest still resolving is a ghost', () => {
    const c = fakeClock();
    const out = pullByStrategy(fakeHttp(replica(c, { landsAt: 0 })), c, P, 'none', targets, {
      ...race,
      deleted: true,
    });
    expect(out.result).toBe('ghost');
  });

  it('pin-home pulls from the push region', () => {
    const c = fakeClock();
    const http = fakeHttp(replica(c, { landsAt: Number.POSITIVE_INFINITY }));
    expect(pullByStrategy(http, c, P, 'pin-home', targets, race).result).toBe('ok');
    expect(http.log[0]?.url).toBe('http://a/v2/app/manifests/race-x-0');
    expect(http.log[0]?.params.headers).toMatchObject({ authorization: 'Bearer a' });
  });

  it('fixed-sleep waits its sleep, then one GET', () => {
    const c = fakeClock();
    const http = fakeHttp(replica(c, { landsAt: c.t + 2000 }));
    const out = pullByStrategy(
      http,
      c,
      resolve(raceSchema, [], ['fixedSleep.sleepS=3']),
      'fixed-sleep',
      targets,
      race,
    );
    expect(c.sleeps).toEqual([3]);
    expect(out.result).toBe('ok');
  });

  it("wait-webhook polls the events for its region's push of the digest, then pulls once", () => {
    const c = fakeClock();
    let polls = 0;
    const base = replica(c, { landsAt: 0 });
    const http = fakeHttp((r) => {
      if (!r.url.includes('/events')) return base(r);
      polls++;
      return json(200, polls < 3 ? [] : [{ action: 'push', target: { digest: D1 }, request: { host: 'b' } }]);
    });
    const out = pullByStrategy(http, c, P, 'wait-webhook', targets, race);
    expect(out).toMatchObject({ result: 'ok', attempts: 1 });
    expect(http.log[0]?.url).toBe(`http://board/events?digest=${encodeURIComponent(D1)}`);
    expect(http.log.filter((r) => r.url.includes('/manifests/'))).toHaveLength(1);
  });

  it('wait-webhook gives up after maxPolls (NO_EVENT), bounded', () => {
    const c = fakeClock();
    const p = resolve(raceSchema, [], ['webhook.maxPolls=5']);
    const http = fakeHttp(replica(c, { landsAt: 0 }));
    expect(pullByStrategy(http, c, p, 'wait-webhook', targets, race).result).toBe('NO_EVENT');
    expect(http.log).toHaveLength(5);
  });
});

describe('acks', () => {
  it('hasEvent matches action push, the digest and the host without its port', () => {
    const ev = [{ action: 'push', target: { digest: D1 }, request: { host: 'reg.westus.geo.x' } }];
    expect(hasEvent(JSON.stringify(ev), D1, 'reg.westus.geo.x:8080')).toBe(true);
    expect(hasEvent(JSON.stringify(ev), D2, 'reg.westus.geo.x:8080')).toBe(false);
    expect(hasEvent(JSON.stringify(ev), D1, 'reg.eastus.geo.x')).toBe(false);
    expect(hasEvent('not json', D1, 'x')).toBe(false);
  });

  it('waitForTag: the first digest other than notDigest; late when it was there at the first look', () => {
    const c = fakeClock();
    const http = fakeHttp(replica(c, { landsAt: c.t + 100, home: false }));
    const seen = waitForTag(http, c, {
      base: 'http://b',
      repo: 'app',
      tag: 't',
      auth: {},
      pollS: 0.025,
      maxPolls: 100,
    });
    expect(seen).toMatchObject({ digest: D1, late: false });
    expect(http.log.every((r) => r.method === 'HEAD')).toBe(true);
    const none = waitForTag(http, c, {
      base: 'http://b',
      repo: 'app',
      tag: 't',
      auth: {},
      pollS: 0.025,
      maxPolls: 3,
      notDigest: D1,
    });
    expect(none).toBeNull();
  });

  it("waitForBoardAck: the pusher's own ack instant, and null for a push that failed midway", () => {
    const c = fakeClock();
    const ok = fakeHttp(() => json(200, { round: 0, phase: 'd1', ackMs: 42, digest: D1 }));
    expect(
      waitForBoardAck(ok, c, { acksUrl: 'http://board/acks', round: 0, phase: 'd1', maxPolls: 2 }),
    ).toEqual({
      seenAt: 42,
      digest: D1,
      late: false,
    });
    const failed = fakeHttp(() => json(200, { round: 0, phase: 'd1', failed: 'BLOB_UPLOAD_INVALID' }));
    expect(
      waitForBoardAck(failed, c, { acksUrl: 'http://board/acks', round: 0, phase: 'd1', maxPolls: 2 }),
    ).toBeNull();
    const never = fakeHttp(() => ({ status: 204 }));
    expect(
      waitForBoardAck(never, c, { acksUrl: 'http://board/acks', round: 0, phase: 'd1', maxPolls: 3 }),
    ).toBeNull();
    expect(never.log).toHaveLength(3);
  });

  it('waitForGone: the first 404 of the tag in A (the delete reached it)', () => {
    const c = fakeClock();
    let n = 0;
    const http = fakeHttp(() => (++n < 3 ? { status: 200 } : ociError(404, 'MANIFEST_UNKNOWN')));
    const gone = waitForGone(http, c, {
      base: 'http://a',
      repo: 'app',
      tag: 't',
      auth: {},
      pollS: 0.025,
      maxPolls: 9,
      digest: D1,
    });
    expect(gone).toMatchObject({ digest: D1, late: false });
    expect(n).toBe(3);
  });

  it('backoffS is d(1 - jitter) + U(0, d·jitter), d doubling to the cap', () => {
    const r = { baseS: 1, capS: 5, jitter: 0.5, maxAttempts: 9 };
    expect([0, 1, 2, 3].map((a) => backoffS(a, r, () => 0))).toEqual([0.5, 1, 2, 2.5]);
    expect(backoffS(3, r, () => 1)).toBe(5);
  });
});

describe('pushImage (lib/k6/vu/push.ts)', () => {
  const registry = (failAt?: number) => {
    let uploads = 0;
    return fakeHttp((r) => {
      if (r.method === 'POST')
        return { status: 202, headers: { Location: `/v2/app/blobs/uploads/u${uploads}` } };
      if (r.method === 'PUT' && r.url.includes('/blobs/uploads/'))
        return ++uploads === failAt ? ociError(400, 'BLOB_UPLOAD_INVALID') : { status: 201 };
      if (r.method === 'PUT' && r.url.includes('/manifests/'))
        return { status: 201, headers: { 'Docker-Content-Digest': `sha256:${sha(String(r.body))}` } };
      return { status: 500 };
    });
  };

  it('uploads the config, every layer, then the manifest by tag naming them', () => {
    const http = registry();
    const layers = [bytes('a'), bytes('bb')].map((data) => ({ data, digest: `sha256:${sha(data)}` }));
    const out = pushImage(http, {
      base: 'http://a',
      repo: 'app',
      tag: 'v1',
      layers,
      sha256hex: sha,
      auth: {},
    });
    const put = http.log.at(-1) as Recorded;
    expect(put.url).toBe('http://a/v2/app/manifests/v1');
    const m = JSON.parse(String(put.body));
    expect(m.layers.map((l: { digest: string }) => l.digest)).toEqual(layers.map((l) => l.digest));
    expect(out.digest).toBe(`sha256:${sha(String(put.body))}`);
    expect(out.requests).toBe(7);
  });

  it('a push failing midway throws and never PUTs the manifest (no tag, nothing to count)', () => {
    const http = registry(2);
    expect(() =>
      pushImage(http, {
        base: 'http://a',
        repo: 'app',
        tag: 'v1',
        layers: [bytes('a'), bytes('b')].map((data) => ({ data, digest: `sha256:${sha(data)}` })),
        sha256hex: sha,
        auth: {},
      }),
    ).toThrow(expect.objectContaining({ code: 'BLOB_UPLOAD_INVALID' }));
    expect(http.log.some((r) => r.url.includes('/manifests/'))).toBe(false);
  });
});
