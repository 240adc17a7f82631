/**
 * `stampede demo`, the README's main command, end to end: a real lab (storage over TLS), a
 * copy sweep measured in it by real k6, the simulator fitted to it and predicting it, the
 * lab taken down again, and one page overlaying both.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { demoCommand } from '../../lib/cli/commands/demo';
import type { Envelope } from '../../lib/results/envelope';
import { chartIds } from '../fixtures/reports/envelopes';
import { K6, prerequisites, ROOT } from '../helpers/prereq';

const canRun = prerequisites('stampede demo', [ROOT, K6]);
const home = mkdtempSync(join(tmpdir(), 'stampede-demo-'));

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe.runIf(canRun)('stampede demo', () => {
  it('measures a copy sweep in a real lab with k6, fits the simulator, predicts, leaves no lab and ends with the page path', async () => {
    process.env.STAMPEDE_LAB_HOME = join(home, 'labs');
    const out = join(home, 'out');
    const lines: string[] = [];
    const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };
    const code = await runCommand(demoCommand, ['--out', out, '--vus', '4'], io);
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.at(-1)).toBe(`report: ${join(out, 'report.html')}`);
    expect(existsSync(join(out, 'report.html'))).toBe(true);

    // Measured: one point per copy count; simulated by the fit to it: the same points.
    const k6 = JSON.parse(readFileSync(join(out, 'k6-copy-sweep', 'summary.json'), 'utf8')) as Envelope;
    expect(k6.points.map((p) => p.label)).toEqual(['C=1', 'C=2', 'C=4']);
    for (const p of k6.points) expect(p.metrics.pulls).toEqual({ ok: 4, failed: 0 });
    const sim = JSON.parse(readFileSync(join(out, 'sim-copy-sweep', 'summary.json'), 'utf8')) as Envelope;
    expect(sim.points.map((p) => p.label)).toEqual(['C=1', 'C=2', 'C=4']);
    expect(existsSync(join(out, 'k6-copy-sweep', 'sim-preset.json'))).toBe(true);
    const page = readFileSync(join(out, 'report.html'), 'utf8');
    expect(page).toContain('Simulated vs measured, per point');
    // After the comparison, the measured run's own charts: load over time, anatomy, bytes, errors.
    expect(chartIds(page)).toEqual(
      expect.arrayContaining(['run0-load', 'run0-pull-anatomy', 'run0-backend-time', 'run0-responses']),
    );
    // The demo's storage speaks TLS: k6 met the backends over https and verified them.
    const raw = readFileSync(join(out, 'k6-copy-sweep', 'points', '01-C-1', 'raw.ndjson'), 'utf8');
    expect(raw).toMatch(
      /"name":"https:\/\/[a-z0-9-]+\.blob\.[^"]*"[^}]*"status":"200"[^}]*"tls_version":"tls1\.[23]"/,
    );
    // The lab is down and its state dir (CA keys, logs) is gone with it.
    expect(lines.some((l) => /lab demo\d+ is down/.test(l))).toBe(true);
    const labs = existsSync(join(home, 'labs')) ? readdirSync(join(home, 'labs')) : [];
    expect(labs.filter((l) => /^demo\d+$/.test(l))).toEqual([]);
  }, 300_000);
});

describe('stampede demo flags', () => {
  it.each([
    ['--vus', '0', /--vus: expected an integer >= 1 and <= 5000, received "?0"?/],
    ['--vus', 'abc', /--vus: expected an integer >= 1 and <= 5000, received "abc"/],
  ])('%s %s exits 2 before simulating or starting a lab', async (flag, value, message) => {
    process.env.STAMPEDE_LAB_HOME = join(home, 'labs-bad');
    const out = join(home, 'bad');
    const lines: string[] = [];
    const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };
    const started = Date.now();
    expect(await runCommand(demoCommand, ['--out', out, flag, value], io)).toBe(2);
    expect(lines.join('\n')).toMatch(message);
    expect(lines.join('\n')).not.toContain('== start the lab');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(home, 'labs-bad'))).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
