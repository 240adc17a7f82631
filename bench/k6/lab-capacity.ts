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
import http, { type RefinedResponse } from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { bearerChallenge, repoScope } from '../../lib/oci/challenge';
import { exchangeRequest, formEncode, parseTokenResponse, tokenRequest } from '../../lib/oci/token-flow';

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
  maxRedirects: 2,
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

function aadToken(): string | undefined {
  if (!E.STAMPEDE_AAD_CLIENT_ID || !E.STAMPEDE_AAD_CLIENT_SECRET || !E.STAMPEDE_AAD_AUTHORITY)
    return undefined;
  const res = http.post(
    `${E.STAMPEDE_AAD_AUTHORITY.replace(/\/$/, '')}/${E.STAMPEDE_AAD_TENANT ?? 'organizations'}/oauth2/v2.0/token`,
    formEncode({
      grant_type: 'client_credentials',
      client_id: E.STAMPEDE_AAD_CLIENT_ID,
      client_secret: E.STAMPEDE_AAD_CLIENT_SECRET,
      scope: 'https://containerregistry.azure.net/.default',
    }),
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, tags: { step: 'aad' } },
  );
  const parsed = res.status === 200 ? parseTokenResponse(String(res.body)) : null;
  if (!parsed) throw new Error(`Azure AD token request failed: HTTP ${res.status} ${res.error ?? ''}`);
  return parsed.token;
}

export function setup(): SetupData {
  const aad = aadToken();
  let refreshToken: string | undefined;
  if (aad) {
    const ping = http.get(`${BASE}/v2/`, { tags: { step: 'ping' } });
    const ch = bearerChallenge(ping.headers['Www-Authenticate']);
    if (!ch) throw new Error(`GET ${BASE}/v2/ answered ${ping.status} without a Bearer challenge`);
    const ex = exchangeRequest(ch.realm, ch.service ?? '', aad, E.STAMPEDE_AAD_TENANT);
    const res = http.request(ex.method, ex.url, ex.body ?? null, {
      headers: ex.headers,
      tags: { step: 'exchange' },
    });
    const parsed = res.status === 200 ? parseTokenResponse(String(res.body)) : null;
    if (!parsed) throw new Error(`/oauth2/exchange failed: HTTP ${res.status}`);
    refreshToken = parsed.refreshToken ?? parsed.token;
  }
  return { ...(refreshToken ? { refreshToken } : {}), startAt: Date.now() + BARRIER_S * 1000 };
}

/** The VU's pull token: GET /v2/ -> 401 challenge -> POST /oauth2/token (retried on 429). */
function pullToken(refreshToken: string | undefined): Record<string, string> {
  if (!refreshToken) return {};
  for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
    const ping = http.get(`${BASE}/v2/`, { tags: { step: 'ping' } });
    const ch = ping.status === 401 ? bearerChallenge(ping.headers['Www-Authenticate']) : null;
    if (ch) {
      const r = tokenRequest(ch, { kind: 'refresh', refreshToken }, [repoScope(REPO, ['pull'])]);
      const res = http.request(r.method, r.url, r.body ?? null, {
        headers: r.headers,
        tags: { step: 'token' },
      });
      const parsed = res.status === 200 ? parseTokenResponse(String(res.body)) : null;
      if (parsed) return { authorization: `Bearer ${parsed.token}` };
      if (res.status !== 429) throw new Error(`token: HTTP ${res.status}`);
      throttled.add(1, { code: String(res.status), what: 'token' });
    } else if (ping.status === 429) {
      throttled.add(1, { code: String(ping.status), what: 'ping' });
    } else throw new Error(`GET /v2/: HTTP ${ping.status} without a Bearer challenge`);
    sleep(0.5 + Math.random());
  }
  throw new Error('token: still throttled after retries');
}

/**
 * Configured throttling, and nothing else: the front's per-replica rate limit (429
 * TOOMANYREQUESTS) or a storage backend over its egress ceiling (503 ServerBusy). Any other
 * 503 (e.g. the front's UNAVAILABLE) is an error.
 */
function isThrottle(res: RefinedResponse<'binary'>): boolean {
  return res.status === 429 || (res.status === 503 && res.headers['X-Ms-Error-Code'] === 'ServerBusy');
}

/** The failure's code: Azure Storage's x-ms-error-code, the OCI error code, or the HTTP status. */
function codeOf(res: RefinedResponse<'binary'>): string {
  if (res.status === 0) return `NETWORK_${res.error_code}`;
  return res.headers['X-Ms-Error-Code'] ?? `HTTP_${res.status}`;
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
    const responses = http.batch(
      pending.map((p) => ({
        method: 'GET',
        url: `${BASE}/v2/${REPO}/blobs/${p.blob.digest}`,
        params: { headers: auth, responseType: 'binary' as const, tags: { step: 'blob' }, timeout: '120s' },
      })),
    ) as Array<RefinedResponse<'binary'>>;
    const done = Date.now();
    const retry: Pending[] = [];
    let wait = 0;
    responses.forEach((res, k) => {
      const p = pending[k] as Pending;
      t0s.add(sent);
      t1s.add(done);
      if (res.url !== `${BASE}/v2/${REPO}/blobs/${p.blob.digest}`) redirects.add(1);
      if (isThrottle(res)) {
        throttled.add(1, { code: String(res.status), what: 'blob' });
        if (p.attempt < MAX_RETRIES) {
          const ra = Number(res.headers['Retry-After']);
          wait = Math.max(wait, Number.isFinite(ra) && ra > 0 ? ra : 0.5 * 2 ** p.attempt);
          retry.push({ ...p, attempt: p.attempt + 1 });
        } else blobFailed.add(1, { code: codeOf(res), kind: 'throttled' });
        return;
      }
      const body = res.body as ArrayBuffer | null;
      const size = body ? body.byteLength : 0;
      let code = '';
      if (res.status !== 200) code = codeOf(res);
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
