/**
 * Failover: every VU pulls one small image over and over through the registry's global
 * name while the runner (lib/k6/failover/schedule.ts) breaks and then heals the clients'
 * region. Each pull is one `failover_request` point: its duration (the point's time is its
 * end), whether it succeeded, its error code and the region that answered (the front's
 * X-Stampede-Region header). No connection outlives an iteration (noVUConnectionReuse), so
 * every pull dials again and asks k6's DNS cache (dns.ttl, shared by all VUs) where the
 * global name points: the simulator's "resolve at request start, the whole pull on that
 * region".
 *   STAMPEDE_PARAMS   the validated parameters as JSON (lib/k6/failover/params.ts)
 *   credentials       as scenarios/cold-pull.ts (never printed)
 */
import { sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import type { FailoverScriptParams } from '../lib/k6/failover/params';
import * as vu from '../lib/k6/vu';

const P = vu.scriptParams<FailoverScriptParams>(__ENV.STAMPEDE_PARAMS);
const BASE = P.baseUrl.replace(/\/$/, '');
const CREDS = vu.credentialSettings(__ENV);

export const options = {
  scenarios: {
    failover: {
      executor: 'constant-vus',
      vus: P.vus,
      duration: `${P.durationS}s`,
      gracefulStop: '10s',
    },
  },
  hosts: P.hosts ?? {},
  setupTimeout: '60s',
  maxRedirects: 5,
  noVUConnectionReuse: true,
  systemTags: vu.SAFE_SYSTEM_TAGS,
  dns: { ttl: P.dns.ttl, select: P.dns.select, policy: 'preferIPv4' },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
};

const rec = vu.pullRecorder({ Counter, Trend });
const request = new Trend('failover_request', true);
const served = vu.withServedBy(vu.withSafeNames(vu.fromK6(http)));
const client = vu.withRetry(served.http, {
  maxRetries: P.maxRetries,
  sleep,
  random: Math.random,
  onThrottle: rec.throttled,
});

export const setup = (): { refreshToken?: string } =>
  vu.loginOnce(vu.withSafeNames(vu.fromK6(http)), BASE, CREDS);

/** k6's end-of-test summary where the run command asks, minus setup_data (the refresh token). */
export function handleSummary(data: Record<string, unknown>): Record<string, string> {
  const { setup_data: _secret, ...rest } = data;
  return __ENV.STAMPEDE_K6_SUMMARY ? { [__ENV.STAMPEDE_K6_SUMMARY]: JSON.stringify(rest, null, 2) } : {};
}

export default function (data: { refreshToken?: string }): void {
  served.reset();
  const start = Date.now();
  let code = '';
  try {
    const bytes = vu.pullImage(
      client,
      { base: BASE, image: P.image, parallel: 3, creds: vu.vuCredentials(CREDS, data) },
      rec.hooks,
    );
    rec.ok(Date.now() - start, bytes);
  } catch (e) {
    code = vu.codeOf(e);
    rec.failed(code);
  }
  request.add(Date.now() - start, {
    vu: String(exec.vu.idInTest),
    result: code ? 'failed' : 'ok',
    region: served.region() ?? 'none',
    ...(code ? { code } : {}),
  });
  if (P.thinkS > 0) sleep(P.thinkS);
}
