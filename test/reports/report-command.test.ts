import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { reportCommand } from '../../lib/cli/commands/report';
import { runDirBase } from '../../lib/results/run-dir';
import {
  chartIds,
  copySweepEnvelope,
  k6Envelope,
  k6Raw,
  killedK6RunDir,
  writeRunDir,
} from '../fixtures/reports/envelopes';

const base = mkdtempSync(join(tmpdir(), 'stampede-report-cmd-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), tty: false };
  const code = await runCommand(reportCommand, args, io);
  return { code, out: out.join(''), err: err.join('') };
}

type Spoil = [(e: Record<string, unknown>) => void, RegExp];

/** Each case spoils a good summary.json one way; report must exit 2 with BAD_RUN_DIR and the message. */
async function expectRejected(cases: Spoil[], prefix: string): Promise<void> {
  for (const [i, [spoil, message]] of cases.entries()) {
    const env = structuredClone(copySweepEnvelope()) as unknown as Record<string, unknown>;
    spoil(env);
    const dir = join(base, `${prefix}-${i}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(env));
    const r = await run([dir]);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('[BAD_RUN_DIR]');
  }
}

describe('stampede report', () => {
  it('writes <dir>/report.html and prints its path', async () => {
    const dir = writeRunDir(join(base, 'sweep'), copySweepEnvelope());
    const r = await run([dir]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.trim()).toBe(join(dir, 'report.html'));
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<h1>copy-sweep');
  });

  it('compares several dirs into <first>/compare.html, or --out', async () => {
    const a = writeRunDir(join(base, 'a'), copySweepEnvelope());
    const b = writeRunDir(join(base, 'b'), k6Envelope(), k6Raw());
    const r = await run([a, b]);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(join(a, 'compare.html'));
    const html = readFileSync(join(a, 'compare.html'), 'utf8');
    expect(html).toContain('copy-sweep (a)');
    expect(html).toContain('cold-pull (b)');
    const out = join(base, 'a-vs-b.html');
    expect((await run([a, b, '--out', out])).out.trim()).toBe(out);
    expect(existsSync(out)).toBe(true);
  });

  it('rebuilds from raw.ndjson alone and says so', async () => {
    const dir = writeRunDir(join(base, 'raw-only'), undefined, k6Raw());
    const r = await run([dir]);
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('rebuilt from raw.ndjson');
    expect(html).toContain('class="banner incomplete"');
  });

  it('exits 2 naming the path on bad input', async () => {
    const missing = join(base, 'missing');
    const r1 = await run([missing]);
    expect(r1.code).toBe(2);
    expect(r1.err).toContain(missing);

    const empty = join(base, 'empty');
    mkdirSync(empty);
    const r2 = await run([empty]);
    expect(r2.code).toBe(2);
    expect(r2.err).toContain(empty);

    const bad = join(base, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'summary.json'), '{ nope');
    const r3 = await run([bad]);
    expect(r3.code).toBe(2);
    expect(r3.err).toContain(join(bad, 'summary.json'));

    const r4 = await run([]);
    expect(r4.code).toBe(2);
    expect(r4.err).toContain('<run dir>');
  });

  it('names the field of a summary.json that is not a result envelope, instead of crashing', async () => {
    const cases: Spoil[] = [
      [(e) => delete e.metrics, /summary\.json: metrics: expected an object of metrics, received nothing/],
      [(e) => (e.metrics = null), /summary\.json: metrics: expected an object of metrics, received null/],
      [(e) => (e.points = [null]), /summary\.json: points\[0\]: expected an object/],
      [
        (e) => delete (e.points as Array<Record<string, unknown>>)[0]?.metrics,
        /summary\.json: points\[0\]\.metrics: expected an object of metrics/,
      ],
    ];
    await expectRejected(cases, 'spoilt');
  });

  it('says a file is not a run directory, and checks --out before building', async () => {
    const file = join(base, 'a.json');
    writeFileSync(file, '{}');
    const r = await run([file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('received "a file, not a directory"');
    const dir = writeRunDir(join(base, 'for-out'), k6Envelope(), k6Raw());
    const bad = await run([dir, '--out', join(base, 'no-such-dir', 'x.html')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--out: expected a file in an existing directory');
    const isDir = await run([dir, '--out', base]);
    expect(isDir.code).toBe(2);
    expect(isDir.err).toContain('--out: expected a file path');
  });

  it('rebuilds a killed k6 run with its pull metrics and charts', async () => {
    const dir = killedK6RunDir(join(base, 'killed-k6'));
    const r = await run([dir]);
    expect(r).toMatchObject({ code: 0, err: '' });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toContain('No metrics recorded');
    expect(html).toContain('<h1>cold-pull<span class="badge">k6</span>');
    for (const key of ['pullS.p50', 'pullS.p99', 'pulls.ok', 'errors.total', 'layerS.p90', 'http.requests'])
      expect(html).toContain(`<td class="key">${key}</td>`);
    expect(chartIds(html)).toEqual([
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
    // Says why the parameters table is empty rather than leaving "none recorded" unexplained.
    expect(html).toContain('written only to summary.json');
  });

  it('warns about unreadable raw.ndjson lines on the console and in the page', async () => {
    const dir = writeRunDir(join(base, 'corrupt-raw'), k6Envelope());
    const raw = k6Raw().map((x) => JSON.stringify(x));
    writeFileSync(
      join(dir, 'raw.ndjson'),
      Buffer.concat([
        Buffer.from(`${raw.slice(0, 10).join('\n')}\n{"type":"Point","metric":"ht\n`),
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x0a]),
        Buffer.from(`${raw.slice(10).join('\n')}\n{"torn":`),
      ]),
    );
    const r = await run([dir]);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(join(dir, 'report.html'));
    expect(r.err).toContain(
      `${join(dir, 'raw.ndjson')}: 2 unreadable lines in raw.ndjson skipped (lines 11, 12)`,
    );
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/class="banner note">2 unreadable lines in raw\.ndjson skipped/);
    // A torn last line alone is what a kill leaves: no warning.
    const clean = writeRunDir(join(base, 'torn-raw'), k6Envelope());
    writeFileSync(join(clean, 'raw.ndjson'), `${raw.join('\n')}\n{"torn":`);
    const r2 = await run([clean]);
    expect(r2).toMatchObject({ code: 0, err: '' });
    expect(readFileSync(join(clean, 'report.html'), 'utf8')).not.toContain('unreadable');
  });

  it('names odd reference, incomplete and runtime fields instead of crashing', async () => {
    const cases: Spoil[] = [
      [
        (e) => (e.reference = { source: 'x', points: [null] }),
        /summary\.json: reference\.points\[0\]: expected an object \{label, metrics\}, received null/,
      ],
      [
        (e) => (e.reference = { source: 'x' }),
        /reference\.points: expected a list of points, received nothing/,
      ],
      [(e) => (e.incomplete = 'killed'), /incomplete: expected an object \{reason\}, received "killed"/],
      [(e) => (e.incomplete = {}), /incomplete\.reason: expected a string, received nothing/],
      [(e) => (e.runtime = 5), /runtime: expected an object/],
    ];
    await expectRejected(cases, 'odd');
  });

  it('says why the deltas of runs of different models are empty', async () => {
    const sweep = writeRunDir(join(base, 'note-sweep'), copySweepEnvelope());
    const pull = writeRunDir(join(base, 'note-pull'), k6Envelope(), k6Raw());
    await run([sweep, pull]);
    expect(readFileSync(join(sweep, 'compare.html'), 'utf8')).toContain(
      'These runs are of different models/scenarios (copy-sweep, cold-pull)',
    );
    const again = writeRunDir(join(base, 'note-sweep-2'), copySweepEnvelope());
    await run([sweep, again]);
    expect(readFileSync(join(sweep, 'compare.html'), 'utf8')).not.toContain('different models');
  });

  it("--help's example run dir has the form run directories are named in", async () => {
    const r = await run(['--help']);
    const example = r.out.match(/stampede report (runs\/copy-sweep-\S+)/)?.[1];
    const real = runDirBase('copy-sweep', new Date('2026-01-01T00:00:00Z'));
    expect(real.endsWith(example ?? 'no example')).toBe(true);
  });

  it('--help explains every chart', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const id of [
      'pod-startup',
      'backend-egress',
      'node-egress',
      'time-series',
      'compare-scalars',
      '--out FILE',
    ])
      expect(r.out).toContain(id);
  });
});
