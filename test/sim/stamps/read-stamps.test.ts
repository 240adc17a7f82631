/**
 * The one-shot run the fit reads computes only the stamps the published table reads
 * (simulate's readStamps): every registry draws from its own forked streams and a pool's
 * load is only its registries', so the read stamps' signals are byte-identical to the full
 * region's. Checked on a small region with storms, a cutover into a new stamp and a move
 * between read stamps; a move out of an unread stamp is refused.
 */
import { describe, expect, it } from 'vitest';
import { simulatePhases } from '../../../sim/models/stamps/model';
import { parsePhase } from '../../../sim/models/stamps/phases';
import { small } from './helpers';

const p = small(
  { region: { stamps: ['A', 'B', 'C'] }, customer: { topHomes: 'A,B', tailHomes: ['A', 'B'] } },
  ['traffic.stormScaleExp=0.5', 'run.windowHours=6'],
);
const phases = [parsePhase('cust-03..cust-12>iso-x@24', 'test'), parsePhase('cust-01>B@24', 'test')];

describe('readStamps: only the stamps read are computed', () => {
  it('the read stamps and the new stamp are byte-identical to the full run; the others are left out', () => {
    for (const seed of [1, 2]) {
      const full = simulatePhases(p, phases, seed).signals;
      const part = simulatePhases(p, phases, seed, { readStamps: ['A', 'B'] }).signals;
      expect(part.map((s) => `${s.stamp} ${s.pool}`)).toEqual([
        'A registry',
        'A dataproxy',
        'B registry',
        'B dataproxy',
        'iso-x registry',
        'iso-x dataproxy',
      ]);
      expect(JSON.stringify(part)).toBe(JSON.stringify(full.filter((s) => s.stamp !== 'C')));
    }
  });

  it('refuses a move out of a stamp it does not compute', () => {
    expect(() => simulatePhases(p, [parsePhase('cust-01>B@24', 'test')], 1, { readStamps: ['B'] })).toThrow(
      /unread stamp A/,
    );
  });
});
