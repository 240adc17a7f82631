/**
 * `stampede run <scenario> --set path=a,b,c` on a parameter that takes one value (say
 * cold-pull's `dns.policy=onlyIPv4,onlyIPv6`, or `vus=10,50`): one run per value, each a
 * whole run of its own (summary, raw data, report) under the sweep's directory, then one
 * comparison page of them all. Any scalar parameter of any scenario is a sweep dimension
 * this way; a parameter that is itself a list (copy-sweep's `copies`) keeps its meaning.
 */
import { join } from 'node:path';
import { isLeaf, type Leaf, type Schema } from '../config/schema';
import { InputError } from '../errors';

export interface ListSweep {
  /** Index of the swept assignment among the --set values. */
  index: number;
  path: string;
  /** The values as typed, one run each, in order. */
  values: string[];
}

function leafAt(schema: Schema, path: string): Leaf<unknown> | undefined {
  let node: Schema | Leaf<unknown> | undefined = schema;
  for (const k of path.split('.')) {
    if (node === undefined || isLeaf(node) || !Object.hasOwn(node, k)) return undefined;
    node = node[k];
  }
  return node !== undefined && isLeaf(node) ? node : undefined;
}

/**
 * The one --set that lists several values for a single-valued parameter, if any; an item
 * the parameter does not take is refused naming the parameter and the item.
 */
export function findListSweep(schema: Schema, sets: readonly string[]): ListSweep | undefined {
  const found: ListSweep[] = [];
  sets.forEach((assignment, index) => {
    const eq = assignment.indexOf('=');
    if (eq <= 0) return;
    const path = assignment.slice(0, eq).trim();
    const raw = assignment.slice(eq + 1);
    const leaf = leafAt(schema, path);
    // A parameter that takes a list itself (its default is one) keeps its meaning.
    if (!leaf || Array.isArray(leaf.default) || !raw.includes(',')) return;
    const values = raw.split(',').map((v) => v.trim());
    for (const v of values) leaf.parse(v, path);
    if (new Set(values).size !== values.length)
      throw new InputError(`--set ${path}`, 'distinct values to sweep', raw);
    found.push({ index, path, values });
  });
  if (found.length > 1)
    throw new InputError(
      '--set',
      'one swept parameter per run (a list of values for one single-valued parameter)',
      found.map((f) => f.path).join(', '),
    );
  return found[0];
}

/** The directory of one value's run under the sweep's directory: `01-dns.policy=onlyIPv4`. */
export function pointDirName(i: number, path: string, value: string): string {
  return `${String(i + 1).padStart(2, '0')}-${path}=${value}`.replace(/[^A-Za-z0-9.=_-]+/g, '-');
}

/**
 * The argv of one value's run: the scenario, every flag as given except --out (each run
 * writes into its own directory), and the swept assignment with this one value.
 */
export function pointArgv(
  scenario: string,
  flags: Record<string, string | boolean | string[] | undefined>,
  sweep: ListSweep,
  value: string,
  outDir: string,
): string[] {
  const argv = [scenario, '--out', outDir];
  for (const [name, v] of Object.entries(flags)) {
    if (name === 'out' || v === undefined || v === false) continue;
    if (name === 'set') {
      for (const [i, s] of (v as string[]).entries())
        argv.push('--set', i === sweep.index ? `${sweep.path}=${value}` : s);
      continue;
    }
    if (v === true) argv.push(`--${name}`);
    else for (const one of Array.isArray(v) ? v : [v]) argv.push(`--${name}`, one);
  }
  return argv;
}

export const sweepPointDir = (root: string, i: number, sweep: ListSweep): string =>
  join(root, pointDirName(i, sweep.path, sweep.values[i] as string));
