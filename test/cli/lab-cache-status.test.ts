/**
 * `lab status`'s pull-through cache lines from a status as the lab answers it: the rule,
 * the upstream's counters (requests by kind, 429s), per front the breaker, coalescing and
 * per-rule counters, and the hydration state of each image; nothing for a lab without them.
 */
import { describe, expect, it } from 'vitest';
import { cacheStatusLines } from '../../lib/cli/commands/lab-cache';
import type { LabStatus } from '../../lib/lab/supervisor';

const rule = 'hub/library=upstream.stampede.test/library';
const cache = {
  rules: [rule],
  settings: {
    upstream: {
      enabled: true,
      rateLimit: { scope: 'global', perMin: 60, burst: 10, retryAfterS: 5 },
      latencyMs: 0,
      bps: 0,
    },
    cache: { coalescing: 'per-front', hydrationWorkers: 2 },
    breaker: { enabled: true, failures: 5, windowS: 10, openS: 30 },
  },
  upstream: {
    url: 'http://127.0.9.6:8080',
    host: 'upstream.stampede.test',
    registryUrl: 'http://127.0.9.5:5000',
    fault: 'none',
    counters: {
      requests: { manifest: 41, blob: 3, other: 0 },
      manifestGets: 40,
      bytes: { manifest: 20_000, blob: 300_000, other: 0 },
      throttled: { manifest: 30, blob: 0, other: 0 },
      errors5xx: 0,
      dropped: 0,
      byClient: {},
    },
  },
  fronts: {
    eastus: {
      region: 'eastus',
      breaker: { state: 'open', recentFailures: 0, opened: 1, refused: 12, reopensInS: 20 },
      coalescing: { leaders: 1, joined: 39, inFlight: 0 },
      spool: { blobs: 0, bytes: 0 },
      rules: {
        [rule]: {
          requests: { manifest: 1, blob: 3 },
          bytes: 300_500,
          throttled: 0,
          failed: 0,
          refused: 12,
          served: { local: 0, upstream: 1, spool: 39 },
        },
      },
      hydration: [
        {
          image: 'hub/library/app@sha256:ab',
          registry: 'contoso',
          tag: 'v1',
          rule,
          state: 'done',
          queuedAt: 0,
          doneAt: 1500,
          hydratedAtS: 1.5,
          attempts: 1,
          error: null,
        },
      ],
    },
  },
};

describe('lab status: pull-through cache lines', () => {
  it('shows the rule, upstream counters, breaker, per-rule counters and hydration per image', () => {
    const text = cacheStatusLines({ cache } as unknown as LabStatus).join('\n');
    expect(text).toContain(`cache rules: ${rule}`);
    expect(text).toContain('requests manifest=41 (GET 40) blob=3; bytes 320000; 429s 30');
    expect(text).toContain('breaker open (probe in 20.0s), opened 1x, refused 12; coalesced 39 of 40');
    expect(text).toContain('served local=0 upstream=1 spool=39');
    expect(text).toContain('hydration hub/library/app@sha256:ab (v1): done in 1.50s');
  });

  it('prints nothing for a lab without upstream or rules', () => {
    expect(
      cacheStatusLines({ cache: { ...cache, rules: [], upstream: null } } as unknown as LabStatus),
    ).toEqual([]);
  });
});
