/**
 * The gate's comparison page in a real headless Chromium: the verdict table and the
 * gate-verdicts chart draw beside the comparison charts, with no console error. Starts a
 * browser: run it under the machine-wide lock,
 *   flock /tmp/stampede-lab.lock npx vitest run test/cli/gate-render.test.ts
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineCommand, type Io, runCommand } from '../../lib/cli/command';
import { gateCommand } from '../../lib/cli/commands/gate';
import { simCommand } from '../../lib/cli/commands/sim';
import { chromiumPrereq, prerequisites } from '../helpers/prereq';
import { type Browser, CHROMIUM, launchChromium } from './helpers/chromium';

const available = prerequisites('the gate page in Chromium', [chromiumPrereq(CHROMIUM)]);
if (!available && process.env.CI === 'true') throw new Error(`gate-render needs Chromium at ${CHROMIUM}`);

const root = defineCommand({
  name: 'stampede',
  summary: 'test root',
  subCommands: { sim: simCommand, gate: gateCommand },
});
const home = mkdtempSync(join(tmpdir(), 'stampede-gaterender-'));
const quiet: Io = { out: () => {}, err: () => {}, tty: false };

describe.runIf(available)('the gate page renders', () => {
  let browser: Browser;
  const page = join(home, 'gate.html');
  let code: number;

  beforeAll(async () => {
    for (const [name, copies] of [
      ['base', 12],
      ['cand', 2],
    ] as const) {
      const sets = ['workload.nodes=500', `storage.copies=${copies}`].flatMap((s) => ['--set', s]);
      const args = ['sim', 'cold-pull', '--preset', 'acr-copies-2026', ...sets, '--out', join(home, name)];
      expect(await runCommand(root, args, quiet)).toBe(0);
    }
    code = await runCommand(
      root,
      [
        'gate',
        '--baseline',
        join(home, 'base'),
        '--candidate',
        join(home, 'cand'),
        '--allow-diff',
        'storage.copies',
        '--report',
        page,
      ],
      quiet,
    );
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  }, 15_000);

  it('draws the verdict chart and the comparison charts with no console error', async () => {
    expect(code).toBe(1);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('Gate verdict: FAIL');
    const p = await browser.newPage({ width: 1280, height: 900 });
    try {
      await p.navigate(pathToFileURL(page).href, 30_000);
      const outcomes = await p.evaluate<Array<{ id: string; ok: boolean }>>(
        'window.__stampedeRendered',
        30_000,
      );
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(outcomes.map((o) => o.id)).toContain('gate-verdicts');
      const drawn = await p.evaluate<{ marks: number; width: number; rows: string[] }>(`(() => {
        const el = document.querySelector('.vis[data-chart="gate-verdicts"]');
        const svg = el && el.querySelector('svg');
        const r = svg ? svg.getBoundingClientRect() : { width: 0 };
        const rows = [...(el ? el.querySelectorAll('.role-axis-label text') : [])].map((t) => t.textContent);
        return { marks: el ? el.querySelectorAll('.mark-symbol path, .mark-rule line, .mark-rect path').length : 0, width: r.width, rows };
      })()`);
      expect(drawn.width).toBeGreaterThan(300);
      expect(drawn.marks).toBeGreaterThan(3);
      expect(drawn.rows).toEqual(
        expect.arrayContaining(['podStartupS.p50', 'podStartupS.p90', 'podStartupS.p99']),
      );
      console.log(`gate page screenshot: ${await p.screenshot(page.replace(/\.html$/, '.png'))}`);
      expect(p.errors()).toEqual([]);
    } finally {
      await p.close();
    }
  }, 60_000);
});
