/**
 * `stampede run cold-pull` results stay what they were before the scenario registry and the
 * k6 client library: the envelopes the run command's summary code made from two recorded raw
 * outputs (a finished run with throttling and a missing image, and a SIGKILLed lab run) were
 * stored before the refactor (test/fixtures/k6/cold-pull-envelopes.json) and must come out
 * equal (wallMs pinned to 0: the only field that depends on the machine).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolve as resolveParams } from '../../lib/config/schema';
import { k6Envelope } from '../../lib/k6/collect';
import { coldPullSchema } from '../../lib/k6/scenarios';
import { killedK6Records } from '../fixtures/reports/envelopes';

const stored = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/k6/cold-pull-envelopes.json'), 'utf8'),
) as { recorded: unknown; killed: unknown };
const recorded = readFileSync(join(import.meta.dirname, '../fixtures/k6/cold-pull-recorded.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as unknown);
const params = {
  ...resolveParams(coldPullSchema, [], []),
  target: { kind: 'url', base: 'http://127.0.0.1:5000', credentials: 'anonymous' },
};

describe('cold-pull summary envelope, pinned before the refactor', () => {
  it('a recorded finished run gives the stored envelope', () => {
    const e = k6Envelope({ name: 'cold-pull', params, records: recorded, wallMs: 0 });
    expect(JSON.parse(JSON.stringify(e))).toEqual(stored.recorded);
  });
  it('a recorded killed run gives the stored envelope', () => {
    const e = k6Envelope({
      name: 'cold-pull',
      params,
      records: killedK6Records(),
      wallMs: 0,
      incomplete: 'interrupted',
    });
    expect(JSON.parse(JSON.stringify(e))).toEqual(stored.killed);
  });
});
