/**
 * k6 side of bench/lab-capacity.ts: every VU downloads blobs at the same moment, either
 * through a lab front (token flow, 307 to a storage backend) or straight from a registry
 * server (no auth). Bundled with k6.config.ts (lib/k6/bundle.ts); everything comes from __ENV:
 *
 *   CAP_BASE         base URL: http://contoso.stampede.test:8080 or http://<registryIp>:5000
 *   CAP_REPO         repository path in that URL (front: bench/x; registry: contoso/bench/x)
 *   CAP_BLOBS        JSON [{digest, size}]
 *   CAP_MODE         concurrency: VU v downloads CAP_PER_VU blobs starting at blob v-1, all at once
 *                    throughput:  VU v downloads every blob once, one after another, from blob v-1
 *   CAP_VUS, CAP_PER_VU, CAP_BARRIER_S (downloads start this long after setup ends)
 *   CAP_MAX_RETRIES  retries of a 429 or 503 ServerBusy (Retry-After honoured, jittered), then the
 *                    blob is given up (counted as throttled, not as an error)
 *   CAP_VERIFY       1: sha256 every body against its digest (sizes are always checked)
 *   CAP_MAX_DURATION_S
 *   STAMPEDE_AAD_*   the lab's AcrPull client (front only; absent = no auth, the registry server)
 *
 * Metrics: blob_ok, blob_failed{code,kind=throttled|error}, throttled{code} (each 429/503
 * answer), blob_bytes, blob_duration (first send to last byte, retries included), dl_t0 /
 * dl_t1 (epoch ms of each attempt's send and answer: the runner sweeps them for the peak
 * number in flight and the phase's wall window), barrier_late_ms, blob_redirects.
 */
import { sleep } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import * as vu from '../../lib/k6/vu';
import { isThrottle, responseErrorCode } from '../../lib/oci/error-body';

const E = __ENV;
const num = (v: string | undefined, d: number) =>
  v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : d;

const BASE = (E.CAP_BASE ?? '').replace(/\/$/, '');
const REPO = E.CAP_REPO ?? '';
const BLOBS = JSON.parse(E.CAP_BLOBS ?? '[]') as Array<{ digest: string; size: number }>;
const MODE = E.CAP_MODE === 'throughput' ? 'throughput' : 'concurrency';
const VUS = num(E.CAP_VUS, 1);
const PER_VU = Math.max(1, num(E.CAP_PER_VU, 1));
const BARRIER_S = num(E.CAP_BARRIER_S, 10);
const MAX_RETRIES = num(E.CAP_MAX_RETRIES, 5);
const VERIFY = E.CAP_VERIFY === '1';
const MAX_DURATION_S = num(E.CAP_MAX_DURATION_S, 300);

export const options = {
  scenarios: {
    capacity: { executor: 'per-vu-iterations', vus: VUS, iterations: 1, maxDuration: `${MAX_DURATION_S}s` },
  },
  setupTimeout: '60s',
  // Redirects are followed by the library as requests of their own, named without the
  // storage signature; k6's `url` tag (which would keep it) is off.
  maxRedirects: 0,
  systemTags: vu.SAFE_SYSTEM_TAGS,
  // All VUs resolve the global name once; the bench measures the lab, not the resolver.
  dns: { ttl: '5m', select: 'first', policy: 'preferIPv4' },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

const blobOk = new Counter('blob_ok');
const blobFailed = new Counter('blob_failed');
const throttled = new Counter('throttled');
const blobBytes = new Counter('blob_bytes');
const blobDuration = new Trend('blob_duration', true);
const t0s = new Trend('dl_t0');
const t1s = new Trend('dl_t1');
const late = new Trend('barrier_late_ms');
const redirects = new Counter('blob_redirects');

interface SetupData {
  refreshToken?: string;
  startAt: number;
}

const named = vu.withSafeNames(vu.fromK6(http));
const CREDS = vu.credentialSettings(__ENV);

export function setup(): SetupData {
  // Only with the lab's AcrPull client: the registry server takes no credentials.
  const minted = CREDS.aad?.authority ? vu.loginOnce(named, BASE, CREDS) : {};
  return { ...minted, startAt: Date.now() + BARRIER_S * 1000 };
}

/** The VU's pull token (ping, challenge, token for repository:<repo>:pull), retried on 429. */
function pullToken(refreshToken: string | undefined): Record<string, string> {
  if (!refreshToken) return {};
  const client = vu.withRetry(named, {
    maxRetries: MAX_RETRIES,
    baseS: 0.5,
    sleep,
    random: Math.random,
    onThrottle: (status, what) => throttled.add(1, { code: String(status), what }),
  });
  return vu.bearer(
    vu.registryToken(client, BASE, { kind: 'refresh', refreshToken }, [{ repo: REPO, actions: ['pull'] }]),
  );
}

interface Pending {
  blob: { digest: string; size: number };
  attempt: number;
  first: number;
}

/** Downloads `list` at once (http.batch), retrying throttled ones; records every outcome. */
function download(list: Array<{ digest: string; size: number }>, auth: Record<string, string>): void {
  let pending: Pending[] = list.map((blob) => ({ blob, attempt: 0, first: Date.now() }));
  while (pending.length > 0) {
    const sent = Date.now();
    const results = vu.getBlobs(
      named,
      BASE,
      REPO,
      pending.map((p) => p.blob),
      auth,
      '120s',
    );
    const done = Date.now();
    const retry: Pending[] = [];
    let wait = 0;
    results.forEach(({ res, redirected }, k) => {
      const p = pending[k] as Pending;
      t0s.add(sent);
      t1s.add(done);
      if (redirected) redirects.add(1);
      if (isThrottle(res)) {
        throttled.add(1, { code: String(res.status), what: 'blob' });
        if (p.attempt < MAX_RETRIES) {
          const ra = Number(res.headers['Retry-After']);
          wait = Math.max(wait, Number.isFinite(ra) && ra > 0 ? ra : 0.5 * 2 ** p.attempt);
          retry.push({ ...p, attempt: p.attempt + 1 });
        } else blobFailed.add(1, { code: responseErrorCode(res), kind: 'throttled' });
        return;
      }
      const body = res.body as ArrayBuffer | null;
      const size = body ? body.byteLength : 0;
      let code = '';
      if (res.status !== 200) code = responseErrorCode(res);
      else if (size !== p.blob.size) code = 'SIZE_INVALID';
      else if (VERIFY && body && `sha256:${crypto.sha256(body, 'hex')}` !== p.blob.digest)
        code = 'DIGEST_INVALID';
      if (code) {
        blobFailed.add(1, { code, kind: 'error' });
        console.error(
          `vu ${exec.vu.idInTest} blob ${p.blob.digest.slice(7, 19)}: ${code} (HTTP ${res.status})`,
        );
        return;
      }
      blobOk.add(1);
      blobBytes.add(size);
      blobDuration.add(done - p.first);
    });
    pending = retry;
    if (pending.length > 0) sleep(Math.min(8, wait) * (0.5 + Math.random()));
  }
}

export default function (data: SetupData): void {
  const v = exec.vu.idInTest - 1;
  let auth: Record<string, string>;
  try {
    auth = pullToken(data.refreshToken);
  } catch (e) {
    blobFailed.add(MODE === 'concurrency' ? PER_VU : BLOBS.length, { code: 'TOKEN_FAILED', kind: 'error' });
    console.error(`vu ${v + 1}: ${(e as Error).message}`);
    return;
  }
  // The barrier: every VU has its token; the downloads themselves start together.
  const now = Date.now();
  if (now < data.startAt) sleep((data.startAt - now) / 1000);
  late.add(Math.max(0, now - data.startAt));
  const at = (k: number) => BLOBS[(v + k) % BLOBS.length] as { digest: string; size: number };
  if (MODE === 'concurrency')
    download(
      Array.from({ length: PER_VU }, (_, k) => at(k)),
      auth,
    );
  else for (let k = 0; k < BLOBS.length; k++) download([at(k)], auth);
}
