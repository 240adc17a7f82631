/** The lab-vs-twin chart of push-pull-race: its rows from metrics.twin, and a spec vega-lite compiles. */
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { twinRows, twinSpec } from '../../../reports/charts/race-twin';
import { emptyEnvelope } from '../spec-helpers';

const q = (v: number) => ({ p50: v, p90: v + 0.1, p99: v + 0.1, max: v + 0.1 });
const envelope = {
  ...emptyEnvelope('k6'),
  metrics: {
    twin: {
      sets: ['mode=race'],
      targetsMet: true,
      rows: [
        {
          strategy: 'none',
          offsetS: 0,
          labFailedShare: 1,
          simFailedShare: 1,
          labToSuccessS: null,
          simToSuccessS: null,
        },
        {
          strategy: 'retry',
          offsetS: 0,
          labFailedShare: 0,
          simFailedShare: 0,
          labToSuccessS: q(3.76),
          simToSuccessS: q(3.75),
        },
      ],
    },
  },
};
const run = { envelope, raw: [], label: 'r' };

describe('race-twin chart', () => {
  it('has a lab and a sim row per strategy and offset, P50/P90 where there was a success', () => {
    expect(twinRows(run)).toEqual([
      { strategy: 'none', offsetS: 0, source: 'lab', failedShare: 1, p50: null, p90: null },
      { strategy: 'none', offsetS: 0, source: 'sim', failedShare: 1, p50: null, p90: null },
      { strategy: 'retry', offsetS: 0, source: 'lab', failedShare: 0, p50: 3.76, p90: 3.86 },
      { strategy: 'retry', offsetS: 0, source: 'sim', failedShare: 0, p50: 3.75, p90: 3.85 },
    ]);
  });

  it('compiles with vega-lite, and is null for a run without a twin', () => {
    const spec = twinSpec(run);
    expect(() => compile(spec as never)).not.toThrow();
    expect(twinSpec({ envelope: emptyEnvelope('k6'), raw: [], label: 'e' })).toBeNull();
  });
});
