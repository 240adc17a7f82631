import { describe, expect, it } from 'vitest';
import { buildReportHtml } from '../../reports/index';
import { copySweepEnvelope, k6Envelope, k6Raw } from '../fixtures/reports/envelopes';

function specsOf(html: string): Array<{ id: string }> {
  const m = /<script type="application\/json" id="stampede-specs">([\s\S]*?)<\/script>/.exec(html);
  if (!m?.[1]) throw new Error('no spec island');
  return JSON.parse(m[1]) as Array<{ id: string }>;
}

describe('buildReportHtml', () => {
  it('is self-contained: libraries inlined, nothing fetched', () => {
    const html = buildReportHtml([copySweepEnvelope()]);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain('vegaEmbed');
    expect(html.length).toBeGreaterThan(500_000);
    expect(html).toContain('window.__stampedeRendered');
  });

  it('has the header, params, metrics and one captioned section per chart', () => {
    const html = buildReportHtml([copySweepEnvelope()]);
    expect(html).toContain('<h1>copy-sweep<span class="badge">sim</span></h1>');
    expect(html).toContain('seed <b>42</b>');
    expect(html).toContain('date <b>2026-01-15T09:30:00Z</b>');
    expect(html).toContain('<summary>Resolved parameters (9)</summary>');
    expect(html).toContain('podStartupS.p99');
    expect(specsOf(html).map((s) => s.id)).toEqual([
      'pod-startup',
      'pod-startup-cdf',
      'throttling',
      'throttles-by-layer',
      'hot-backend',
      'backend-egress',
      'node-egress',
    ]);
    expect(html.match(/<p class="caption">/g)).toHaveLength(7);
    expect(html).toContain('published values (ACR blog');
  });

  it("names a sweep's sweet spot, and each run's in a comparison", () => {
    const withSpot = (label: string, copies: number, p99S: number, pastRegression: number) => {
      const e = copySweepEnvelope();
      e.metrics.sweetSpot = { label, copies, p99S, bestP99S: p99S, tolerance: 0.02, pastRegression };
      return e;
    };
    const a = withSpot('Mid', 12, 622, 0.33);
    const b = withSpot('Very high', 96, 623, 0);
    expect(buildReportHtml([a])).toContain(
      '<b>Sweet spot:</b> Mid (12 copies per layer): the fewest copies with no throttling and a P99 within 2% of the best (10m 22s); more copies cost up to +33.0% at P99.',
    );
    const cmp = buildReportHtml([a, b], [], { labels: ['1k nodes', '5k nodes'] });
    expect(cmp).toContain('<b>Sweet spots:</b>');
    expect(cmp).toContain('1k nodes: Mid (12 copies per layer)');
    expect(cmp).toContain('5k nodes: Very high (96 copies per layer)');
    expect(buildReportHtml([copySweepEnvelope()])).not.toContain('Sweet spot');
  });

  it('shows an incomplete run with a banner and what it has', () => {
    const e = k6Envelope();
    e.incomplete = { reason: 'interrupted by SIGINT after 31 s' };
    const html = buildReportHtml([e], [k6Raw()]);
    expect(html).toContain('class="banner incomplete"');
    expect(html).toContain('interrupted by SIGINT after 31 s');
    expect(specsOf(html).map((s) => s.id)).toEqual([
      'throttling',
      'pull',
      'pull-cdf',
      'load',
      'pull-anatomy',
      'pull-anatomy-time',
      'errors',
      'time-series',
    ]);
  });

  it('escapes names and keeps data from closing the spec script', () => {
    const e = copySweepEnvelope();
    e.name = '<img src=x onerror=alert(1)>';
    e.points[0]!.label = '</script><script>alert(1)</script>';
    const html = buildReportHtml([e]);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('</script><script>alert(1)');
    expect(specsOf(html).length).toBeGreaterThan(0);
  });

  it('compares runs: comparison charts and a delta table against the first run', () => {
    const b = copySweepEnvelope();
    b.points[0]!.metrics.throttleEvents = 2105;
    const html = buildReportHtml([copySweepEnvelope(), b], [], {
      labels: ['copy-sweep (a)', 'copy-sweep (b)'],
    });
    expect(html).toContain('Comparison of 2 runs');
    expect(specsOf(html).map((s) => s.id)).toEqual(['compare-pod-startup', 'compare-scalars']);
    expect(html).toContain('Metric deltas vs copy-sweep (a)');
    // Baseline throttles 4,210 -> 2,105: -2,105, -50.0%.
    expect(html).toMatch(/<td>2,105<\/td><td class="down">-2,105<\/td><td class="down">-50.0%<\/td>/);
  });
});
