/**
 * DNS bouncing during pushes: every mitigation is its own k6 scenario, all running at the
 * same time, each pushing `pushes` images (a fresh random config blob and `layers` fresh
 * random layers, then the manifest) while the lab's global name flaps between regions.
 * Every sub-request's answering address is recorded (lib/k6/vu/push-bounce.ts), so a push
 * whose requests reached more than one replica is counted as scattered from what happened,
 * and its error code (BLOB_UPLOAD_UNKNOWN, MANIFEST_BLOB_UNKNOWN) says how it failed.
 *   none        the global name through k6's resolver as configured (dns.ttl, connectionReuse)
 *   regional    the regional endpoint: every request to one replica by its own name
 *   dns-pin     resolve once per push (GET /v2/ through the global name, read its remote
 *               address), then every request of that push to that address, Host: the name
 *   retry-push  as none, and a failed push is redone whole (fresh token flow, every blob)
 *   STAMPEDE_PARAMS          the validated parameters (lib/k6/dns-bounce/params.ts)
 *   STAMPEDE_REGIONAL_BASE   the lab's regional endpoint (a URL target: params.regionalUrl)
 */
import { sleep } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import type { DnsBounceScriptParams } from '../lib/k6/dns-bounce/params';
import * as vu from '../lib/k6/vu';
import { ascii, type PushBlob } from '../lib/k6/vu/push';
import { type PushAttempt, pinned, pushAttempt, resolveOnce } from '../lib/k6/vu/push-bounce';

const P = vu.scriptParams<DnsBounceScriptParams>(__ENV.STAMPEDE_PARAMS);
const BASE = P.baseUrl.replace(/\/$/, '');
const REGIONAL = (P.regionalUrl || __ENV.STAMPEDE_REGIONAL_BASE || '').replace(/\/$/, '');
const CREDS = vu.credentialSettings(__ENV);

export const options = {
  scenarios: Object.fromEntries(
    P.mitigations.map((m) => [
      m,
      {
        executor: 'shared-iterations',
        vus: P.vus,
        iterations: P.pushes,
        maxDuration: `${P.maxDurationS}s`,
        tags: { mitigation: m },
      },
    ]),
  ),
  hosts: P.hosts ?? {},
  setupTimeout: '60s',
  maxRedirects: 0,
  // k6 resolves a name only when it dials: with reuse off every request dials, so every
  // request asks the resolver (with dns.ttl 0, the lab DNS) afresh.
  noConnectionReuse: !P.connectionReuse,
  systemTags: vu.SAFE_SYSTEM_TAGS,
  dns: P.dns,
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

const pushes = new Counter('pushes');
const attempts = new Counter('push_attempts');
const span = new Trend('push_span');
const errors = new Counter('errors');
const named = vu.withSafeNames(vu.fromK6(http));
const client = vu.withRetry(named, { maxRetries: P.maxRetries, sleep, random: Math.random });

interface SetupData {
  refreshToken?: string;
  regionalRefreshToken?: string;
}

/** A refresh token per endpoint that is its own authenticated surface (the global name, the regional one). */
export const setup = (): SetupData => {
  const global = vu.loginOnce(named, BASE, CREDS);
  const regional = P.mitigations.includes('regional') && REGIONAL ? vu.loginOnce(named, REGIONAL, CREDS) : {};
  return {
    ...(global.refreshToken && { refreshToken: global.refreshToken }),
    ...(regional.refreshToken && { regionalRefreshToken: regional.refreshToken }),
  };
};

/** k6's end-of-test summary where the run command asks, minus setup_data (the refresh tokens). */
export function handleSummary(data: Record<string, unknown>): Record<string, string> {
  const { setup_data: _secret, ...rest } = data;
  return __ENV.STAMPEDE_K6_SUMMARY ? { [__ENV.STAMPEDE_K6_SUMMARY]: JSON.stringify(rest, null, 2) } : {};
}

const blob = (data: ArrayBuffer): PushBlob => ({ data, digest: `sha256:${crypto.sha256(data, 'hex')}` });
const sha256hex = (text: string) => crypto.sha256(text, 'hex');

function attempt(mitigation: string, data: SetupData, tag: string): PushAttempt {
  const layers = Array.from({ length: P.layers }, () => blob(crypto.randomBytes(P.layerBytes)));
  const nonce = crypto.sha256(crypto.randomBytes(16), 'hex');
  const config = blob(ascii(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce })));
  const regional = mitigation === 'regional';
  const spec = {
    base: regional ? REGIONAL : BASE,
    repo: P.repository,
    tag,
    config,
    layers,
    chunkSize: P.chunkSize,
    sha256hex,
    creds: vu.vuCredentials(CREDS, {
      refreshToken: regional ? data.regionalRefreshToken : data.refreshToken,
    }),
  };
  if (mitigation !== 'dns-pin') return pushAttempt(client, spec, Date.now);
  const address = resolveOnce(client, BASE);
  return pushAttempt(pinned(client, BASE, address), spec, Date.now);
}

export default function (data: SetupData): void {
  const mitigation = exec.scenario.name;
  if (P.pauseS > 0) sleep(Math.random() * P.pauseS);
  const tries = mitigation === 'retry-push' ? 1 + P.retries : 1;
  let last: PushAttempt | undefined;
  let scatteredAttempts = 0;
  for (let a = 1; a <= tries; a++) {
    const tag = `${mitigation}-${exec.vu.idInTest}-${exec.scenario.iterationInTest}-${a}`;
    try {
      last = attempt(mitigation, data, tag);
    } catch (e) {
      // resolveOnce found no address: the attempt failed before its first sub-request
      last = {
        ok: false,
        code: vu.codeOf(e),
        message: (e as Error).message,
        replicas: [],
        scattered: false,
        spanMs: 0,
        subRequests: [],
      };
    }
    const scattered = last.scattered ? 'yes' : 'no';
    attempts.add(1, { mitigation, scattered, code: last.code ?? 'ok' });
    span.add(last.spanMs, { mitigation, result: last.ok ? 'ok' : 'failed', scattered });
    if (last.scattered) scatteredAttempts++;
    if (last.ok) break;
    errors.add(1, { code: last.code ?? 'UNKNOWN', mitigation });
    // Scatter is what this run counts: anything else is worth a line on the console.
    if (last.code !== 'BLOB_UPLOAD_UNKNOWN' && last.code !== 'MANIFEST_BLOB_UNKNOWN')
      console.error(`push failed [${last.code}] (${mitigation}): ${last.message}`);
  }
  const final = last as PushAttempt;
  pushes.add(1, {
    mitigation,
    result: final.ok ? 'ok' : 'failed',
    scattered: final.scattered ? 'yes' : 'no',
    everScattered: scatteredAttempts > 0 ? 'yes' : 'no',
    code: final.code ?? 'ok',
  });
}
