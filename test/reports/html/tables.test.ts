import { describe, expect, it } from 'vitest';
import { metricsTable, metricUnit, paramsTable, valueCell } from '../../../reports/html/tables';
import { buildReportHtml } from '../../../reports/index';
import { copySweepEnvelope, k6Envelope } from '../../fixtures/reports/envelopes';

describe('report tables', () => {
  it('shows parameters as name/value, a long value folded under a preview', () => {
    const layers = Array.from({ length: 3 }, (_, i) => ({
      digest: `sha256:${'ab'.repeat(32)}`,
      size: 2 ** (20 + i),
    }));
    const html = paramsTable({ vus: 20, target: { seeded: { layers } } }, 'Resolved parameters');
    expect(html).toContain('<th class="key">parameter</th><th class="key">value</th>');
    expect(html).toContain('<tr><td class="key">vus</td><td class="text">20</td></tr>');
    expect(html).toMatch(
      /<td class="key">target\.seeded\.layers<\/td><td class="text"><details class="fold"><summary>\[\{&quot;digest/,
    );
    expect(html).toContain('(3 items)');
    // The whole value is there, pretty-printed (one key per line), not one long line.
    expect(html).toContain('&quot;size&quot;: 4194304');
    expect(valueCell('short')).toBe('<td class="text">short</td>');
  });

  it('gives a k6 run one metrics column (no empty "whole run"), with units, and no parameter rows', () => {
    const e = k6Envelope();
    e.points = [{ label: 'cold-pull', params: e.params, metrics: e.metrics }];
    e.metrics.bytes = 146_802_440;
    const html = metricsTable(e);
    expect(html).not.toContain('whole run');
    expect(html).not.toContain('configuration parameters');
    expect(html).toContain('<th class="key">metric</th><th class="key">unit</th><th>cold-pull</th>');
    expect(html).toContain(
      '<td class="key">pullS.p99</td><td class="unit">seconds</td><td title="11.4">11.4 s</td>',
    );
    expect(html).toContain(
      '<td class="key">bytes</td><td class="unit">bytes</td><td title="146802440">146.802 MB</td>',
    );
    expect(html).not.toContain('vus');
  });

  it('gives a sweep one column per configuration and only the parameters that differ', () => {
    const e = copySweepEnvelope();
    const html = metricsTable(e);
    expect(html).toContain('Parameters that differ between configurations');
    for (const p of e.points) expect(html).toContain(`<th>${p.label}</th>`);
    expect(metricUnit('nodeEgressBps.p50')).toBe('bytes/s');
    expect(metricUnit('hotBackendRatio')).toBe('ratio');
    expect(metricUnit('throttleEvents')).toBe('count');
  });

  it('compares runs with one parameter column per run', () => {
    const a = k6Envelope();
    const b = k6Envelope();
    b.params = { ...b.params, vus: 1000 };
    const html = buildReportHtml([a, b], [], { labels: ['small', 'big'] });
    expect(html).toContain('Resolved parameters, one column per run');
    expect(html).toMatch(/<td class="key">vus<\/td><td class="text">50<\/td><td class="text">1000<\/td>/);
    expect(html).not.toContain('pa55');
  });
});
