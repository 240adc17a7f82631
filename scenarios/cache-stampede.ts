/**
 * Cache stampede: N VUs cold-pull an image that only the upstream holds, through a cache
 * rule, all at once (wave 1, by tag); with waves=2, N more pull it by digest once wave 1 is
 * done and the lab reports it hydrated (the run process opens a gate: lib/k6/cache-stampede/
 * gate.ts). Every pull is containerd's (lib/k6/vu/pull.ts); k6's `scenario` tag tells the
 * waves apart in the records. Runs unchanged against a registry URL with a cache rule (ACR):
 * then STAMPEDE_CACHE_IMAGE names the image and wave 2 starts after wave 1 without a gate.
 *   STAMPEDE_PARAMS        the validated parameters (lib/k6/cache-stampede/params.ts)
 *   STAMPEDE_CACHE_IMAGE   repo:tag to pull; STAMPEDE_CACHE_DIGEST its manifest digest (wave 2)
 *   STAMPEDE_CACHE_GATE    the wave gate's URL (lab)
 */
import { sleep } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { GATE_LONG_POLL_S } from '../lib/k6/cache-stampede/gate-poll';
import type { CacheStampedeScriptParams } from '../lib/k6/cache-stampede/params';
import * as vu from '../lib/k6/vu';

const P = vu.scriptParams<CacheStampedeScriptParams>(__ENV.STAMPEDE_PARAMS);
const BASE = P.baseUrl.replace(/\/$/, '');
const CREDS = vu.credentialSettings(__ENV);
const IMAGE = __ENV.STAMPEDE_CACHE_IMAGE || '';
const DIGEST = __ENV.STAMPEDE_CACHE_DIGEST || '';
const GATE = __ENV.STAMPEDE_CACHE_GATE || '';
/** Wave 2 waits at most this long for the gate (then pulls anyway, and says so). */
const GATE_POLLS = Math.ceil(P.maxDurationS / GATE_LONG_POLL_S) + 1;

const wave = (name: string, execName: string, startTime = '0s') => ({
  executor: 'per-vu-iterations',
  vus: P.vus,
  iterations: 1,
  maxDuration: `${P.maxDurationS}s`,
  exec: execName,
  startTime,
  tags: { wave: name },
});

export const options = {
  scenarios: {
    wave1: wave('1', 'wave1'),
    ...(P.waves === 2
      ? { wave2: wave('2', 'wave2', GATE ? '0s' : `${Math.ceil(P.maxDurationS / 2)}s`) }
      : {}),
  },
  hosts: P.hosts ?? {},
  setupTimeout: '60s',
  maxRedirects: 5,
  systemTags: vu.SAFE_SYSTEM_TAGS,
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

const rec = vu.pullRecorder({ Counter, Trend });
const named = vu.withSafeNames(vu.fromK6(http));
const client = vu.withRetry(named, {
  maxRetries: P.maxRetries,
  sleep,
  random: Math.random,
  onThrottle: rec.throttled,
});

export const setup = (): { refreshToken?: string } => vu.loginOnce(named, BASE, CREDS);

export function handleSummary(data: Record<string, unknown>): Record<string, string> {
  const { setup_data: _secret, ...rest } = data;
  return __ENV.STAMPEDE_K6_SUMMARY ? { [__ENV.STAMPEDE_K6_SUMMARY]: JSON.stringify(rest, null, 2) } : {};
}

function pull(image: string, data: { refreshToken?: string }): void {
  const start = Date.now();
  try {
    const bytes = vu.pullImage(
      client,
      {
        base: BASE,
        image,
        parallel: P.parallelLayers,
        creds: vu.vuCredentials(CREDS, data),
        ...(P.verifyDigest ? { sha256hex: (b: ArrayBuffer) => crypto.sha256(b, 'hex') } : {}),
      },
      rec.hooks,
    );
    rec.ok(Date.now() - start, bytes);
  } catch (e) {
    const code = vu.codeOf(e);
    rec.failed(code);
    console.error(`vu ${exec.vu.idInTest} pull ${image} failed [${code}]: ${(e as Error).message}`);
  }
}

export function wave1(data: { refreshToken?: string }): void {
  if (P.arrivalSpreadS > 0) sleep(((exec.vu.idInInstance - 1) / P.vus) * P.arrivalSpreadS);
  pull(IMAGE, data);
  if (GATE) http.post(`${GATE}/done`, null, { tags: { name: 'gate' } });
}

export function wave2(data: { refreshToken?: string }): void {
  if (GATE) {
    let open = false;
    for (let i = 0; i < GATE_POLLS && !open; i++) {
      const r = http.get(`${GATE}/gate`, { timeout: `${GATE_LONG_POLL_S + 15}s`, tags: { name: 'gate' } });
      open = r.status === 200;
    }
    if (!open) console.error(`vu ${exec.vu.idInTest}: the wave gate never opened; pulling anyway`);
  }
  const repo = IMAGE.replace(/:[^:/]+$/, '');
  pull(DIGEST ? `${repo}@${DIGEST}` : IMAGE, data);
}

export default wave1;
