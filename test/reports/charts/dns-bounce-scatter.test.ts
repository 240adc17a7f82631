import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { bounceScatterSpec, dnsBounceScatterChart } from '../../../reports/charts/dns-bounce-scatter';
import type { ReportRun } from '../../../reports/types';
import { emptyEnvelope, rows } from '../spec-helpers';

const run = (scatter: unknown, kind: 'sim' | 'k6' = 'k6'): ReportRun => {
  const envelope = emptyEnvelope(kind);
  envelope.metrics.scatter = scatter as never;
  return { envelope, label: 'dns-bounce', raw: [] } as unknown as ReportRun;
};

describe('dns-bounce scatter chart', () => {
  it('a lab bar (with its 95% interval) and a model bar per mitigation; vega-lite compiles it', () => {
    const spec = bounceScatterSpec(
      run([
        { mitigation: 'none', pushes: 300, scattered: 107, scatteredShare: 107 / 300, modeledShare: 0.369 },
        { mitigation: 'regional', pushes: 300, scattered: 0, scatteredShare: 0, modeledShare: 0 },
        { mitigation: 'retry-push', pushes: 300, scattered: 0, scatteredShare: 0, modeledShare: null },
      ]),
    );
    const r = rows(spec);
    expect(r.map((x) => `${x.mitigation}/${x.source}`)).toEqual([
      'none/lab (measured)',
      'none/model',
      'regional/lab (measured)',
      'regional/model',
      'retry-push/lab (measured)',
    ]);
    expect(r[0]?.lo).toBeLessThan(107 / 300);
    expect(r[0]?.hi).toBeGreaterThan(107 / 300);
    expect(r[1]?.lo).toBeNull();
    expect(() => compile(spec as never)).not.toThrow();
  });

  it('draws nothing for a simulator run (its own chart has the scatter) or without rows', () => {
    expect(
      bounceScatterSpec(run([{ mitigation: 'none', pushes: 1, scattered: 0, scatteredShare: 0 }], 'sim')),
    ).toBeNull();
    expect(dnsBounceScatterChart.build(run(undefined))).toBeNull();
  });
});
