/**
 * A parameter tree whose leaves know their type, bounds, default and meaning. One tree
 * serves three jobs: validating presets/JSON/--set at the edge (errors name the exact
 * path), echoing the resolved tree into results, and printing `--help` that teaches.
 */
import { describe, InputError } from '../errors';

interface LeafBase<T> {
  readonly leaf: true;
  readonly doc: string;
  readonly default: T;
  readonly unit?: string;
  /** Human text for "expected ..." in errors and help. */
  readonly expected: string;
  /** Validate a value that arrived as JSON (preset, --json file, API body). */
  check(value: unknown, path: string): T;
  /** Parse a value that arrived as text (--set path=value). */
  parse(raw: string, path: string): T;
}
export type Leaf<T> = LeafBase<T>;
export type Schema = { readonly [key: string]: Leaf<unknown> | Schema };
export type Infer<S> =
  S extends Leaf<infer T> ? T : S extends Schema ? { -readonly [K in keyof S]: Infer<S[K]> } : never;

export function isLeaf(node: unknown): node is Leaf<unknown> {
  return typeof node === 'object' && node !== null && (node as { leaf?: unknown }).leaf === true;
}

/** Every leaf kind is one rule applied to JSON input (check) and to text input (parse). */
function leaf<T>(
  o: { doc: string; default: T; unit?: string },
  expected: string,
  check: (value: unknown, path: string) => T,
  parse: (raw: string, path: string) => T = check,
): Leaf<T> {
  return {
    leaf: true,
    doc: o.doc,
    default: o.default,
    ...(o.unit ? { unit: o.unit } : {}),
    expected,
    check,
    parse,
  };
}

/** `a,b,c` or `[a,b,c]` as typed after --set; empty text is an empty list. */
function splitList(raw: string): string[] {
  const text = raw.trim().replace(/^\[|\]$/g, '');
  return text === '' ? [] : text.split(',').map((t) => t.trim());
}

interface NumOpts {
  default: number;
  doc: string;
  min?: number;
  max?: number;
  /** Exclusive lower bound (for rates, sizes, ceilings that must be > 0). */
  gt?: number;
  unit?: string;
}

function rangeText(o: NumOpts, what: string): string {
  const parts: string[] = [];
  if (o.gt !== undefined) parts.push(`> ${o.gt}`);
  if (o.min !== undefined) parts.push(`>= ${o.min}`);
  if (o.max !== undefined) parts.push(`<= ${o.max}`);
  return parts.length ? `${what} ${parts.join(' and ')}` : what;
}

function numLeaf(o: NumOpts, integer: boolean): Leaf<number> {
  const expected = rangeText(o, integer ? 'an integer' : 'a number');
  const check = (value: unknown, path: string): number => {
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!integer || Number.isInteger(value)) &&
      (o.gt === undefined || value > o.gt) &&
      (o.min === undefined || value >= o.min) &&
      (o.max === undefined || value <= o.max);
    if (!ok) throw new InputError(path, expected, value);
    return value as number;
  };
  return leaf(o, expected, check, (raw, path) => {
    const n = parseNumber(raw);
    // Echo what was typed when it does not fit: 1e400 parses to Infinity, which prints as null.
    if (n === undefined || !Number.isFinite(n)) throw new InputError(path, expected, raw);
    return check(n, path);
  });
}

/** Accepts plain numbers and the suffixes people type for sizes and rates: 512Mi, 2Gi, 10G, 1.5e9. */
export function parseNumber(raw: string): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?\s*$/.exec(raw);
  if (!m) return undefined;
  const scale: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(m[1]) * (m[2] ? (scale[m[2]] ?? 1) : 1);
}

export const num = (o: NumOpts): Leaf<number> => numLeaf(o, false);
export const int = (o: NumOpts): Leaf<number> => numLeaf(o, true);

export function str(o: { default: string; doc: string; pattern?: RegExp; expected?: string }): Leaf<string> {
  const expected = o.expected ?? (o.pattern ? `a string matching ${o.pattern}` : 'a string');
  return leaf(o, expected, (value, path) => {
    if (typeof value !== 'string' || (o.pattern && !o.pattern.test(value)))
      throw new InputError(path, expected, value);
    return value;
  });
}

export function bool(o: { default: boolean; doc: string }): Leaf<boolean> {
  const expected = 'true or false';
  const words: Record<string, boolean> = {
    true: true,
    '1': true,
    on: true,
    false: false,
    '0': false,
    off: false,
  };
  return leaf(
    o,
    expected,
    (value, path) => {
      if (typeof value !== 'boolean') throw new InputError(path, expected, value);
      return value;
    },
    (raw, path) => {
      const v = words[raw];
      if (v === undefined) throw new InputError(path, expected, raw);
      return v;
    },
  );
}

export function oneOf<const V extends string>(values: readonly V[], o: { default: V; doc: string }): Leaf<V> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return leaf(o, expected, (value, path) => {
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value))
      throw new InputError(path, expected, value);
    return value as V;
  });
}

/** A list of numbers, typed on the command line as `1,2,3` (or JSON `[1,2,3]`). */
export function numList(
  o: Omit<NumOpts, 'default'> & { default: number[]; integer?: boolean; minLength?: number },
): Leaf<number[]> {
  const item = numLeaf({ ...o, default: 0 }, o.integer ?? false);
  const minLength = o.minLength ?? 1;
  const expected = `a list of at least ${minLength} item(s), each ${item.expected}`;
  const length = (n: number, path: string, received: unknown) => {
    if (n < minLength) throw new InputError(path, expected, received);
  };
  return leaf(
    o,
    expected,
    (value, path) => {
      if (!Array.isArray(value)) throw new InputError(path, expected, value);
      length(value.length, path, value);
      return value.map((v, i) => item.check(v, `${path}[${i}]`));
    },
    (raw, path) => {
      const parts = splitList(raw);
      length(parts.length, path, raw);
      return parts.map((p, i) => item.parse(p, `${path}[${i}]`));
    },
  );
}

/** A list of distinct strings, typed on the command line as `a,b,c` (or JSON `["a","b"]`). */
export function strList(o: {
  default: string[];
  doc: string;
  pattern?: RegExp;
  minLength?: number;
}): Leaf<string[]> {
  const minLength = o.minLength ?? 1;
  const itemText = o.pattern ? `matching ${o.pattern}` : 'a string';
  const expected = `a list of at least ${minLength} distinct item(s), each ${itemText}`;
  const check = (value: unknown, path: string): string[] => {
    if (!Array.isArray(value) || value.length < minLength || new Set(value).size !== value.length)
      throw new InputError(path, expected, value);
    return value.map((v, i) => {
      if (typeof v !== 'string' || (o.pattern && !o.pattern.test(v)))
        throw new InputError(`${path}[${i}]`, itemText, v);
      return v;
    });
  };
  return leaf(o, expected, check, (raw, path) =>
    check(
      splitList(raw).map((t) => t.replace(/^"|"$/g, '')),
      path,
    ),
  );
}

/** The defaults of a schema as a plain tree. */
export function defaults<S extends Schema>(schema: S): Infer<S> {
  const out: Record<string, unknown> = {};
  for (const [k, node] of Object.entries(schema))
    out[k] = isLeaf(node) ? clone(node.default) : defaults(node);
  return out as Infer<S>;
}

function clone<T>(v: T): T {
  return Array.isArray(v) ? (v.slice() as T) : v;
}

/**
 * Resolve defaults <- each layer (presets, a --json file) <- `--set path=value` overrides.
 * Unknown keys are errors: a typo must never silently fall back to a default.
 */
export function resolve<S extends Schema>(
  schema: S,
  layers: ReadonlyArray<{ source: string; tree: unknown }>,
  sets: readonly string[] = [],
): Infer<S> {
  const out = defaults(schema) as Record<string, unknown>;
  for (const layer of layers) mergeInto(schema, out, layer.tree, '', layer.source);
  for (const assignment of sets) applySet(schema, out, assignment);
  return out as Infer<S>;
}

/** Errors name the parameter path and, in brackets, where the bad value came from. */
function mergeInto(
  schema: Schema,
  out: Record<string, unknown>,
  tree: unknown,
  path: string,
  source: string,
): void {
  const field = (p: string) => `${p || '(root)'} (in ${source})`;
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree))
    throw new InputError(field(path), 'an object of parameters', tree);
  for (const [k, v] of Object.entries(tree)) {
    // Own keys only: a "toString" or "__proto__" key must read as unknown, not as a group.
    const node = Object.hasOwn(schema, k) ? schema[k] : undefined;
    const at = path ? `${path}.${k}` : k;
    if (node === undefined)
      throw new InputError(field(at), `one of ${Object.keys(schema).join(', ')}`, k, 'UNKNOWN_PARAM');
    if (isLeaf(node)) out[k] = node.check(v, field(at));
    else mergeInto(node, out[k] as Record<string, unknown>, v, at, source);
  }
}

export function applySet(schema: Schema, out: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) {
    const first = leafPaths(schema)[0] ?? 'path';
    throw new InputError(
      '--set',
      `path=value (e.g. ${first}=...; the paths are listed by --help)`,
      assignment,
    );
  }
  const path = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1);
  const keys = path.split('.');
  let node: Schema | Leaf<unknown> = schema;
  let target = out;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (isLeaf(node))
      throw new InputError(`--set ${path}`, 'a path that ends at a parameter', path, 'UNKNOWN_PARAM');
    // Own keys only: "toString" or "__proto__" must read as unknown, not as a parameter group.
    const next: Schema | Leaf<unknown> | undefined = Object.hasOwn(node, k) ? node[k] : undefined;
    if (next === undefined)
      throw new InputError(
        `--set ${path}`,
        `a known parameter path (${suggestPaths(schema, path)})`,
        path,
        'UNKNOWN_PARAM',
      );
    if (i === keys.length - 1) {
      if (!isLeaf(next)) throw new InputError(`--set ${path}`, `a leaf under ${path}`, path, 'UNKNOWN_PARAM');
      target[k] = next.parse(raw, path);
    } else {
      target = target[k] as Record<string, unknown>;
    }
    node = next;
  }
}

/**
 * What to suggest for an unknown path: the paths of its group (or of all groups when the
 * group is unknown too) nearest to it by edit distance, or whose last part is the one typed
 * ("nodes" -> workload.nodes); when none is near, the groups themselves.
 */
function suggestPaths(schema: Schema, path: string, n = 5): string {
  const [head = ''] = path.split('.');
  const group = Object.hasOwn(schema, head) && !isLeaf(schema[head]) ? `${head}.` : '';
  const last = (p: string) => p.slice(p.lastIndexOf('.') + 1).toLowerCase();
  const typed = last(path);
  const near = leafPaths(schema)
    .filter((p) => p.startsWith(group))
    .map((p) => ({ p, d: last(p) === typed ? 0 : editDistance(p.toLowerCase(), path.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(path.length / 3)))
    .sort((a, b) => a.d - b.d)
    .slice(0, n)
    .map((x) => x.p);
  if (near.length > 0) return `closest: ${near.join(', ')}`;
  const groups = Object.keys(schema).map((k) => (isLeaf(schema[k]) ? k : `${k}.`));
  return group
    ? `the paths under ${group} are listed by --help`
    : `paths start with ${groups.join(', ')}; all are listed by --help`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] as number;
}

export function leafPaths(schema: Schema, prefix = ''): string[] {
  return Object.entries(schema).flatMap(([k, node]) =>
    isLeaf(node) ? [`${prefix}${k}`] : leafPaths(node, `${prefix}${k}.`),
  );
}

/** Rows for `--help`: path, default, expected form and meaning. */
export function helpRows(schema: Schema, prefix = ''): string[] {
  return Object.entries(schema).flatMap(([k, node]) => {
    if (!isLeaf(node)) return helpRows(node, `${prefix}${k}.`);
    const unit = node.unit ? ` ${node.unit}` : '';
    return [`  ${prefix}${k} = ${describe(node.default)}${unit}\n      ${node.doc} (${node.expected})`];
  });
}
