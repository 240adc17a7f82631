import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { reportCommand } from '../../lib/cli/commands/report';
import { copySweepEnvelope, k6Envelope, k6Raw, writeRunDir } from '../fixtures/reports/envelopes';

const base = mkdtempSync(join(tmpdir(), 'stampede-report-cmd-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), tty: false };
  const code = await runCommand(reportCommand, args, io);
  return { code, out: out.join(''), err: err.join('') };
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
    const cases: Array<[(e: Record<string, unknown>) => void, RegExp]> = [
      [(e) => delete e.metrics, /summary\.json: metrics: expected an object of metrics, received nothing/],
      [(e) => (e.metrics = null), /summary\.json: metrics: expected an object of metrics, received null/],
      [(e) => (e.points = [null]), /summary\.json: points\[0\]: expected an object/],
      [
        (e) => delete (e.points as Array<Record<string, unknown>>)[0]?.metrics,
        /summary\.json: points\[0\]\.metrics: expected an object of metrics/,
      ],
    ];
    for (const [i, [spoil, message]] of cases.entries()) {
      const env = structuredClone(copySweepEnvelope()) as unknown as Record<string, unknown>;
      spoil(env);
      const dir = join(base, `spoilt-${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'summary.json'), JSON.stringify(env));
      const r = await run([dir]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).toContain('[BAD_RUN_DIR]');
    }
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
