/**
 * `stampede sim cold-pull|copy-sweep` give what they gave before the model registry: the
 * envelopes, console tables and raw.ndjson of test/fixtures/sim were stored from the
 * pre-registry CLI (cases.json has the arguments), and must match apart from `runtime`.
 * The "-default" cases run without --preset, so they also check that each model's default
 * preset carries the fitted values the schema defaults used to hold.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineCommand, type Io, runCommand } from '../../lib/cli/command';
import { simCommand } from '../../lib/cli/commands/sim';
import type { Envelope } from '../../lib/results/envelope';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'sim');
const root = defineCommand({ name: 'stampede', summary: 'test root', subCommands: { sim: simCommand } });

interface Case {
  args: string[];
  table: string[];
  rawSha256: string;
}
const { cases } = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as {
  cases: Record<string, Case>;
};

const withoutRuntime = ({ runtime: _, ...rest }: Envelope) => rest;

describe('sim output stored before the model registry', () => {
  it('has the four stored cases', () => {
    expect(Object.keys(cases).sort()).toEqual([
      'cold-pull-default',
      'cold-pull-preset',
      'copy-sweep-default',
      'copy-sweep-preset',
    ]);
  });

  for (const [name, c] of Object.entries(cases))
    it(`${name}: sim ${c.args.join(' ')}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stampede-fixture-'));
      let out = '';
      let err = '';
      const io: Io = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), tty: false };
      const json = join(dir, 'env.json');
      const code = await runCommand(root, ['sim', ...c.args, '--out', join(dir, 'run'), '--json', json], io);
      // stderr carries only progress lines (when a run takes long enough to show them).
      expect(err).not.toContain('stampede:');
      expect(code).toBe(0);
      const got = JSON.parse(readFileSync(json, 'utf8')) as Envelope;
      const want = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Envelope;
      expect(withoutRuntime(got)).toEqual(withoutRuntime(want));
      // Same keys in the same order too: summary.json is read by people and diffed.
      expect(JSON.stringify(withoutRuntime(got))).toBe(JSON.stringify(withoutRuntime(want)));
      expect(out.trimEnd().split('\n').slice(0, -2)).toEqual(c.table);
      const raw = readFileSync(join(dir, 'run', 'raw.ndjson'));
      expect(createHash('sha256').update(raw).digest('hex')).toBe(c.rawSha256);
    });
});
