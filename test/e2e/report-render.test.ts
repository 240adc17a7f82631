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
import { defineCommand } from '../../lib/cli/command';
import { simCommand } from '../../lib/cli/commands/sim';
import { simVsMeasuredSpec } from '../../reports/charts/sim-vs-measured';
import { writeReport } from '../../reports/index';
import { quantileRecord } from '../../reports/points';
import {
  chartIds,
  copySweepEnvelope,
  k6Envelope,
  k6Raw,
  killedK6RunDir,
  writeRunDir,
} from '../fixtures/reports/envelopes';
import { writeK6PullRaw } from '../fixtures/reports/k6-pull-raw';
import { capture } from '../helpers/cli';
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
      // Layout at 1280 px: every table (folded ones opened) fits the page's column.
      const widths = await page.evaluate<{ main: number; tables: number[] }>(`(() => {
        document.querySelectorAll('details').forEach((d) => { d.open = true; });
        const main = document.querySelector('main').getBoundingClientRect().width;
        return { main, tables: [...document.querySelectorAll('table')].map((t) => t.getBoundingClientRect().width) };
      })()`);
      expect(widths.main).toBeLessThanOrEqual(1280);
      for (const [i, w] of widths.tables.entries())
        expect(w, `table ${i} width`).toBeLessThanOrEqual(widths.main);
      // Every chart drew marks: a spec whose data filtered to nothing draws an empty frame.
      const marks = await page.evaluate<
        Array<{ id: string; marks: number }>
      >(`[...document.querySelectorAll('.vis')].map((el) => ({
        id: el.dataset.chart,
        marks: el.querySelectorAll('.mark-rect path, .mark-line path, .mark-area path, .mark-symbol path, .mark-rule line, .mark-tick rect, .mark-text text').length,
      }))`);
      for (const m of marks) expect(m.marks, `${m.id} has no marks`).toBeGreaterThan(0);
      expect(page.errors()).toEqual([]);
      // No chart drawn far outside its frame: a killed run's anatomy chart once made a 30,000 px page.
      const heights = await page.evaluate<{ page: number; sections: Array<[string, number]> }>(`({
        page: document.documentElement.scrollHeight,
        sections: [...document.querySelectorAll('section.chart')].map((el) => [el.dataset.chart, el.getBoundingClientRect().height]),
      })`);
      for (const [id, h] of heights.sections) expect(h, `${id} section height`).toBeLessThan(1500);
      expect(heights.page, 'page height').toBeLessThan(3000 + 1000 * expected.length);
      // Chromium refuses a full-page capture of a very tall page: then the first screen only.
      const png = file.replace(/\.html$/, '.png');
      const shot = await page.screenshot(png).catch(() => page.screenshot(png, { fullPage: false }));
      console.log(`report screenshot: ${shot}`);
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
    await render(file, [
      'throttling',
      'pull',
      'pull-cdf',
      'load',
      'pull-anatomy',
      'pull-anatomy-time',
      'errors',
      'time-series',
    ]);
  }, 60_000);

  // Real k6 output (no hand-made pullS records): the pull CDF comes from k6's own points.
  it('draws the pull charts of a real k6 run killed before its summary', async () => {
    const dir = killedK6RunDir(join(base, 'k6-killed'));
    const file = await writeReport([dir]);
    await render(file, [
      'throttling',
      'node-egress',
      'pull',
      'pull-cdf',
      'load',
      'responses',
      'pull-anatomy',
      'pull-anatomy-time',
      'backend-time',
      'region-answers',
    ]);
  }, 60_000);

  it('draws every chart of a lab k6 run with a fault (generated raw.ndjson), and the sim-vs-measured overlay', async () => {
    const dir = join(base, 'k6-lab');
    const e = k6Envelope();
    const { layers } = writeK6PullRaw(join(writeRunDir(dir, e), 'raw.ndjson'), {
      vus: 40,
      iterations: 3,
      faultFromS: 2,
      faultToS: 5,
    });
    e.params = { vus: 40, target: { kind: 'lab', seeded: { layers } } };
    e.metrics.backends = ['eastus', 'westus'].flatMap((r) =>
      [0, 1, 2].map((b) => ({
        id: `${r}-b${b}`,
        bytes: 1e8,
        peakEgressBps: 3e8,
        ceilingBps: b === 0 ? 2.5e8 : 0,
      })),
    );
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(e));
    const file = await writeReport([dir], undefined, {
      charts: (env) => [
        {
          id: 'sim-vs-measured',
          title: 'Pull duration: simulated vs measured',
          help: '',
          caption: () => '',
          build: () => {
            const m = quantileRecord(env.metrics, 'pullS') ?? {};
            const sim = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v * 1.07]));
            return simVsMeasuredSpec({
              unit: 's',
              what: 'pull duration',
              measured: { quantiles: m },
              simulated: { quantiles: sim },
            });
          },
        },
      ],
    });
    await render(file, [
      'throttling',
      'backend-egress',
      'pull',
      'load',
      'responses',
      'pull-anatomy',
      'pull-anatomy-time',
      'layer-throughput',
      'backend-time',
      'region-answers',
      'errors',
      'sim-vs-measured',
    ]);
  }, 90_000);

  // A real simulator run through the CLI, with its model's own charts: no warning may slip through.
  it('draws every chart of a simulated copy sweep without a console warning', async () => {
    const root = defineCommand({ name: 'stampede', summary: 'test root', subCommands: { sim: simCommand } });
    const dir = join(base, 'sim-copy-sweep');
    const small = ['--set', 'workload.nodes=60', '--set', 'workload.layerSizesMiB=50,400,120,30'];
    const r = await capture(root, [
      'sim',
      'copy-sweep',
      '--preset',
      'acr-copies-2026',
      ...small,
      '--out',
      dir,
    ]);
    expect(r.code).toBe(0);
    const file = join(dir, 'report.html');
    const ids = chartIds(readFileSync(file, 'utf8'));
    expect(ids.length).toBeGreaterThan(5);
    await render(file, ids);
  }, 120_000);

  it('draws a comparison of the two', async () => {
    const a = writeRunDir(join(base, 'cmp-a'), copySweepEnvelope());
    // A second run with a worse tail, so the screenshot shows two distinct series.
    const slower = copySweepEnvelope();
    for (const p of slower.points) if (p.metrics.podStartupS) p.metrics.podStartupS.p99 += 45;
    const b = writeRunDir(join(base, 'cmp-b'), slower);
    const file = await writeReport([a, b]);
    await render(file, ['compare-pod-startup', 'compare-scalars']);
  }, 60_000);

  // The demo's page: a measured run against a simulated one, then the measured run's own charts.
  it("draws a comparison with the measured run's own section (the demo's page)", async () => {
    const measured = killedK6RunDir(join(base, 'sections-k6'));
    const simulated = writeRunDir(join(base, 'sections-sim'), copySweepEnvelope());
    const file = await writeReport([measured, simulated], join(base, 'sections.html'), { runSections: true });
    const ids = chartIds(readFileSync(file, 'utf8'));
    // Only the k6 run gets a section (run0-...), with the charts of its own page.
    const own = ids.filter((id) => id.startsWith('run0-')).map((id) => id.slice('run0-'.length));
    expect(own).toEqual(
      expect.arrayContaining(['load', 'responses', 'pull-anatomy', 'backend-time', 'region-answers']),
    );
    expect(ids.filter((id) => id.startsWith('run1-'))).toEqual([]);
    await render(file, ids);
  }, 90_000);

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
