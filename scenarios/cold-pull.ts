/**
 * Cold pull: every VU is a node pulling one image with an empty cache, the way containerd
 * does it: GET /v2/ -> 401 Bearer challenge -> token -> manifest (index -> platform
 * manifest) -> every layer blob, following the 307 to storage. Runs unchanged against the
 * lab and a real registry (ACR or any OCI registry): everything comes from __ENV.
 *
 *   STAMPEDE_REGISTRY       base URL, e.g. http://contoso.stampede.test:8080 or https://x.azurecr.io
 *   STAMPEDE_IMAGE          repo:tag or repo@sha256:...
 *   STAMPEDE_VUS, STAMPEDE_ITERATIONS (pulls per VU), STAMPEDE_MAX_DURATION_S
 *   STAMPEDE_MAX_RETRIES, STAMPEDE_VERIFY_DIGEST (1/0), STAMPEDE_PARALLEL_LAYERS
 *   STAMPEDE_DNS_TTL, STAMPEDE_DNS_SELECT, STAMPEDE_DNS_POLICY (k6's dns option)
 *   STAMPEDE_HOSTS          JSON name -> address, only for a lab without its own DNS
 * Credentials (first that is set wins; never printed):
 *   STAMPEDE_REFRESH_TOKEN                   an ACR refresh token
 *   STAMPEDE_AAD_TOKEN                       an Azure AD access token, exchanged at /oauth2/exchange
 *   STAMPEDE_AAD_CLIENT_ID/_SECRET/_TENANT   a service principal (client credentials at
 *     STAMPEDE_AAD_AUTHORITY, default https://login.microsoftonline.com), then exchanged
 *   STAMPEDE_USERNAME/STAMPEDE_PASSWORD      admin user / docker login
 *   (none)                                   anonymous pull
 */
import { sleep } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { bearerChallenge, repoScope } from '../lib/oci/challenge';
import { type Descriptor, parseManifest, pickPlatform } from '../lib/oci/manifest';
import { MANIFEST_ACCEPT } from '../lib/oci/media-types';
import {
  exchangeRequest,
  formEncode,
  parseTokenResponse,
  type RegistryCredentials,
  type TokenRequest,
  tokenRequest,
} from '../lib/oci/token-flow';

const E = __ENV;
const num = (v: string | undefined, d: number) =>
  v !== undefined && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : d;

const BASE = (E.STAMPEDE_REGISTRY ?? 'http://contoso.stampede.test:8080').replace(/\/$/, '');
const IMAGE = E.STAMPEDE_IMAGE ?? 'stampede/cold-pull:v1';
const VUS = num(E.STAMPEDE_VUS, 1);
const ITERATIONS = num(E.STAMPEDE_ITERATIONS, 1);
const MAX_DURATION_S = num(E.STAMPEDE_MAX_DURATION_S, 300);
const MAX_RETRIES = num(E.STAMPEDE_MAX_RETRIES, 5);
const VERIFY_DIGEST = (E.STAMPEDE_VERIFY_DIGEST ?? '1') !== '0';
const PARALLEL = Math.max(1, num(E.STAMPEDE_PARALLEL_LAYERS, 3));

export const options = {
  scenarios: {
    'cold-pull': {
      executor: 'per-vu-iterations',
      vus: VUS,
      iterations: ITERATIONS,
      maxDuration: `${MAX_DURATION_S}s`,
    },
  },
  // Names -> addresses for a lab without its own DNS (STAMPEDE_HOSTS, JSON); empty otherwise,
  // so the pull goes through k6's own resolver.
  hosts: E.STAMPEDE_HOSTS ? (JSON.parse(E.STAMPEDE_HOSTS) as Record<string, string>) : {},
  setupTimeout: '60s',
  maxRedirects: 5,
  // Every built-in tag but `url`: a redirect's URL carries a storage signature. Requests
  // are named (the `name` tag) by URLs without their query instead.
  systemTags: [
    'proto',
    'subproto',
    'status',
    'method',
    'name',
    'group',
    'check',
    'error',
    'error_code',
    'tls_version',
    'scenario',
    'service',
    'expected_response',
  ],
  dns: {
    ttl: E.STAMPEDE_DNS_TTL ?? '5m',
    select: E.STAMPEDE_DNS_SELECT ?? 'random',
    policy: E.STAMPEDE_DNS_POLICY ?? 'preferIPv4',
  },
  // Keep the raw output small: k6's per-request built-ins stay, nothing is sampled away.
  discardResponseBodies: false,
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

const pullDuration = new Trend('pull_duration', true);
const layerDuration = new Trend('layer_duration', true);
const pullBytesPerS = new Trend('pull_bytes_per_s');
const pulls = new Counter('pulls');
const layerBytes = new Counter('layer_bytes');
const throttled = new Counter('throttled');
const errors = new Counter('errors');
const tokenRequests = new Counter('token_requests');
const redirects = new Counter('blob_redirects');

interface Ref {
  repo: string;
  reference: string;
}

function parseRef(image: string): Ref {
  const at = image.indexOf('@');
  if (at > 0) return { repo: image.slice(0, at), reference: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/'))
    return { repo: image.slice(0, colon), reference: image.slice(colon + 1) };
  return { repo: image, reference: 'latest' };
}

class PullError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The OCI error code of a failed response (or Azure Storage's, or k6's transport error). */
function errorCode(res: {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  error_code: number;
}): string {
  if (res.status === 0) return `NETWORK_${res.error_code}`;
  const storage = res.headers['X-Ms-Error-Code'];
  if (storage) return storage;
  if (typeof res.body === 'string') {
    try {
      const code = (JSON.parse(res.body) as { errors?: Array<{ code?: string }> }).errors?.[0]?.code;
      if (code) return code;
    } catch {
      // not JSON
    }
  }
  return `HTTP_${res.status}`;
}

/** What a response was, for messages: status 0 is k6's "no response" (refused, DNS, TLS, timeout). */
function outcome(res: { status: number; error?: string }): string {
  return res.status === 0 ? `no response (${res.error || 'connection failed'})` : `HTTP ${res.status}`;
}

function send<RT extends ResponseType | undefined>(
  r: TokenRequest | { method: 'GET'; url: string; headers: Record<string, string> },
  tags: Record<string, string>,
  responseType?: RT,
): RefinedResponse<RT> {
  return http.request(r.method, r.url, 'body' in r ? (r.body ?? null) : null, {
    headers: r.headers,
    tags,
    ...(responseType ? { responseType } : {}),
  }) as RefinedResponse<RT>;
}

/** Sends `make()` again on 429/503 with bounded, jittered backoff (Retry-After honoured). */
function withRetries<RT extends ResponseType | undefined>(
  what: string,
  make: () => RefinedResponse<RT>,
): RefinedResponse<RT> {
  let res = make();
  for (let attempt = 0; (res.status === 429 || res.status === 503) && attempt < MAX_RETRIES; attempt++) {
    throttled.add(1, { code: String(res.status), what });
    const retryAfter = Number(res.headers['Retry-After']);
    const backoff = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 0.25 * 2 ** attempt;
    sleep(Math.min(8, backoff) * (0.5 + Math.random()));
    res = make();
  }
  if (res.status === 429 || res.status === 503) throttled.add(1, { code: String(res.status), what });
  return res;
}

function credentialsFrom(data: SetupData): RegistryCredentials {
  const refreshToken = E.STAMPEDE_REFRESH_TOKEN ?? data.refreshToken;
  if (refreshToken) return { kind: 'refresh', refreshToken };
  if (E.STAMPEDE_USERNAME && E.STAMPEDE_PASSWORD)
    return { kind: 'basic', username: E.STAMPEDE_USERNAME, password: E.STAMPEDE_PASSWORD };
  return { kind: 'anonymous' };
}

interface SetupData {
  refreshToken?: string;
}

/** Azure AD client credentials (what @azure/identity's ClientSecretCredential does), once. */
function aadToken(): string | undefined {
  if (E.STAMPEDE_AAD_TOKEN) return E.STAMPEDE_AAD_TOKEN;
  if (!E.STAMPEDE_AAD_CLIENT_ID || !E.STAMPEDE_AAD_CLIENT_SECRET) return undefined;
  const authority = (E.STAMPEDE_AAD_AUTHORITY ?? 'https://login.microsoftonline.com').replace(/\/$/, '');
  const tenant = E.STAMPEDE_AAD_TENANT ?? 'organizations';
  const res = http.post(
    `${authority}/${tenant}/oauth2/v2.0/token`,
    formEncode({
      grant_type: 'client_credentials',
      client_id: E.STAMPEDE_AAD_CLIENT_ID,
      client_secret: E.STAMPEDE_AAD_CLIENT_SECRET,
      scope: `${E.STAMPEDE_AAD_AUDIENCE ?? 'https://containerregistry.azure.net'}/.default`,
    }),
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, tags: { step: 'aad' } },
  );
  const parsed = res.status === 200 ? parseTokenResponse(String(res.body)) : null;
  if (!parsed) throw new Error(`Azure AD token request failed: ${outcome(res)}`);
  return parsed.token;
}

export function setup(): SetupData {
  // A token given in the environment stays there (every VU reads __ENV): setup()'s return
  // value is what k6 hands to outputs and APIs, so only a token minted here goes in it.
  if (E.STAMPEDE_REFRESH_TOKEN) return {};
  const aad = aadToken();
  if (!aad) return {};
  const ping = http.get(`${BASE}/v2/`, { tags: { step: 'ping' } });
  const ch = bearerChallenge(ping.headers['Www-Authenticate']);
  if (!ch)
    throw new Error(`GET ${BASE}/v2/: ${outcome(ping)}${ping.status ? ' without a Bearer challenge' : ''}`);
  const ex = send(
    exchangeRequest(
      ch.realm,
      ch.service ?? BASE.replace(/^https?:\/\//, '').replace(/\/.*$/, ''),
      aad,
      E.STAMPEDE_AAD_TENANT,
    ),
    {
      step: 'exchange',
    },
  );
  const parsed = ex.status === 200 ? parseTokenResponse(String(ex.body)) : null;
  if (!parsed) throw new Error(`/oauth2/exchange failed: ${outcome(ex)}`);
  return { refreshToken: parsed.refreshToken ?? parsed.token };
}

function token(ref: Ref, creds: RegistryCredentials): string | null {
  const ping = withRetries('ping', () =>
    send({ method: 'GET', url: `${BASE}/v2/`, headers: {} }, { step: 'ping' }),
  );
  if (ping.status === 200) return null; // a registry without auth
  const ch = ping.status === 401 ? bearerChallenge(ping.headers['Www-Authenticate']) : null;
  if (!ch)
    throw new PullError(
      errorCode(ping),
      `GET /v2/: ${outcome(ping)}${ping.status ? ' without a Bearer challenge' : ''}`,
    );
  tokenRequests.add(1);
  const res = withRetries('token', () =>
    send(tokenRequest(ch, creds, [repoScope(ref.repo, ['pull'])]), { step: 'token' }),
  );
  const parsed = res.status === 200 ? parseTokenResponse(String(res.body)) : null;
  if (!parsed) throw new PullError(errorCode(res), `token request: ${outcome(res)}`);
  return parsed.token;
}

function manifest(ref: Ref, reference: string, auth: Record<string, string>): Descriptor[] {
  const res = withRetries('manifest', () =>
    send(
      {
        method: 'GET',
        url: `${BASE}/v2/${ref.repo}/manifests/${reference}`,
        headers: { ...auth, accept: MANIFEST_ACCEPT },
      },
      { step: 'manifest' },
    ),
  );
  if (res.status !== 200) throw new PullError(errorCode(res), `manifest ${reference}: ${outcome(res)}`);
  const parsed = parseManifest(String(res.body), res.headers['Content-Type']);
  if (parsed.kind === 'index') {
    const m = pickPlatform(parsed.manifests);
    if (!m) throw new PullError('MANIFEST_UNKNOWN', 'no linux/amd64 manifest in the index');
    return manifest(ref, m.digest, auth);
  }
  return [parsed.config, ...parsed.layers];
}

/** A redirect target without its query: signed URLs (SAS) are credentials and must never reach results. */
const withoutQuery = (url: string): string => url.replace(/[?#].*$/, '');

type BlobResponse = RefinedResponse<'binary'>;

/**
 * GET a blob the way a container runtime does: ask the registry, then follow its 307 to
 * the storage backend without the registry's Authorization header. The hop is followed
 * here rather than by k6 so that each request is tagged with a URL stripped of the
 * signature (k6's own `url` tag would record it in raw results).
 */
function fetchBlobs(ref: Ref, descs: Descriptor[], auth: Record<string, string>): BlobResponse[] {
  const first = http.batch(
    descs.map((d) => ({
      method: 'GET',
      url: `${BASE}/v2/${ref.repo}/blobs/${d.digest}`,
      params: { headers: auth, redirects: 0, responseType: 'binary' as const, tags: { step: 'blob' } },
    })),
  ) as BlobResponse[];
  const hops: Array<{ k: number; url: string }> = [];
  first.forEach((res, k) => {
    const location = res.status >= 301 && res.status <= 308 ? res.headers.Location : undefined;
    if (location) hops.push({ k, url: location.startsWith('/') ? `${BASE}${location}` : location });
  });
  if (hops.length === 0) return first;
  const second = http.batch(
    hops.map((h) => ({
      method: 'GET',
      url: h.url,
      params: {
        redirects: 0,
        responseType: 'binary' as const,
        tags: { step: 'blob-data', name: withoutQuery(h.url) },
      },
    })),
  ) as BlobResponse[];
  const out = first.slice();
  hops.forEach((h, i) => {
    out[h.k] = second[i] as BlobResponse;
    redirects.add(1);
  });
  return out;
}

/** Fetches blobs `PARALLEL` at a time (containerd's default is 3), each with retries. */
function blobs(ref: Ref, descs: Descriptor[], auth: Record<string, string>): number {
  let bytes = 0;
  for (let i = 0; i < descs.length; i += PARALLEL) {
    const batch = descs.slice(i, i + PARALLEL);
    let pending = batch.map((d) => ({ d, attempt: 0 }));
    while (pending.length > 0) {
      const responses = fetchBlobs(
        ref,
        pending.map((p) => p.d),
        auth,
      );
      const retry: typeof pending = [];
      let wait = 0;
      responses.forEach((res, k) => {
        const p = pending[k] as { d: Descriptor; attempt: number };
        if ((res.status === 429 || res.status === 503) && p.attempt < MAX_RETRIES) {
          throttled.add(1, { code: String(res.status), what: 'blob' });
          const ra = Number(res.headers['Retry-After']);
          wait = Math.max(wait, Number.isFinite(ra) && ra > 0 ? ra : 0.25 * 2 ** p.attempt);
          retry.push({ d: p.d, attempt: p.attempt + 1 });
          return;
        }
        if (res.status === 429 || res.status === 503)
          throttled.add(1, { code: String(res.status), what: 'blob' });
        if (res.status !== 200)
          throw new PullError(
            errorCode(res as never),
            `blob ${p.d.digest.slice(7, 19)}: ${outcome(res as never)}`,
          );
        const body = res.body as ArrayBuffer | null;
        const size = body ? body.byteLength : 0;
        if (size !== p.d.size)
          throw new PullError(
            'SIZE_INVALID',
            `blob ${p.d.digest.slice(7, 19)}: ${size} bytes, want ${p.d.size}`,
          );
        if (VERIFY_DIGEST && body && `sha256:${crypto.sha256(body, 'hex')}` !== p.d.digest)
          throw new PullError('DIGEST_INVALID', `blob ${p.d.digest.slice(7, 19)}: digest mismatch`);
        bytes += size;
        layerBytes.add(size);
        // The successful attempt's data hop on the wire.
        layerDuration.add(res.timings.duration, { kind: p.d === descs[0] ? 'config' : 'layer' });
      });
      pending = retry;
      if (pending.length > 0) sleep(Math.min(8, wait) * (0.5 + Math.random()));
    }
  }
  return bytes;
}

/**
 * k6's end-of-test summary, written where the run command asks, minus setup_data: setup()
 * returns the registry refresh token, and secrets never reach a run's files.
 */
export function handleSummary(data: Record<string, unknown>): Record<string, string> {
  const { setup_data: _secret, ...rest } = data;
  return E.STAMPEDE_K6_SUMMARY ? { [E.STAMPEDE_K6_SUMMARY]: JSON.stringify(rest, null, 2) } : {};
}

export default function (data: SetupData): void {
  const ref = parseRef(IMAGE);
  const creds = credentialsFrom(data);
  const start = Date.now();
  try {
    const t = token(ref, creds);
    const auth: Record<string, string> = t ? { authorization: `Bearer ${t}` } : {};
    const descs = manifest(ref, ref.reference, auth);
    const bytes = blobs(ref, descs, auth);
    const ms = Date.now() - start;
    pullDuration.add(ms);
    pullBytesPerS.add(ms > 0 ? (bytes * 1000) / ms : 0);
    pulls.add(1, { result: 'ok' });
  } catch (e) {
    const code = e instanceof PullError ? e.code : 'SCRIPT_ERROR';
    errors.add(1, { code });
    pulls.add(1, { result: 'failed' });
    console.error(`vu ${exec.vu.idInTest} pull failed [${code}]: ${(e as Error).message}`);
  }
}
