/**
 * `stampede gate` and `stampede baseline` end to end on real `stampede sim` run directories:
 * exit codes (0 pass, 1 fail / inconclusive under --strict, 2 bad input or not comparable),
 * saved baselines, the JUnit file read back by a real XML parser (python3's xml.etree, the
 * structure JUnit consumers read: testsuites > testsuite > testcase with failure/skipped),
 * the Markdown summary and the comparison page with the verdicts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineCommand } from '../../lib/cli/command';
import { baselineCommand } from '../../lib/cli/commands/baseline';
import { gateCommand } from '../../lib/cli/commands/gate';
import { simCommand } from '../../lib/cli/commands/sim';
import { type Captured, capture } from '../helpers/cli';

const root = defineCommand({
  name: 'stampede',
  summary: 'test root',
  subCommands: { sim: simCommand, gate: gateCommand, baseline: baselineCommand },
});

const cli = (...args: string[]): Promise<Captured> => capture(root, args);

const home = mkdtempSync(join(tmpdir(), 'stampede-gatecli-'));
const store = join(home, 'saved');
const dir = (n: string) => join(home, n);

async function sim(name: string, copies: number, seed: number, nodes: number): Promise<void> {
  const r = await cli(
    'sim',
    'cold-pull',
    '--preset',
    'acr-copies-2026',
    '--set',
    `workload.nodes=${nodes}`,
    '--set',
    `storage.copies=${copies}`,
    '--seed',
    String(seed),
    '--out',
    dir(name),
  );
  expect(r.code, r.err).toBe(0);
}

interface JUnitRead {
  root: string;
  suites: Array<{ attrs: Record<string, string>; properties: Record<string, string> }>;
  cases: Array<{
    classname: string;
    name: string;
    failure?: { type: string; message: string; text: string };
    skipped?: string;
  }>;
}

/** Parses a JUnit file with python3's xml.etree and returns what a JUnit consumer reads. */
function readJUnit(path: string): JUnitRead {
  const py = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [{"attrs": s.attrib, "properties": {p.get("name"): p.get("value") for p in s.iter("property")}} for s in root.iter("testsuite")]
cases = []
for c in root.iter("testcase"):
    d = {"classname": c.get("classname"), "name": c.get("name")}
    f = c.find("failure")
    if f is not None: d["failure"] = {"type": f.get("type"), "message": f.get("message"), "text": f.text or ""}
    s = c.find("skipped")
    if s is not None: d["skipped"] = s.get("message")
    cases.append(d)
print(json.dumps({"root": root.tag, "suites": suites, "cases": cases}))
`;
  const r = spawnSync('python3', ['-c', py, path], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as JUnitRead;
}

beforeAll(async () => {
  // 500 nodes: enough samples for a p99 (5 beyond it); 60 nodes: too few.
  // 1,000 nodes, the post's storm: at 500 two copies cost P99 only +4.6 % (inconclusive at 5 %)
  await sim('c12', 12, 1, 1000);
  await sim('c12s2', 12, 2, 1000);
  await sim('c2', 2, 1, 1000);
  await sim('small1', 12, 1, 60);
  await sim('small2', 12, 2, 60);
}, 240_000);

describe('stampede baseline', () => {
  it('saves a run under a name, lists it, and replaces it on a second save', async () => {
    const first = await cli('baseline', 'save', 'last-good', dir('c12'), '--dir', store);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^saved baseline last-good: sim cold-pull, seed 1/);
    for (const f of ['summary.json', 'raw.ndjson', 'baseline.json'])
      expect(existsSync(join(store, 'last-good', f))).toBe(true);
    const again = await cli('baseline', 'save', 'last-good', dir('c12'), '--dir', store);
    expect(again.out).toMatch(/^replaced baseline last-good/);
    const list = await cli('baseline', 'list', '--dir', store);
    expect(list.out).toMatch(/^last-good\s+sim cold-pull\s+seed 1\s+\d{4}-\d\d-\d\dT/);
  });

  it('refuses a bad name and a directory that is not a run', async () => {
    const bad = await cli('baseline', 'save', '../x', dir('c12'), '--dir', store);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/NAME: expected a baseline name/);
    const notRun = await cli('baseline', 'save', 'x', home, '--dir', store);
    expect(notRun.code).toBe(2);
    expect(notRun.err).toMatch(/\[BAD_RUN_DIR\]/);
  });
});

describe('stampede gate', () => {
  it('passes another seed of the same configuration against a saved baseline; writes JUnit, Markdown, page', async () => {
    await cli('baseline', 'save', 'last-good', dir('c12'), '--dir', store);
    const junit = join(home, 'pass.xml');
    const md = join(home, 'pass.md');
    const r = await cli(
      'gate',
      '--baseline',
      'last-good',
      '--baseline-dir',
      store,
      '--candidate',
      dir('c12s2'),
      '--junit',
      junit,
      '--markdown',
      md,
    );
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^PASS\s+podStartupS\.p99\s/m);
    expect(r.out).toMatch(/gate PASS: 5 passed, 0 failed, 0 inconclusive of 5 checks/);
    const j = readJUnit(junit);
    expect(j.root).toBe('testsuites');
    expect(j.suites[0]?.attrs).toMatchObject({ tests: '5', failures: '0', errors: '0', skipped: '0' });
    expect(j.suites[0]?.properties).toMatchObject({ verdict: 'pass', 'candidate.seed': '2' });
    expect(j.cases.map((c) => c.name)).toEqual([
      'podStartupS.p50',
      'podStartupS.p90',
      'podStartupS.p99',
      'throttleEvents',
      'errors.total',
    ]);
    expect(
      j.cases.every((c) => c.classname === 'stampede.gate.sim.cold-pull' && !c.failure && !c.skipped),
    ).toBe(true);
    const summary = readFileSync(md, 'utf8');
    expect(summary).toMatch(/^## ✅ stampede gate: sim cold-pull — PASS/);
    expect(summary).toMatch(/\| ✅ \| podStartupS\.p99 \| [\d.]+ s \| [\d.]+ s \|/);
    const page = readFileSync(join(dir('c12s2'), 'gate.html'), 'utf8');
    expect(page).toContain('Gate verdict: PASS');
    expect(page).toContain('"id":"gate-verdicts"');
  });

  it('refuses runs with other parameters (exit 2), naming the difference', async () => {
    const r = await cli('gate', '--baseline', dir('c12'), '--candidate', dir('c2'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /candidate params\.storage\.copies: expected the baseline's value 12 .*received 2 \[NOT_COMPARABLE\]/,
    );
  });

  it('fails a degraded candidate (copies 2 against 12) with exit 1, the metric named in every output', async () => {
    const junit = join(home, 'fail.xml');
    const md = join(home, 'fail.md');
    const r = await cli(
      'gate',
      '--baseline',
      dir('c12'),
      '--candidate',
      dir('c2'),
      '--allow-diff',
      'storage.copies',
      '--junit',
      junit,
      '--markdown',
      md,
      '--report',
      join(home, 'fail.html'),
    );
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/^FAIL\s+podStartupS\.p99\s/m);
    expect(r.out).toMatch(/^FAIL\s+throttleEvents\s+0\s+\d+/m);
    expect(r.out).toMatch(/allowed parameter changes: storage\.copies 12 -> 2/);
    const j = readJUnit(junit);
    const failed = j.cases.filter((c) => c.failure);
    expect(Number(j.suites[0]?.attrs.failures)).toBe(failed.length);
    const p99 = failed.find((c) => c.name === 'podStartupS.p99');
    expect(p99?.failure?.type).toBe('regression');
    expect(p99?.failure?.message).toMatch(
      /^regression: podStartupS\.p99 [\d.]+ s -> [\d.]+ s .*95% CI of the difference \[/,
    );
    expect(p99?.failure?.text).toMatch(/samples: baseline 1000, candidate 1000, needed 500/);
    expect(readFileSync(md, 'utf8')).toMatch(/\*\*FAIL podStartupS\.p99\*\*: regression/);
    expect(readFileSync(join(home, 'fail.html'), 'utf8')).toContain('Gate verdict: FAIL');
  });

  it('is inconclusive with too few samples: exit 0, or 1 under --strict; JUnit skipped vs failure', async () => {
    const junit = join(home, 'inc.xml');
    const lax = await cli(
      'gate',
      '--baseline',
      dir('small1'),
      '--candidate',
      dir('small2'),
      '--junit',
      junit,
    );
    expect(lax.code, lax.out + lax.err).toBe(0);
    expect(lax.out).toMatch(
      /INCONCLUSIVE podStartupS\.p99: too few samples: baseline 60, candidate 60; podStartupS\.p99 needs at least 500 per run/,
    );
    const j = readJUnit(junit);
    expect(j.cases.find((c) => c.name === 'podStartupS.p99')?.skipped).toMatch(
      /^inconclusive: too few samples/,
    );
    expect(Number(j.suites[0]?.attrs.skipped)).toBe(j.cases.filter((c) => c.skipped).length);
    const strict = await cli(
      'gate',
      '--baseline',
      dir('small1'),
      '--candidate',
      dir('small2'),
      '--strict',
      '--junit',
      junit,
    );
    expect(strict.code).toBe(1);
    expect(readJUnit(junit).cases.find((c) => c.name === 'podStartupS.p99')?.failure?.type).toBe(
      'inconclusive',
    );
  });

  it.each([
    ['not JSON', '{"rules": [', /--rules: expected a JSON file/],
    [
      'an unknown metric',
      { rules: [{ metric: 'pullS.p95', tolerance: { relative: 0.1 } }] },
      /rules\[0\]\.metric: expected pullS\.<p50\|p90\|p99>/,
    ],
    [
      'a bad direction',
      { rules: [{ metric: 'errors.total', direction: 'up', tolerance: { absolute: 0 } }] },
      /rules\[0\]\.direction: expected "lower" or "higher"/,
    ],
    [
      'a negative tolerance',
      { rules: [{ metric: 'errors.total', tolerance: { absolute: -1 } }] },
      /rules\[0\]\.tolerance\.absolute: expected a number >= 0, received -1/,
    ],
    ['no tolerance', { rules: [{ metric: 'errors.total' }] }, /rules\[0\]\.tolerance: expected an object/],
    [
      'an unknown point',
      { rules: [{ metric: 'errors.total', point: 'Mid', tolerance: { absolute: 0 } }] },
      /rules\[0\]\.point: expected a configuration of the baseline \("C=12"\), received "Mid"/,
    ],
  ])('exits 2 on a rules file with %s, naming the field', async (_what, doc, message) => {
    const file = join(home, `rules-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
    const r = await cli('gate', '--baseline', dir('c12'), '--candidate', dir('c12s2'), '--rules', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('applies a rules file in place of the defaults', async () => {
    const file = join(home, 'one-rule.json');
    writeFileSync(
      file,
      JSON.stringify({
        rules: [{ metric: 'pullS.p90', tolerance: { relative: 0.05 } }],
        bootstrap: { resamples: 500 },
      }),
    );
    const r = await cli('gate', '--baseline', dir('c12'), '--candidate', dir('c12s2'), '--rules', file);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/rules: .*one-rule\.json/);
    expect(r.out).toMatch(/gate PASS: 1 passed, 0 failed, 0 inconclusive of 1 checks/);
  });

  it('exits 2 without a candidate, or on a baseline that is neither a directory nor a saved name', async () => {
    expect((await cli('gate', '--baseline', dir('c12'))).err).toMatch(
      /--candidate: expected a run directory, received nothing/,
    );
    const r = await cli('gate', '--baseline', 'nope', '--baseline-dir', store, '--candidate', dir('c12'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--baseline: expected a run directory or a saved baseline name in .* \(saved: last-good\), received "nope"/,
    );
  });
});
