/** The lab-vs-twin chart of push-pull-race: its rows from metrics.twin, and a spec vega-lite compiles. */
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import {
  closeEnough,
  shareClose,
  TWIN_SHARE_PP,
  TWIN_TIME_FLOOR_S,
  TWIN_TIME_FLOOR_UNDER_S,
  TWIN_TIME_REL,
} from '../../../lib/k6/push-pull-race/twin';
import {
  raceTwinChart,
  shareTargetBand,
  timeTargetBand,
  twinRows,
  twinSpec,
} from '../../../reports/charts/race-twin';
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
          pairedFailedShare: 0,
          pairedToSuccessS: q(3.5),
        },
      ],
    },
  },
};
const run = { envelope, raw: [], label: 'r' };

describe('race-twin chart', () => {
  it('has a lab and a sim row per strategy and offset (and the paired replay where there is one), P50/P90 where there was a success', () => {
    expect(twinRows(run)).toEqual([
      { strategy: 'none', offsetS: 0, source: 'lab', failedShare: 1, p50: null, p90: null },
      { strategy: 'none', offsetS: 0, source: 'sim', failedShare: 1, p50: null, p90: null },
      { strategy: 'retry', offsetS: 0, source: 'lab', failedShare: 0, p50: 3.76, p90: 3.86 },
      { strategy: 'retry', offsetS: 0, source: 'sim', failedShare: 0, p50: 3.75, p90: 3.85 },
      // the paired replay's times: each lab pull timed by its own first GET's outcome
      { strategy: 'retry', offsetS: 0, source: 'paired', failedShare: 0, p50: 3.5, p90: 3.6 },
    ]);
  });

  it('compiles with vega-lite, and is null for a run without a twin', () => {
    const spec = twinSpec(run);
    expect(() => compile(spec as never)).not.toThrow();
    expect(twinSpec({ envelope: emptyEnvelope('k6'), raw: [], label: 'e' })).toBeNull();
  });
});

describe('race-twin bands: the twin check is their one source', () => {
  it('the constants are the ones the twin checks with', () => {
    expect([TWIN_SHARE_PP, TWIN_TIME_REL, TWIN_TIME_FLOOR_S, TWIN_TIME_FLOOR_UNDER_S]).toEqual([
      0.05, 0.1, 0.05, 0.5,
    ]);
  });

  it('a simulated time passes closeEnough inside its band and fails just outside', () => {
    // Across the floor's threshold (0.5 s) and far above it.
    for (const lab of [0, 0.01, 0.2, 0.45, 0.5, 0.52, 0.55, 0.6, 1, 3, 40]) {
      const [low, high] = timeTargetBand(lab);
      const step = 1e-6 * Math.max(1, lab);
      for (const inside of [low + step, lab, high - step])
        expect(closeEnough(lab, inside), `lab ${lab}, sim ${inside}`).toBe(true);
      expect(closeEnough(lab, high + step), `lab ${lab}, above ${high}`).toBe(false);
      if (low > 0) expect(closeEnough(lab, low - step), `lab ${lab}, below ${low}`).toBe(false);
    }
  });

  it('a simulated share passes shareClose inside its band and fails just outside', () => {
    for (const lab of [0, 0.02, 0.5, 0.97, 1]) {
      const [low, high] = shareTargetBand(lab);
      expect(shareClose(lab, low) && shareClose(lab, high)).toBe(true);
      if (low > 0) expect(shareClose(lab, low - 1e-6)).toBe(false);
      if (high < 1) expect(shareClose(lab, high + 1e-6)).toBe(false);
    }
  });

  it('the caption states the targets from the same constants', () => {
    const caption = raceTwinChart.caption(run);
    expect(caption).toContain(`within ${TWIN_SHARE_PP * 100} pp`);
    expect(caption).toContain(`within ${TWIN_TIME_REL * 100}%`);
  });

  it('the caption says which clock the paired replay ran on, and how many pulls each', () => {
    const withClock = (twin: Record<string, unknown>) =>
      raceTwinChart.caption({
        ...run,
        envelope: {
          ...run.envelope,
          metrics: { ...run.envelope.metrics, twin: { ...(run.envelope.metrics.twin as object), ...twin } },
        },
      });
    expect(withClock({ clock: 'lab', pairing: { lab: 11, k6: 4 } })).toContain(
      "lab's one clock for 11 pulls",
    );
    expect(withClock({ clock: 'lab', pairing: { lab: 11, k6: 4 } })).toContain('send instant for 4');
    expect(withClock({ clock: 'k6', pairing: { lab: 0, k6: 9 } })).toContain('two clocks may disagree');
  });
});
