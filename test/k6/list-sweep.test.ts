import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import { coldPullScenario } from '../../lib/k6/cold-pull/scenario';
import { findListSweep, pointArgv, pointDirName, sweepPointDir } from '../../lib/k6/list-sweep';
import { inputError } from '../helpers/input-error';

const schema = coldPullScenario.schema;

describe('a list of values for a single-valued parameter is a sweep', () => {
  it('finds dns.policy=onlyIPv4,onlyIPv6 and vus=10,20 among other sets', () => {
    expect(findListSweep(schema, ['vus=4', 'dns.policy=onlyIPv4, onlyIPv6'])).toEqual({
      index: 1,
      path: 'dns.policy',
      values: ['onlyIPv4', 'onlyIPv6'],
    });
    expect(findListSweep(schema, ['vus=10,20'])).toEqual({ index: 0, path: 'vus', values: ['10', '20'] });
  });

  it('leaves list parameters, single values and unknown paths alone', () => {
    expect(findListSweep(schema, ['layers=1000,2000', 'dns.policy=onlyIPv6', 'bogus=1,2'])).toBeUndefined();
  });

  it('refuses a bad item naming the parameter, repeated values, and two swept parameters', () => {
    const err = (sets: string[]) => inputError(() => findListSweep(schema, sets));
    const bad = err(['dns.policy=onlyIPv4,onlyIPv7']);
    expect(bad).toBeInstanceOf(InputError);
    expect(bad.message).toContain('dns.policy');
    expect(bad.message).toContain('onlyIPv7');
    expect(err(['vus=10,10']).message).toContain('distinct values');
    expect(err(['vus=10,20', 'dns.policy=onlyIPv4,onlyIPv6']).message).toContain('vus, dns.policy');
  });
});

describe("one value's run", () => {
  const sweep = { index: 1, path: 'dns.policy', values: ['onlyIPv4', 'onlyIPv6'] };
  it('keeps every flag but --out, and sets the one value', () => {
    const argv = pointArgv(
      'cold-pull',
      {
        target: 'lab',
        out: '/tmp/x',
        set: ['vus=4', 'dns.policy=onlyIPv4,onlyIPv6', 'iterations=2'],
        yes: true,
        'trust-host': ['a.example', 'b.example'],
        'k6-dashboard': false,
      },
      sweep,
      'onlyIPv6',
      '/tmp/x/02-dns.policy=onlyIPv6',
    );
    expect(argv).toEqual([
      'cold-pull',
      '--out',
      '/tmp/x/02-dns.policy=onlyIPv6',
      '--target',
      'lab',
      '--set',
      'vus=4',
      '--set',
      'dns.policy=onlyIPv6',
      '--set',
      'iterations=2',
      '--yes',
      '--trust-host',
      'a.example',
      '--trust-host',
      'b.example',
    ]);
  });

  it('names its directory by position, path and value, safe as a file name', () => {
    expect(pointDirName(0, 'dns.policy', 'onlyIPv4')).toBe('01-dns.policy=onlyIPv4');
    expect(pointDirName(9, 'image', 'stampede/app:v1')).toBe('10-image=stampede-app-v1');
    expect(sweepPointDir('/r', 1, sweep)).toBe('/r/02-dns.policy=onlyIPv6');
  });
});
