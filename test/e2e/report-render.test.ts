/**
 * Renders real reports in headless Chromium: every chart must draw (an svg of non-zero size
 * in each container) with no console error, from file:// with no network. Screenshots are
 * kept under the OS temp dir for a human look (path printed).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../reports/index';
import {
  copySweepEnvelope,
  k6Envelope,
  k6Raw,
  killedK6RunDir,
  writeRunDir,
} from '../fixtures/reports/envelopes';
import { chromiumPrereq, prerequisites } from '../helpers/prereq';
import { type Browser, CHROMIUM, launchChromium } from './helpers/chromium';

interface ChartCheck {
  id: string;
  graphics: number;
  width: number;
  height: number;
}

const CHECK_CHARTS = `(() => [...document.querySelectorAll('.vis')].map((el) => {
  const g = [...el.querySelectorAll('svg.marks, canvas.marks, svg, canvas')];
  const r = g[0] ? g[0].getBoundingClientRect() : { width: 0, height: 0 };
  return { id: el.dataset.chart, graphics: g.length, width: r.width, height: r.height };
}))()`;

const base = mkdtempSync(join(tmpdir(), 'stampede-report-e2e-'));
const available = prerequisites('report rendering in Chromium', [chromiumPrereq(CHROMIUM)]);

describe.runIf(available)('report renders in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  }, 15_000);

  /** Tick labels of one chart's axes, as drawn. */
  const axisLabels = (id: string) =>
    `[...document.querySelectorAll('.vis[data-chart="${id}"] .role-axis-label text')].map((t) => t.textContent)`;

  async function render(file: string, expected: string[]): Promise<void> {
    const page = await browser.newPage({ width: 1280, height: 900 });
    try {
      await page.navigate(pathToFileURL(file).href, 30_000);
      const outcomes = await page.evaluate<Array<{ id: string; ok: boolean; error?: string }>>(
        'window.__stampedeRendered',
        30_000,
      );
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      const charts = await page.evaluate<ChartCheck[]>(CHECK_CHARTS);
      expect(charts.map((c) => c.id)).toEqual(expected);
      for (const c of charts) {
        expect(c.graphics, `${c.id} drew nothing`).toBeGreaterThan(0);
        expect(c.width, `${c.id} width`).toBeGreaterThan(100);
        expect(c.height, `${c.id} height`).toBeGreaterThan(100);
      }
      // Counts are whole numbers, also when every one is 0 (no "0.000000" ticks).
      if (expected.includes('throttling')) {
        const labels = await page.evaluate<string[]>(axisLabels('throttling'));
        expect(labels.length, 'throttling axis labels').toBeGreaterThan(1);
        for (const label of labels.filter((l) => /^[\d.,]+$/.test(l)))
          expect(label, 'a throttle count tick').not.toContain('.');
      }
      // A series that is 0 throughout gets ticks too, not 0.000000.
      if (expected.includes('time-series')) {
        const labels = await page.evaluate<string[]>(axisLabels('time-series'));
        expect(labels.length, 'time-series axis labels').toBeGreaterThan(1);
        expect(labels.filter((l) => /\.\d{4,}/.test(l))).toEqual([]);
      }
      const shot = await page.screenshot(file.replace(/\.html$/, '.png'));
      console.log(`report screenshot: ${shot}`);
      expect(page.errors()).toEqual([]);
    } finally {
      await page.close();
    }
  }

  it('draws every chart of a copy-sweep run', async () => {
    const dir = writeRunDir(join(base, 'copy-sweep'), copySweepEnvelope());
    const file = await writeReport([dir]);
    await render(file, [
      'pod-startup',
      'pod-startup-cdf',
      'throttling',
      'throttles-by-layer',
      'hot-backend',
      'backend-egress',
      'node-egress',
    ]);
  }, 60_000);

  it('draws every chart of a k6 run with raw records', async () => {
    // Plus a series that is 0 throughout (no request failed), whose axis must still tick.
    const failed = k6Raw()
      .filter((r) => r.metric === 'http_req_duration')
      .map((r) => ({ ...r, metric: 'http_req_failed', data: { ...(r.data as object), value: 0 } }));
    const dir = writeRunDir(join(base, 'k6-cold-pull'), k6Envelope(), [...k6Raw(), ...failed]);
    const file = await writeReport([dir]);
    await render(file, ['throttling', 'pull', 'pull-cdf', 'errors', 'time-series']);
  }, 60_000);

  // Real k6 output (no hand-made pullS records): the pull CDF comes from k6's own points.
  it('draws the pull charts of a real k6 run killed before its summary', async () => {
    const dir = killedK6RunDir(join(base, 'k6-killed'));
    const file = await writeReport([dir]);
    await render(file, ['throttling', 'node-egress', 'pull', 'pull-cdf', 'time-series']);
  }, 60_000);

  it('draws a comparison of the two', async () => {
    const a = writeRunDir(join(base, 'cmp-a'), copySweepEnvelope());
    // A second run with a worse tail, so the screenshot shows two distinct series.
    const slower = copySweepEnvelope();
    for (const p of slower.points) if (p.metrics.podStartupS) p.metrics.podStartupS.p99 += 45;
    const b = writeRunDir(join(base, 'cmp-b'), slower);
    const file = await writeReport([a, b]);
    await render(file, ['compare-pod-startup', 'compare-scalars']);
  }, 60_000);

  // A chart that renders but is laid out other than its spec says only warns: caught too.
  it('notices a console warning (the step height that made vega-lite drop fit-y)', async () => {
    const dir = writeRunDir(join(base, 'warns'), copySweepEnvelope());
    const file = await writeReport([dir]);
    const html = readFileSync(file, 'utf8');
    const stepped = html.replace(
      /"width":"container","height":\d+/,
      '"width":"container","height":{"step":28}',
    );
    expect(stepped).not.toBe(html);
    writeFileSync(file, stepped);
    const page = await browser.newPage();
    try {
      await page.navigate(pathToFileURL(file).href, 30_000);
      await page.evaluate('window.__stampedeRendered', 30_000);
      expect(page.errors().map((e) => `${e.level}: ${e.text}`)).toEqual([
        expect.stringMatching(/^warning: .*Dropping "fit-y" because spec has discrete height/),
      ]);
    } finally {
      await page.close();
    }
  }, 60_000);

  // The checks above are only worth something if a broken chart is actually caught.
  it('notices a chart that fails to render', async () => {
    const dir = writeRunDir(join(base, 'broken'), k6Envelope());
    const file = await writeReport([dir]);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('"mark":{"type":"bar"}', '"mark":{"type":"no-such-mark"}'),
    );
    const page = await browser.newPage();
    try {
      await page.navigate(pathToFileURL(file).href, 30_000);
      const outcomes = await page.evaluate<Array<{ id: string; ok: boolean }>>(
        'window.__stampedeRendered',
        30_000,
      );
      expect(outcomes.filter((o) => !o.ok).map((o) => o.id)).toEqual(['errors']);
      expect(
        page
          .errors()
          .map((e) => e.text)
          .join('\n'),
      ).toMatch(/chart errors failed/);
    } finally {
      await page.close();
    }
  }, 60_000);
});
