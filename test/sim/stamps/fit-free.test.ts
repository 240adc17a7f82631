/**
 * A partial refit (fit.ts `freeSubset`, `fit-preset.ts --free`, `scan.ts --write`): only
 * named free parameters are searched or written, each within its FREE bounds, and a name
 * that is not a free parameter is refused before any run.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { FREE, freeSubset, getPath, withValues } from '../../../sim/models/stamps/fit';
import { small } from './helpers';

describe('partial refit of the stamps preset', () => {
  it("keeps FREE's order and bounds, and refuses a parameter that is not free", () => {
    const sub = freeSubset(['tenants.dataproxyCores.1', 'tenants.registryCores.1']);
    expect(sub.map((f) => f.path)).toEqual(['tenants.registryCores.1', 'tenants.dataproxyCores.1']);
    expect(sub.every((f) => FREE.includes(f))).toBe(true);
    expect(() => freeSubset(['customer.topHomes'])).toThrow(InputError);
    const err = (() => {
      try {
        freeSubset(['tenants.registryCores.1', 'run.days']);
      } catch (e) {
        return e as InputError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err?.code).toBe('BAD_INPUT');
    expect(err?.field).toBe('--free');
    expect(err?.received).toBe('run.days');
  });

  it('sets only the named values, clamped to their bounds', () => {
    const p = small();
    const sub = freeSubset(['tenants.registryCores.1', 'tenants.dataproxyCores.1']);
    const q = withValues(p, [100, 0.1], sub);
    expect(q.tenants.registryCores).toEqual([3, 60, 3]);
    expect(q.tenants.dataproxyCores).toEqual([5, 0.5, 5]);
    for (const f of FREE.filter((x) => !sub.includes(x))) expect(getPath(q, f.path)).toBe(getPath(p, f.path));
  });
});
