/** The cache-stampede lab-vs-twin chart: drawn from metrics.model, held-out error in its caption, a spec vega-lite compiles. */
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { cacheStampedeTwinChart, cacheTwinSpec } from '../../../reports/charts/cache-stampede-twin';
import { emptyEnvelope } from '../spec-helpers';

const model = {
  predicted: {
    manifestGets: 1,
    blobRequests: 3,
    throttled: 0,
    pullS: { p50: 2.2, p90: 2.6 },
    ok: 40,
    failed: 0,
  },
  measured: { manifestGets: 1, blobRequests: 3, throttled: 0, pullS: { p50: 2, p90: 3 } },
  ratio: { requests: 1, p50: 2 / 2.2, p90: 3 / 2.6 },
  within: { requests: true, p50: true, p90: false },
  heldOutError: { p50: 0.1, p90: -0.1333 },
  serving: {
    on: 'wave 2 (hydrated, by digest)',
    requestS: 0.004,
    bps: 2e8,
    servers: 2,
    pollers: 40,
    measured: { p50: 1.5, p90: 2 },
    fitted: { p50: 1.52, p90: 1.97 },
    fitError: { p50: 0.0133, p90: -0.015 },
    evaluations: 60,
  },
  ablations: { protocolOnly: { p50: 0.03, p90: 0.04 }, noGatePolls: { p50: 2, p90: 2.4 } },
  sets: [],
};
const run = (m: unknown) => ({
  envelope: { ...emptyEnvelope('k6'), metrics: { model: m } },
  raw: [],
  label: 'r',
});

describe('cache-stampede twin chart', () => {
  it('overlays the cold wave measured and predicted, with the held-out error in the caption', () => {
    const spec = cacheTwinSpec(run(model));
    expect(spec).not.toBeNull();
    expect(() => compile(spec as never)).not.toThrow();
    const text = JSON.stringify(spec);
    expect(text).toContain('sim twin (serving fitted on wave 2)');
    expect(text).toContain('"errorPct":10');
    const caption = cacheStampedeTwinChart.caption(run(model));
    expect(caption).toContain('held out: error P50 +10%, P90 -13%');
    expect(caption).toContain('missed');
  });

  it('draws nothing for a run without a twin or with a skipped one', () => {
    expect(cacheTwinSpec(run(undefined))).toBeNull();
    expect(cacheTwinSpec(run({ skipped: 'prewarm' }))).toBeNull();
  });

  it('says so when the pull times are the protocol alone', () => {
    const m = { ...model, heldOutError: null, serving: { skipped: 'waves=1: nothing to fit on' } };
    expect(cacheTwinSpec(run(m))).not.toBeNull();
    expect(cacheStampedeTwinChart.caption(run(m))).toMatch(/protocol's alone \(waves=1/);
  });
});
