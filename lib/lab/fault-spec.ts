/**
 * What each fault kind accepts, and the one validator every entry point goes through:
 * `lab fault <kind> --region R --backends 0,1 --set key=value` and `POST /faults` both end
 * in checkFault(), so the CLI and the API reject the same input with the same field name.
 */
import { parseNumber } from '../config/schema';
import { InputError } from '../errors';
import type { Fault, FaultKind } from './state';
import type { Topology } from './topology';

interface ParamSpec {
  type: 'number' | 'regions' | 'registries' | 'choice';
  /** For 'choice'. */
  values?: string[];
  doc: string;
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  gt?: number;
  required?: boolean;
}

export interface FaultSpec {
  doc: string;
  /** required: --region must name a lab region; optional: absent means every region. */
  region: 'required' | 'optional' | 'none';
  /** Whether --backends applies (absent means every backend of the region). */
  backends: boolean;
  params: Record<string, ParamSpec>;
  /** At least one of these params must be given. */
  oneOf?: string[];
}

const latencyMs: ParamSpec = { type: 'number', min: 0, doc: 'added latency per request (ms)' };
const registry: ParamSpec = {
  type: 'registries',
  doc: 'lab registry names the fault applies to (default: all of them)',
};

export const FAULT_SPECS: Record<FaultKind, FaultSpec> = {
  'region-down': {
    doc: "the region's front fails every request and its deep health fails",
    region: 'required',
    backends: false,
    params: {},
  },
  'storage-fail': {
    doc: 'the listed backends answer 500 (registries homed there fail over)',
    region: 'required',
    backends: true,
    params: {},
  },
  'storage-slow': {
    doc: 'the listed backends add latency and/or serve under a lower ceiling',
    region: 'required',
    backends: true,
    params: {
      latencyMs,
      ceilingBps: { type: 'number', min: 0, doc: 'egress ceiling while the fault lasts (B/s)' },
    },
    oneOf: ['latencyMs', 'ceilingBps'],
  },
  'replication-pause': {
    doc: 'nothing replicates into the region (every region if none given) until cleared',
    region: 'optional',
    backends: false,
    params: {
      direction: {
        type: 'choice',
        values: ['in', 'out', 'both'],
        doc: 'hold replication into the region, out of it, or both (default in)',
      },
    },
  },
  'replication-lag': {
    doc: 'extra lag added to every replication into the region (every region if none given)',
    region: 'optional',
    backends: false,
    params: { lagS: { type: 'number', gt: 0, required: true, doc: 'extra lag (s)' } },
  },
  'dns-flap': {
    doc: 'the global name alternates between regions (DNS bouncing)',
    region: 'none',
    backends: false,
    params: {
      regions: { type: 'regions', doc: 'regions to alternate between (default: all)' },
      intervalS: { type: 'number', gt: 0, doc: 'seconds between alternations (default dns.flapIntervalS)' },
      ttlS: { type: 'number', min: 0, doc: 'TTL of flapping answers (default dns.ttlS)' },
      registry,
    },
  },
  'replica-exclude': {
    doc: 'the region is taken out of global routing (its regional names still answer)',
    region: 'required',
    backends: false,
    params: { registry },
  },
  'front-latency': {
    doc: "the region's front adds latency to every request",
    region: 'required',
    backends: false,
    params: { latencyMs: { ...latencyMs, required: true } },
  },
  'front-errors': {
    doc: "the region's front fails a fraction of requests with 500",
    region: 'required',
    backends: false,
    params: {
      errorRate: { type: 'number', min: 0, max: 1, required: true, doc: 'fraction of requests failed' },
    },
  },
  'registry-kill': {
    doc: "the region's registry process is killed (clearing the fault restarts it)",
    region: 'required',
    backends: false,
    params: {},
  },
  'health-monitor-crash': {
    doc: "the region's deep-health monitor breaks (deep health must fail open)",
    region: 'required',
    backends: false,
    params: {},
  },
  throttle: {
    doc: "a 429 storm: the region's front answers a fraction of API requests 429 TOOMANYREQUESTS (deep health stays healthy: throttling never fails a region over)",
    region: 'required',
    backends: false,
    params: {
      rate: { type: 'number', min: 0, max: 1, required: true, doc: 'fraction of requests answered 429' },
    },
  },
  'family-down': {
    doc: 'one address family stops reaching the fronts and/or storage backends (packet filter in the lab namespace; DNS still answers it); every region if none given',
    region: 'optional',
    backends: false,
    params: {
      family: { type: 'choice', values: ['ipv4', 'ipv6'], required: true, doc: 'the family that breaks' },
      target: {
        type: 'choice',
        values: ['fronts', 'storage', 'all'],
        doc: 'what it stops reaching (default all)',
      },
      mode: {
        type: 'choice',
        values: ['reject', 'drop'],
        doc: 'reject: a TCP reset at once (connection refused); drop: packets vanish, clients time out (default reject)',
      },
    },
  },
  'upstream-slow': {
    doc: 'the upstream registry (cache rules pull through it) adds latency to every request',
    region: 'none',
    backends: false,
    params: { latencyMs: { ...latencyMs, required: true } },
  },
  'upstream-5xx': {
    doc: 'the upstream answers a fraction of requests 503 (default all of them)',
    region: 'none',
    backends: false,
    params: { rate: { type: 'number', gt: 0, max: 1, doc: 'fraction of requests answered 503' } },
  },
  'upstream-down': {
    doc: 'the upstream drops every connection without an answer (down)',
    region: 'none',
    backends: false,
    params: {},
  },
};

export const FAULT_KINDS = Object.keys(FAULT_SPECS) as FaultKind[];

/** A fault as asked for, before the lab gives it an id and a start time. */
export type FaultInput = Omit<Fault, 'id' | 'since'>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkNumber(name: string, spec: ParamSpec, raw: unknown): number {
  const bounds = [
    spec.gt !== undefined ? `> ${spec.gt}` : '',
    spec.min !== undefined ? `>= ${spec.min}` : '',
    spec.max !== undefined ? `<= ${spec.max}` : '',
  ].filter(Boolean);
  const expected = `a number${bounds.length ? ` ${bounds.join(' and ')}` : ''} (${spec.doc})`;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseNumber(raw) : undefined;
  if (
    n === undefined ||
    !Number.isFinite(n) ||
    (spec.gt !== undefined && n <= spec.gt) ||
    (spec.min !== undefined && n < spec.min) ||
    (spec.max !== undefined && n > spec.max)
  )
    throw new InputError(`params.${name}`, expected, raw);
  return n;
}

function checkRegions(name: string, raw: unknown, known: string[]): string[] {
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : raw;
  const expected = `a list of at least 2 distinct regions from ${known.join(', ')}`;
  if (!Array.isArray(list) || list.length < 2 || new Set(list).size !== list.length)
    throw new InputError(`params.${name}`, expected, raw);
  for (const r of list)
    if (typeof r !== 'string' || !known.includes(r)) throw new InputError(`params.${name}`, expected, raw);
  return list as string[];
}

function checkChoice(name: string, spec: ParamSpec, raw: unknown): string {
  const values = spec.values ?? [];
  if (typeof raw !== 'string' || !values.includes(raw))
    throw new InputError(`params.${name}`, `one of ${values.join(', ')} (${spec.doc})`, raw);
  return raw;
}

function checkRegistries(name: string, raw: unknown, known: string[]): string[] {
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : raw;
  const expected = `a list of distinct registry names from ${known.join(', ')}`;
  if (!Array.isArray(list) || list.length === 0 || new Set(list).size !== list.length)
    throw new InputError(`params.${name}`, expected, raw);
  for (const r of list)
    if (typeof r !== 'string' || !known.includes(r)) throw new InputError(`params.${name}`, expected, raw);
  return list as string[];
}

/** The spec of a fault kind, or UNKNOWN_FAULT naming `kind`. */
export function faultSpec(kind: unknown): FaultSpec {
  // Own keys only: "toString" or "__proto__" in an API body is not a fault kind.
  if (typeof kind !== 'string' || !Object.hasOwn(FAULT_SPECS, kind))
    throw new InputError('kind', `one of ${FAULT_KINDS.join(', ')}`, kind, 'UNKNOWN_FAULT');
  return FAULT_SPECS[kind as FaultKind];
}

/**
 * Validate a fault request (API body or parsed CLI flags) against the lab's topology.
 * `registries` (the lab's registry names) is needed only to check a `registry` param.
 */
export function checkFault(body: unknown, topo: Topology, registries: string[] = []): FaultInput {
  if (!isRecord(body)) throw new InputError('(fault)', 'an object {kind, region?, backends?, params?}', body);
  for (const k of Object.keys(body))
    if (!['kind', 'region', 'backends', 'params'].includes(k))
      throw new InputError(k, 'one of kind, region, backends, params', k, 'UNKNOWN_PARAM');
  const kind = body.kind as FaultKind;
  const spec = faultSpec(kind);
  const regionNames = topo.regions.map((r) => r.name);
  const out: FaultInput = { kind, params: {} };

  if (body.region !== undefined) {
    if (spec.region === 'none') throw new InputError('region', `nothing: ${kind} is lab-wide`, body.region);
    if (typeof body.region !== 'string' || !regionNames.includes(body.region))
      throw new InputError('region', `one of ${regionNames.join(', ')}`, body.region, 'UNKNOWN_REGION');
    out.region = body.region;
  } else if (spec.region === 'required') {
    throw new InputError('region', `one of ${regionNames.join(', ')} (${kind} needs a region)`, undefined);
  }

  if (body.backends !== undefined && !spec.backends)
    throw new InputError('backends', `nothing: ${kind} does not take backends`, body.backends);
  if (spec.backends) {
    const region = topo.regions.find((r) => r.name === out.region);
    const count = region?.backends.length ?? 0;
    const expected = `distinct backend indexes in 0..${count - 1}`;
    let list: unknown = body.backends;
    if (typeof list === 'string') list = list.split(',').map((s) => (/^\s*\d+\s*$/.test(s) ? Number(s) : s));
    if (list === undefined) list = Array.from({ length: count }, (_, i) => i);
    if (!Array.isArray(list) || list.length === 0 || new Set(list).size !== list.length)
      throw new InputError('backends', expected, body.backends);
    for (const b of list)
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b >= count)
        throw new InputError('backends', expected, body.backends);
    out.backends = (list as number[]).slice().sort((a, b) => a - b);
  }

  const params = body.params ?? {};
  if (!isRecord(params)) throw new InputError('params', 'an object of key: value', params);
  for (const [name, raw] of Object.entries(params)) {
    const p = spec.params[name];
    if (!p) {
      const known = Object.keys(spec.params);
      throw new InputError(
        `params.${name}`,
        known.length ? `one of ${known.join(', ')}` : `nothing: ${kind} takes no parameters`,
        name,
        'UNKNOWN_PARAM',
      );
    }
    out.params[name] =
      p.type === 'regions'
        ? checkRegions(name, raw, regionNames)
        : p.type === 'registries'
          ? checkRegistries(name, raw, registries)
          : p.type === 'choice'
            ? checkChoice(name, p, raw)
            : checkNumber(name, p, raw);
  }
  for (const [name, p] of Object.entries(spec.params))
    if (p.required && out.params[name] === undefined)
      throw new InputError(`params.${name}`, `a value (${p.doc}): --set ${name}=...`, undefined);
  if (spec.oneOf && !spec.oneOf.some((n) => out.params[n] !== undefined))
    throw new InputError(
      'params',
      `at least one of ${spec.oneOf.map((n) => `--set ${n}=...`).join(', ')}`,
      params,
    );
  return out;
}

/**
 * `lab fault <kind> --region R --backends 0,1 --set k=v ...` as a request body; values stay
 * text so checkFault() parses them exactly as it parses JSON strings (50M, 1.5e3, 0.2).
 */
export function faultFromArgs(
  kind: string | undefined,
  opts: { region?: string; backends?: string; sets?: string[] },
): Record<string, unknown> {
  if (kind === undefined) throw new InputError('<kind>', `one of ${FAULT_KINDS.join(', ')}`, undefined);
  const params: Record<string, string> = {};
  for (const s of opts.sets ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new InputError('--set', 'key=value (e.g. latencyMs=200)', s);
    params[s.slice(0, eq).trim()] = s.slice(eq + 1).trim();
  }
  return {
    kind,
    ...(opts.region !== undefined ? { region: opts.region } : {}),
    ...(opts.backends !== undefined ? { backends: opts.backends } : {}),
    params,
  };
}

/** One line per kind, for `lab fault --help`. */
export function faultHelp(): string {
  return FAULT_KINDS.map((k) => {
    const s = FAULT_SPECS[k];
    const bits = [
      s.region === 'required' ? '--region R' : s.region === 'optional' ? '[--region R]' : '',
      s.backends ? '[--backends 0,1]' : '',
      ...Object.entries(s.params).map(([n, p]) => (p.required ? `--set ${n}=N` : `[--set ${n}=...]`)),
    ].filter(Boolean);
    return `  ${k.padEnd(21)} ${bits.join(' ')}\n  ${''.padEnd(21)} ${s.doc}`;
  }).join('\n');
}

/** One-line description of an active fault, for `lab status` and `lab fault list`. */
export function describeFault(f: Fault): string {
  const bits = [f.region ? `region=${f.region}` : '', f.backends ? `backends=${f.backends.join(',')}` : ''];
  for (const [k, v] of Object.entries(f.params)) bits.push(`${k}=${Array.isArray(v) ? v.join(',') : v}`);
  return `${f.id}  ${f.kind}  ${bits.filter(Boolean).join(' ')}`.trimEnd();
}
