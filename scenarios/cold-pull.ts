/**
 * Cold pull: every VU is a node pulling one image with an empty cache, the way containerd
 * does it (lib/k6/vu/pull.ts): GET /v2/ -> 401 Bearer challenge -> token -> manifest
 * (index -> platform manifest) -> every layer blob, following the 307 to storage. Runs
 * unchanged against the lab and a real registry.
 *   STAMPEDE_PARAMS   the validated parameters as JSON (lib/k6/cold-pull/params.ts)
 *   credentials       STAMPEDE_REFRESH_TOKEN | STAMPEDE_AAD_TOKEN | STAMPEDE_AAD_CLIENT_ID/_SECRET/
 *                     _TENANT/_AUTHORITY | STAMPEDE_USERNAME/_PASSWORD | none (never printed)
 */
import { sleep } from 'k6';
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import type { ColdPullScriptParams } from '../lib/k6/cold-pull/params';
import * as vu from '../lib/k6/vu';

const P = vu.scriptParams<ColdPullScriptParams>(__ENV.STAMPEDE_PARAMS);
const BASE = P.baseUrl.replace(/\/$/, '');
const CREDS = vu.credentialSettings(__ENV);

export const options = {
  scenarios: {
    'cold-pull': {
      executor: 'per-vu-iterations',
      vus: P.vus,
      iterations: P.iterations,
      maxDuration: `${P.maxDurationS}s`,
    },
  },
  hosts: P.hosts ?? {},
  setupTimeout: '60s',
  maxRedirects: 5,
  systemTags: vu.SAFE_SYSTEM_TAGS,
  dns: P.dns,
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

const rec = vu.pullRecorder({ Counter, Trend });
// Innermost: every response (retries included) records the address family it used.
const family = vu.withFamily(vu.fromK6(http), rec.familyRequest);
const named = vu.withSafeNames(family.http);
const client = vu.withRetry(named, {
  maxRetries: P.maxRetries,
  sleep,
  random: Math.random,
  onThrottle: rec.throttled,
});

/**
 * Sign in once for every VU. A sign-in that got no answer at all (a transport error: the
 * registry unreachable over the family dns.policy picks, say) is not the end of the run:
 * each pull then signs in itself and fails, or succeeds, by what it meets, so a broken
 * family shows as every pull failing by its connection error code.
 */
export function setup(): { refreshToken?: string; loginUnreachable?: string } {
  try {
    return vu.loginOnce(named, BASE, CREDS);
  } catch (e) {
    const code = vu.codeOf(e);
    if (!code.startsWith('NETWORK_')) throw e;
    console.error(
      `setup: sign-in got no answer [${code}]: ${(e as Error).message}; each pull signs in itself`,
    );
    return { loginUnreachable: code };
  }
}

/** k6's end-of-test summary where the run command asks, minus setup_data (the refresh token). */
export function handleSummary(data: Record<string, unknown>): Record<string, string> {
  const { setup_data: _secret, ...rest } = data;
  return __ENV.STAMPEDE_K6_SUMMARY ? { [__ENV.STAMPEDE_K6_SUMMARY]: JSON.stringify(rest, null, 2) } : {};
}

export default function (data: { refreshToken?: string; loginUnreachable?: string }): void {
  const start = Date.now();
  // A sample of pulls checks digests (and holds bodies); the rest only count bytes.
  const verify = P.verifyDigest && (P.verifySample >= 1 || Math.random() < P.verifySample);
  family.take(); // this pull's family only (setup's login is not part of it)
  try {
    const bytes = vu.pullImage(
      client,
      {
        base: BASE,
        image: P.image,
        parallel: P.parallelLayers,
        creds: vu.vuCredentials(CREDS, data.loginUnreachable ? vu.loginOnce(client, BASE, CREDS) : data),
        ...(verify ? { sha256hex: (b: ArrayBuffer) => crypto.sha256(b, 'hex') } : {}),
      },
      rec.hooks,
    );
    rec.ok(Date.now() - start, bytes, { family: family.take() });
  } catch (e) {
    const code = vu.codeOf(e);
    rec.failed(code, { family: family.take() });
    console.error(`vu ${exec.vu.idInTest} pull failed [${code}]: ${(e as Error).message}`);
  }
}
