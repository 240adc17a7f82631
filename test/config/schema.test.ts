import { describe, expect, it } from 'vitest';
import {
  bool,
  defaults,
  helpRows,
  int,
  num,
  numList,
  oneOf,
  parseNumber,
  resolve,
  str,
  strList,
} from '../../lib/config/schema';
import { inputError } from '../helpers/input-error';

const schema = {
  workload: {
    nodes: int({ default: 1000, min: 1, doc: 'nodes pulling at once' }),
    layers: numList({ default: [1, 2], gt: 0, doc: 'layer sizes', unit: 'B' }),
  },
  storage: {
    ceilingBps: num({ default: 5e9, gt: 0, doc: 'ceiling', unit: 'B/s' }),
    policy: oneOf(['random', 'round-robin'], { default: 'random', doc: 'copy choice' }),
    throttling: bool({ default: true, doc: 'throttle' }),
  },
  name: str({ default: 'x', pattern: /^[a-z]+$/, doc: 'a name' }),
  regions: strList({ default: ['a', 'b'], doc: 'regions' }),
};

describe('parameter schema', () => {
  it('resolves defaults, then layers, then --set, in that order', () => {
    const p = resolve(
      schema,
      [{ source: 'preset p', tree: { workload: { nodes: 50 } } }],
      ['workload.nodes=7'],
    );
    expect(p.workload.nodes).toBe(7);
    expect(p.storage.ceilingBps).toBe(5e9);
    expect(defaults(schema).workload.layers).toEqual([1, 2]);
  });

  it('parses sizes with binary and decimal suffixes', () => {
    expect(parseNumber('512Mi')).toBe(512 * 2 ** 20);
    expect(parseNumber('10G')).toBe(1e10);
    expect(parseNumber('1.5e3')).toBe(1500);
    expect(parseNumber('ten')).toBeUndefined();
    const p = resolve(
      schema,
      [],
      ['workload.layers=1Mi,2Mi', 'storage.policy=round-robin', 'storage.throttling=off'],
    );
    expect(p.workload.layers).toEqual([2 ** 20, 2 ** 21]);
    expect(p.storage.policy).toBe('round-robin');
    expect(p.storage.throttling).toBe(false);
  });

  it('names the field, the expected form and the value for bad --set values', () => {
    const e = inputError(() => resolve(schema, [], ['workload.nodes=-3']));
    expect(e.field).toBe('workload.nodes');
    expect(e.message).toBe('workload.nodes: expected an integer >= 1, received -3');
    expect(e.exitCode).toBe(2);
    expect(inputError(() => resolve(schema, [], ['storage.policy=best'])).message).toContain(
      'one of "random"',
    );
    expect(inputError(() => resolve(schema, [], ['workload.layers=1,-2'])).field).toBe('workload.layers[1]');
  });

  it('rejects unknown paths and malformed assignments instead of ignoring them', () => {
    expect(inputError(() => resolve(schema, [], ['workload.nodez=3'])).code).toBe('UNKNOWN_PARAM');
    expect(inputError(() => resolve(schema, [], ['workload=3'])).code).toBe('UNKNOWN_PARAM');
    expect(inputError(() => resolve(schema, [], ['nodes'])).field).toBe('--set');
    // The example comes from this schema, not another command's.
    expect(inputError(() => resolve(schema, [], ['nodes'])).message).toContain('e.g. workload.nodes=...');
    // Prototype keys are unknown parameters, not groups; nothing is near them, so the
    // groups are named instead of a list of unrelated paths.
    const proto = inputError(() => resolve(schema, [], ['toString=1']));
    expect(proto.code).toBe('UNKNOWN_PARAM');
    expect(proto.message).toBe(
      '--set toString: expected a known parameter path (paths start with workload., storage., name, regions; all are listed by --help), received "toString"',
    );
    expect(inputError(() => resolve(schema, [], ['__proto__.x=1'])).code).toBe('UNKNOWN_PARAM');
    // Suggestions are the nearest paths of the typed group, not the first paths of the tree.
    const typo = inputError(() => resolve(schema, [], ['storage.polcy=x'])).message;
    expect(typo).toContain('(closest: storage.policy)');
    expect(typo).not.toContain('workload.');
    // A leaf typed without its group is found by its name.
    expect(inputError(() => resolve(schema, [], ['nodes=3'])).message).toContain('(closest: workload.nodes)');
    // What was typed is echoed, even when it parses to Infinity.
    expect(inputError(() => resolve(schema, [], ['workload.nodes=1e400'])).message).toContain(
      'received "1e400"',
    );
  });

  it('names the source of a bad layer value', () => {
    const e = inputError(() =>
      resolve(schema, [{ source: 'file x.json', tree: { storage: { ceilingBps: 0 } } }]),
    );
    expect(e.field).toBe('storage.ceilingBps (in file x.json)');
    expect(e.message).toContain('expected a number > 0, received 0');
    const u = inputError(() => resolve(schema, [{ source: 'file x.json', tree: { storagee: {} } }]));
    expect(u.code).toBe('UNKNOWN_PARAM');
    // JSON keys that exist on every object's prototype are unknown here too.
    for (const text of ['{"toString": 1}', '{"__proto__": {"polluted": 1}}', '{"storage": {"valueOf": 1}}'])
      expect(inputError(() => resolve(schema, [{ source: 'f', tree: JSON.parse(text) }])).code, text).toBe(
        'UNKNOWN_PARAM',
      );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(inputError(() => resolve(schema, [{ source: 'f', tree: [1] }])).expected).toBe(
      'an object of parameters',
    );
  });

  it('validates string lists and patterns', () => {
    expect(resolve(schema, [], ['regions=x,y,z']).regions).toEqual(['x', 'y', 'z']);
    expect(inputError(() => resolve(schema, [], ['regions=x,x'])).field).toBe('regions');
    expect(inputError(() => resolve(schema, [], ['name=A1'])).field).toBe('name');
  });

  it('prints help rows with defaults, units and meaning', () => {
    const rows = helpRows(schema).join('\n');
    expect(rows).toContain('workload.nodes = 1000');
    expect(rows).toContain('storage.ceilingBps = 5000000000 B/s');
    expect(rows).toContain('nodes pulling at once (an integer >= 1)');
  });
});
