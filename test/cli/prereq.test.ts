import { describe, expect, it } from 'vitest';
import { decidePrereqs, inCi, type Prereq, prerequisites } from '../helpers/prereq';

const have = (name: string): Prereq => ({ name, hint: `get ${name}`, present: () => true });
const lack = (name: string): Prereq => ({ name, hint: `get ${name}`, present: () => false });

describe('inCi', () => {
  it('is true for CI=true/1/yes, false when unset, empty, 0 or false', () => {
    expect(inCi({ CI: 'true' })).toBe(true);
    expect(inCi({ CI: '1' })).toBe(true);
    expect(inCi({ CI: 'yes' })).toBe(true);
    expect(inCi({})).toBe(false);
    expect(inCi({ CI: '' })).toBe(false);
    expect(inCi({ CI: '0' })).toBe(false);
    expect(inCi({ CI: 'FALSE' })).toBe(false);
  });
});

describe('decidePrereqs', () => {
  it('runs when everything is present, in CI or not', () => {
    expect(decidePrereqs('e2e', [have('root'), have('k6')], { CI: 'true' })).toEqual({
      action: 'run',
      message: '',
    });
    expect(decidePrereqs('e2e', [have('root')], {}).action).toBe('run');
  });

  it('skips outside CI, naming every missing prerequisite and its hint', () => {
    expect(decidePrereqs('the demo', [lack('root'), have('k6'), lack('skopeo')], {})).toEqual({
      action: 'skip',
      message: 'skipping the demo: missing root (get root); skopeo (get skopeo)',
    });
  });

  it('fails under CI=true, naming what is missing', () => {
    expect(decidePrereqs('the demo', [have('root'), lack('k6')], { CI: 'true' })).toEqual({
      action: 'fail',
      message: 'the demo: missing prerequisite under CI: k6 (get k6)',
    });
  });
});

describe('prerequisites', () => {
  it('under CI registers one failing test that names the missing prerequisite, and returns false', () => {
    const registered: Array<{ name: string; fn: () => void }> = [];
    const ok = prerequisites('the demo', [lack('k6')], { CI: 'true' }, (name, fn) =>
      registered.push({ name, fn }),
    );
    expect(ok).toBe(false);
    expect(registered.map((r) => r.name)).toEqual(['prerequisites of the demo']);
    expect(() => registered[0]?.fn()).toThrow('the demo: missing prerequisite under CI: k6 (get k6)');
  });

  it('outside CI registers nothing and returns false; with all present returns true', () => {
    const registered: string[] = [];
    const reg = (name: string) => registered.push(name);
    expect(prerequisites('the demo', [lack('k6')], {}, reg)).toBe(false);
    expect(prerequisites('the demo', [have('k6')], { CI: 'true' }, reg)).toBe(true);
    expect(registered).toEqual([]);
  });
});
