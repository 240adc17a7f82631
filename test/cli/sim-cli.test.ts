import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { defineCommand } from '../../lib/cli/command';
import { simCommand } from '../../lib/cli/commands/sim';
import { defaults } from '../../lib/config/schema';
import type { Envelope } from '../../lib/results/envelope';
import { formatSeconds } from '../../reports/format';
import { FREE_PARAMS } from '../../sim/experiments/calibrate';
import { loadPreset } from '../../sim/experiments/presets';
import { coldPullSchema } from '../../sim/models/cold-pull/params';
import { copySweepSchema } from '../../sim/models/copy-sweep/params';
import { type Captured, capture } from '../helpers/cli';

const root = defineCommand({ name: 'stampede', summary: 'test root', subCommands: { sim: simCommand } });

const cli = (...args: string[]): Promise<Captured> => capture(root, ['sim', ...args]);

const tmp = () => mkdtempSync(join(tmpdir(), 'stampede-sim-'));
const small = ['--set', 'workload.nodes=60', '--set', 'workload.layerSizesMiB=50,400,120,30'];

/** A target table file with these point labels, every one at P50/P90/P99 = 40/45/50 s. */
function targetTable(labels: string[]): string {
  const file = join(tmp(), 't.json');
  const points = labels.map((label) => ({ label, podStartupS: { p50: 40, p90: 45, p99: 50 } }));
  writeFileSync(file, JSON.stringify({ source: 'test table', points }));
  return file;
}

/** A small cold-pull under the preset, into a fresh dir (run/ and env.json), plus extra flags. */
async function coldPull(...extra: string[]) {
  const dir = tmp();
  const json = join(dir, 'env.json');
  const r = await cli(
    'cold-pull',
    '--preset',
    'acr-copies-2026',
    ...small,
    ...extra,
    '--out',
    join(dir, 'run'),
    '--json',
    json,
  );
  if (r.code !== 0) throw new Error(`cold-pull exited ${r.code}: ${r.err}`);
  const env = JSON.parse(readFileSync(json, 'utf8')) as Envelope;
  return { r, env, dir };
}

describe('stampede sim', () => {
  it('--help lists the models and each model lists its parameter tree', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/cold-pull/);
    expect(top.out).toMatch(/copy-sweep/);
    expect(top.out).toMatch(/calibrate/);
    const help = await cli('copy-sweep', '--help');
    expect(help.code).toBe(0);
    for (const path of [
      'workload.nodes',
      'storage.ceilingBps',
      'storage.fanOutCost',
      'sweep.copies',
      'client.unpackBps',
    ])
      expect(help.out).toContain(path);
    expect(help.out).toContain('acr-copies-2026');
  });

  it('cold-pull writes summary.json, raw.ndjson, --json and prints a table', async () => {
    const { r, env, dir } = await coldPull('--seed', '3');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/P50\s+P90\s+P99/);
    expect(r.out).toMatch(/report: .*report\.html/);
    expect(env.tool).toBe('stampede');
    expect(env.name).toBe('cold-pull');
    expect(env.seed).toBe(3);
    expect((env.params.workload as { nodes: number }).nodes).toBe(60);
    expect(env.metrics.podStartupS?.p50).toBeGreaterThan(0);
    const raw = readFileSync(join(dir, 'run', 'raw.ndjson'), 'utf8')
      .trim()
      .split('\n');
    expect(raw).toHaveLength(60);
    expect(Object.keys(JSON.parse(raw[0] as string))).toEqual(
      expect.arrayContaining(['point', 'node', 'podStartupS', 'pullS', 'egressBps', 'throttleEvents']),
    );
    expect(existsSync(join(dir, 'run', 'summary.json'))).toBe(true);
  });

  it('prints where and when a throttled run refused, from its own per-backend and per-layer counts', async () => {
    // A low ceiling, a short meter and small range requests: two hot backends refuse for seconds.
    const { r, env } = await coldPull(
      ...['--set', 'storage.copies=2', '--set', 'storage.ceilingBps=1e9', '--set', 'storage.meterWindowS=5'],
      ...[
        '--set',
        'client.chunkBytes=8388608',
        '--set',
        'client.retryBaseS=2',
        '--set',
        'client.retryCapS=60',
      ],
    );
    expect(r.code).toBe(0);
    const p = env.points[0];
    const total = p?.metrics.throttleEvents ?? 0;
    expect(total).toBeGreaterThan(0);
    const refusing = (p?.metrics.backends ?? []).filter((b) => (b.throttles ?? 0) > 0);
    const first = Math.min(...refusing.map((b) => b.firstThrottleS ?? Number.NaN));
    const last = Math.max(...refusing.map((b) => b.lastThrottleS ?? Number.NaN));
    expect(first).toBeLessThanOrEqual(last);
    expect(r.out).toContain(
      `${p?.label}: ${total} 503s from ${refusing.length} backend${refusing.length === 1 ? '' : 's'}, t = ${formatSeconds(first)} to ${formatSeconds(last)}; layers `,
    );
  });

  it('copy-sweep gives one point per configuration, without the 1,000-node table on a smaller fleet', async () => {
    const dir = tmp();
    const r = await cli(
      'copy-sweep',
      '--preset',
      'acr-copies-2026',
      ...small,
      '--out',
      dir,
      '--json',
      join(dir, 'e.json'),
    );
    expect(r.code).toBe(0);
    const env = JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as Envelope;
    expect(env.points.map((p) => p.label)).toEqual(['Baseline', 'Low', 'Mid', 'Higher', 'Very high']);
    // The published table is the post's 1,000-node experiment: not overlaid on 60 nodes.
    expect(env.reference).toBeUndefined();
    expect(r.out).not.toContain('published');
    // The sweep names its sweet spot, in the summary and on the console.
    const spot = env.metrics.sweetSpot as { label: string; copies: number };
    expect(env.points.map((p) => p.label)).toContain(spot.label);
    expect(r.out).toContain(`sweet spot: ${spot.label} (${spot.copies} copies per layer)`);
    // Every point that throttled gets its 503 line, and only those.
    const throttled = env.points.filter((p) => (p.metrics.throttleEvents ?? 0) > 0);
    for (const p of env.points)
      expect(r.out.includes(`  ${p.label}: ${p.metrics.throttleEvents} 503s`), p.label).toBe(
        throttled.includes(p),
      );
  });

  it.each([
    [['cold-pull', '--set', 'workload.nodes=-3'], /workload\.nodes/],
    [['cold-pull', '--preset', 'nope'], /--preset/],
    [['cold-pull', '--set', 'storage.bogus=1'], /storage\.bogus/],
    [['cold-pull', '--seed', 'abc'], /--seed/],
    [['cold-pull', '--seed', '-1'], /--seed/],
    [['cold-pull', '--set', 'storage.copies=500'], /storage\.copies/],
    [['copy-sweep', '--set', 'sweep.labels=a,b'], /sweep\.labels/],
    [['frobnicate'], /sim <command>/],
  ])('bad input %j exits 2 naming the field', async (args, field) => {
    const r = await cli(...(args as string[]), '--out', tmp());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(field);
  });
});

describe('stampede sim calibrate', () => {
  it('rejects a malformed target table naming the field', async () => {
    const dir = tmp();
    const bad = join(dir, 't.json');
    writeFileSync(
      bad,
      JSON.stringify({
        source: 'x',
        points: [{ label: 'Baseline', podStartupS: { p50: 1, p90: 'soon', p99: 3 } }],
      }),
    );
    const r = await cli('calibrate', '--target', bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/points\[0\]\.podStartupS\.p90/);
    writeFileSync(bad, '{not json');
    expect((await cli('calibrate', '--target', bad)).code).toBe(2);
    const missing = await cli('calibrate', '--target', join(dir, 'absent.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--target/);
  });

  it('fits a user table for a few iterations and prints residuals per figure', async () => {
    const target = targetTable(['Baseline', 'Low', 'Mid', 'Higher', 'Very high']);
    // Six candidate ladders for a 5-point table: one screening sweep each.
    const short = await cli('calibrate', '--target', target, '--iterations', '5', ...small);
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/--iterations.*>= 6.*received 5/);
    const r = await cli('calibrate', '--target', target, '--iterations', '6', ...small);
    expect(r.err).not.toMatch(/unexpected/);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/6 evaluations/);
    expect(r.out).toMatch(/^ladder: \d+(, \d+){4} copies \(screened: /m);
    expect(r.out).toMatch(/Very high\s+p99\s+50/);
    expect(r.out).toMatch(/^ {2}storage\.shedFraction = /m);
    // the sourced parameters are printed apart, with their source
    expect(r.out).toMatch(/^sourced \(not fitted\):\n {2}storage\.ceilingBps = 25000000000: Azure Storage/m);
    // another cluster's storage: a --set wins over the source, and the output says so
    const own = await cli(
      'calibrate',
      '--target',
      target,
      '--iterations',
      '6',
      ...small,
      '--set',
      'storage.ceilingBps=1e9',
    );
    expect(own.code).toBe(0);
    expect(own.out).toMatch(
      /^ {2}storage\.ceilingBps = 1000000000 \(set; the source's value is 25000000000\)$/m,
    );
  });

  // A two-configuration sweep of a small storm: each evaluation is quick.
  const two = [...small, '--set', 'sweep.copies=2,6', '--set', 'storage.backends=16'];

  it('--holdout fits without a row and prints its errors apart; --seeds averages over seeds', async () => {
    const target = targetTable(['A', 'B']);
    const r = await cli(
      'calibrate',
      '--target',
      target,
      '--iterations',
      '3',
      '--seeds',
      '2',
      '--holdout',
      'B',
      ...two,
    );
    expect(r.err).not.toMatch(/unexpected/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/seeds 1, 2; simulated = mean over seeds/);
    expect(r.out).toMatch(/held out \(not fitted\): B/);
    // The in-sample table lists only A; the held-out table only B.
    const [inSample, heldOut] = r.out.split('held out (not fitted)');
    expect(inSample).toMatch(/^A\s+p99\s+50/m);
    expect(inSample).not.toMatch(/^B\s+p\d\d/m);
    expect(heldOut).toMatch(/^B\s+p50\s+40\s+\d+\s+-?\d+\.\d%/m);
  });

  it('--cv writes a calibrate-cv envelope (one point per held-out row) and a report with the held-out chart', async () => {
    const target = targetTable(['A', 'B']);
    const out = join(tmp(), 'cv');
    const r = await cli(
      'calibrate',
      '--target',
      target,
      '--cv',
      '--iterations',
      '2',
      '--seeds',
      '1',
      '--out',
      out,
      ...two,
    );
    expect(r.err).not.toMatch(/unexpected/);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/2 fits/);
    expect(r.out).toMatch(/^held out\s+P50 err\s+P90 err\s+P99 err/m);
    expect(r.out).toMatch(/held-out figures within \+-10%: \d\/6; folds keeping every finding: 2\/2/);
    const env = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Envelope;
    expect([env.kind, env.name]).toEqual(['sim', 'calibrate-cv']);
    expect(env.points.map((p) => p.label)).toEqual(['A', 'B']);
    expect(Object.keys(env.points[0]?.metrics.heldOutError as object)).toEqual(['p50', 'p90', 'p99']);
    expect(env.params.seeds).toEqual([1]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/Held-out error per configuration/);
  });

  it('bad --holdout, --seeds and --cv input exits 2 naming the flag', async () => {
    const target = targetTable(['A', 'B']);
    const one = targetTable(['A']);
    const cases: Array<[string[], RegExp]> = [
      [
        ['--target', target, '--holdout', 'C', ...two],
        /--holdout: expected labels of the target table \(A, B\).*"C"/,
      ],
      [['--target', target, '--holdout', 'A,B', ...two], /--holdout: expected at least one row/],
      [['--target', target, '--seeds', '0', ...two], /--seeds: expected an integer >= 1/],
      [['--target', target, '--seeds', 'two', ...two], /--seeds: expected an integer/],
      [
        ['--target', one, '--cv', '--set', 'sweep.copies=2', ...small],
        /--cv: expected a target table of at least 2 rows/,
      ],
      [['--target', target, '--cv', '--holdout', 'A', ...two], /--holdout: expected not with --cv/],
      [['--target', target, '--cv', '--write-preset', 'x', ...two], /--write-preset: expected not with --cv/],
      [['--target', target, '--out', tmp(), ...two], /--out: expected only with --cv/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('calibrate', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err).not.toMatch(/ {4}at /);
    }
  });

  it('rejects a target table that repeats a label (residuals are matched by label)', async () => {
    const target = targetTable(['Baseline', 'Low', 'Low', 'Higher', 'Very high']);
    const r = await cli('calibrate', '--target', target, '--iterations', '6', ...small);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/points\[2\]\.label.*no earlier point.*"Low"/);
  });
});

describe('stampede sim output paths', () => {
  it('rejects bad --out and --json paths before running, naming the flag', async () => {
    const dir = tmp();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: Array<[string[], RegExp]> = [
      [['--out='], /--out: expected a directory path, received ""/],
      [['--json='], /--json: expected a file path, received ""/],
      [['--out', file], /--out: expected a directory \(or a path to create\).*a file/],
      [['--out', join(file, 'sub')], /--out: expected a directory path.*is a file/],
      [['--json', dir], /--json: expected a file path.*a directory/],
      [['--json', join(dir, 'missing', 'a.json')], /--json: expected a file in an existing directory/],
    ];
    // mkdir under /proc answers ENOENT, on which node's recursive mkdir used to spin forever.
    if (existsSync('/proc/self'))
      cases.push([
        ['--out', '/proc/stampede-nope'],
        /--out: expected a (directory that can be created|path in a writable directory)/,
      ]);
    for (const [flags, message] of cases) {
      const r = await cli('cold-pull', ...small, ...flags);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.err, flags.join(' ')).toMatch(message);
      // Rejected before the run: no stack trace, no report, nothing written.
      expect(r.err).not.toMatch(/unexpected failure| {4}at /);
      expect(r.out).toBe('');
    }
    expect(readdirSync(dir)).toEqual(['a-file']);
  });

  it('starts a fresh raw.ndjson when --out names an earlier run', async () => {
    const out = join(tmp(), 'run');
    for (const nodes of ['60', '7']) {
      const r = await cli('cold-pull', ...small, '--set', `workload.nodes=${nodes}`, '--out', out);
      expect(r.code, r.err).toBe(0);
    }
    const lines = readFileSync(join(out, 'raw.ndjson'), 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.includes('"node"')).length).toBe(7);
  });

  it('validates everything before it makes or touches a run directory', async () => {
    const out = join(tmp(), 'run');
    // sweep.copies (up to 96) does not fit 50 backends: found before any directory is made.
    const r = await cli('copy-sweep', ...small, '--set', 'storage.backends=50', '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/sweep\.copies: expected copy counts <= storage\.backends \(50\)/);
    expect(existsSync(out)).toBe(false);
    // An earlier run's raw records survive a rejected rerun into the same directory.
    expect((await cli('cold-pull', ...small, '--out', out)).code).toBe(0);
    const before = readFileSync(join(out, 'raw.ndjson'), 'utf8');
    expect((await cli('copy-sweep', ...small, '--set', 'storage.backends=50', '--out', out)).code).toBe(2);
    expect(readFileSync(join(out, 'raw.ndjson'), 'utf8')).toBe(before);
  });

  it('gives every run without --out a new directory under runs/', async () => {
    const cwd = process.cwd();
    process.chdir(tmp());
    try {
      const dirs: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await cli('cold-pull', ...small, '--set', `workload.nodes=${5 + i}`);
        expect(r.code, r.err).toBe(0);
        dirs.push(/^run: (.*)$/m.exec(r.out)?.[1] as string);
      }
      expect(new Set(dirs).size).toBe(2);
      // Each has only its own nodes (5, then 6), however close together they started.
      for (const [i, d] of dirs.entries())
        expect(readFileSync(join(d, 'raw.ndjson'), 'utf8').trim().split('\n')).toHaveLength(5 + i);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('stampede sim command line', () => {
  it('rejects stray words and says what is wrong with a flag in full', async () => {
    const stray = await cli('cold-pull', 'acr-copies-2026', ...small);
    expect(stray.code).toBe(2);
    expect(stray.err).toContain('received "acr-copies-2026"');
    const seed = await cli('cold-pull', ...small, '--seed', '-1');
    expect(seed.code).toBe(2);
    expect(seed.err).toContain(
      '--seed: expected a value, received "-1" (write --seed=-1 for values starting with -)',
    );
    const bogus = await cli('cold-pull', ...small, '--bogus');
    expect(bogus.code).toBe(2);
    expect(bogus.err).toContain(`--bogus: unknown flag (see 'stampede sim cold-pull --help') [UNKNOWN_FLAG]`);
    const json = await cli('cold-pull', ...small, '--json', '--seed', '3');
    expect(json.code).toBe(2);
    expect(json.err).toContain('--json: expected a value, received nothing (--seed is the next flag');
  });

  it('shows progress on a single cold-pull that runs for a while', async () => {
    // Each clock reading is 2 s after the last: the progress line's quiet period is over at once.
    let now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => (now += 2000));
    try {
      const r = await cli('cold-pull', ...small, '--out', join(tmp(), 'run'));
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/^sim cold-pull: \d+% \(\d+\/60\) [\d.]+s nodes ready at t = .* simulated$/m);
      expect(r.err).toMatch(/^sim cold-pull: done in /m);
    } finally {
      clock.mockRestore();
    }
  });

  it('stops quietly when stdout is closed early (| head -1)', () => {
    const bin = fileURLToPath(new URL('../../bin/stampede.js', import.meta.url));
    const out = join(tmp(), 'run');
    const r = spawnSync(
      'sh',
      ['-c', `node "${bin}" sim cold-pull ${small.join(' ')} --out "${out}" | head -1`],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.stdout).toMatch(/^point +P50/);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.status).toBe(0);
  });
});

describe('stampede sim with no node ready', () => {
  it('reports no startup quantiles (not 0 s) and says how many nodes were not ready', async () => {
    const dir = tmp();
    const r = await cli('cold-pull', ...small, '--set', 'run.horizonS=5', '--out', join(dir, 'run'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^C=\d+\s+n\/a\s+n\/a\s+n\/a/m);
    expect(r.out).toContain('not ready by run.horizonS (5.00 s):\n  C=8: 60 of 60 nodes (no percentiles)');
    expect(r.out).not.toMatch(/0m00s/);
    const env = JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8')) as Envelope;
    expect(env.points[0]?.metrics.podStartupS).toBeUndefined();
    expect(env.points[0]?.metrics.errors?.total).toBe(60);
  });

  it('says how many nodes a point is missing when only some were ready', async () => {
    const full = await coldPull();
    const p50 = full.env.metrics.podStartupS?.p50 as number;
    const { r, env } = await coldPull('--set', `run.horizonS=${p50}`);
    const missing = env.metrics.errors?.total as number;
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBeLessThan(60);
    expect(r.out).toContain(
      `  C=8: ${missing} of 60 nodes (its percentiles cover the ${60 - missing} that were ready)`,
    );
  });
});

describe('stampede sim copy-sweep copies', () => {
  it('rejects storage.copies (a sweep runs sweep.copies) and checks only the sweep against the pool', async () => {
    const r = await cli('copy-sweep', ...small, '--set', 'storage.copies=3');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/storage\.copies: expected unset for copy-sweep.*sweep\.copies.*received "3"/);
    // storage.copies' default (8) above the pool is no concern of a sweep that fits it.
    const out = join(tmp(), 'run');
    const ok = await cli(
      'copy-sweep',
      ...small,
      '--set',
      'storage.backends=6',
      '--set',
      'sweep.copies=1,2,6',
      '--set',
      'sweep.labels=a,b,c',
      '--out',
      out,
    );
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).not.toMatch(/\dm60s/);
    // Nor from a parameter file.
    const params = join(tmp(), 'p.json');
    writeFileSync(params, JSON.stringify({ storage: { copies: 4 } }));
    const file = await cli('copy-sweep', ...small, '--params', params);
    expect(file.code).toBe(2);
    expect(file.err).toContain(`storage.copies (in ${params}): expected unset for copy-sweep`);
  });
});

describe('stampede sim copy-sweep and the published table', () => {
  it("compares against the published figures only on the post's own experiment", async () => {
    const post = await cli('copy-sweep', '--preset', 'acr-copies-2026', '--out', join(tmp(), 'run'));
    expect(post.code, post.err).toBe(0);
    expect(post.out.match(/^ {2}published /gm)).toHaveLength(5);
    // Same labels and fleet, another ladder: Baseline here is not the post's Baseline.
    const dir = tmp();
    const other = await cli(
      'copy-sweep',
      '--preset',
      'acr-copies-2026',
      '--set',
      'sweep.copies=1,2,3,4,5',
      '--out',
      join(dir, 'run'),
      '--json',
      join(dir, 'e.json'),
    );
    expect(other.code, other.err).toBe(0);
    expect(other.out).not.toContain('published');
    expect((JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as Envelope).reference).toBeUndefined();
  });
});

describe('presets belong to a model and carry the fitted values', () => {
  it('a plain run applies the default preset, says so in help, and --preset none runs on the round defaults', async () => {
    for (const model of ['cold-pull', 'copy-sweep']) {
      const help = await cli(model, '--help');
      expect(help.out).toContain('Applied when --preset is not given: acr-copies-2026');
    }
    const fitted = loadPreset('acr-copies-2026', 'copy-sweep').params as {
      client: Record<string, number>;
      storage: Record<string, number>;
    };
    const run = async (...extra: string[]) => {
      const dir = tmp();
      const r = await cli(
        'cold-pull',
        ...small,
        ...extra,
        '--out',
        join(dir, 'run'),
        '--json',
        join(dir, 'e.json'),
      );
      expect(r.code, r.err).toBe(0);
      return JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as Envelope;
    };
    const plain = await run();
    expect(plain.runtime.preset).toBe('acr-copies-2026');
    expect(plain.params.client).toMatchObject(fitted.client);
    expect(plain.params.storage).toMatchObject(fitted.storage);
    const bare = await run('--preset', 'none');
    expect(bare.runtime.preset).toBeUndefined();
    expect({ client: bare.params.client, storage: bare.params.storage }).toEqual({
      client: defaults(coldPullSchema).client,
      storage: defaults(coldPullSchema).storage,
    });
  });

  it('the schema defaults of the fitted parameters are round values inside their bounds, not the fit', () => {
    const d = defaults(copySweepSchema) as unknown as Record<string, Record<string, number>>;
    const fitted = loadPreset('acr-copies-2026', 'copy-sweep').params as Record<
      string,
      Record<string, number>
    >;
    for (const p of FREE_PARAMS) {
      const [group, key] = p.path.split('.') as [string, string];
      const v = d[group]?.[key] as number;
      expect(v, p.path).toBeGreaterThanOrEqual(p.lo);
      expect(v, p.path).toBeLessThanOrEqual(p.hi);
      expect(v, p.path).not.toBe(fitted[group]?.[key]);
      // Round: a whole number of MiB/s (rates), of seconds, or of hundredths.
      const unit = key.endsWith('Bps') ? 2 ** 20 : 0.01;
      expect(Math.abs(v / unit - Math.round(v / unit)), p.path).toBeLessThan(1e-9);
    }
  });

  it('calibrate refuses to write a preset named "none" before it fits anything', async () => {
    const r = await cli('calibrate', '--write-preset', 'none', '--iterations', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--write-preset.*not "none"/);
  });

  it('an unknown preset names the model whose presets it looked in', async () => {
    const r = await cli('cold-pull', '--preset', 'nope', '--out', join(tmp(), 'x'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--preset');
    expect(r.err).toMatch(/acr-copies-2026, none \(the presets of copy-sweep\)/);
  });
});
