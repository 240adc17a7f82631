/**
 * `stampede lab ...`: start, inspect, fault and stop the local geo-replicated registry lab.
 * Every command but `up` talks to the running supervisor over its unix-socket API
 * (lib/lab/lab-client.ts), so they work from the host and from inside the lab alike.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helpRows } from '../../config/schema';
import { InputError, RunError } from '../../errors';
import { REPO_ROOT } from '../../k6/bundle';
import { RUN_GRACE_MS } from '../../lab/cleanup';
import { checkDualStackNetns, type LabConfig, labSchema, resolveLabConfig } from '../../lab/config';
import {
  checkFault,
  describeFault,
  FAULT_KINDS,
  faultFromArgs,
  faultHelp,
  faultSpec,
} from '../../lab/fault-spec';
import { labClient, labSocketPath, labTopologyByName } from '../../lab/lab-client';
import { decideNetns, nsExec } from '../../lab/netns';
import type { LabStatus } from '../../lab/supervisor';
import { labHome, type Topology } from '../../lab/topology';
import { type Ctx, defineCommand, flagList, flagString, type Io } from '../command';
import { cacheStatusLines, labCacheCommands } from './lab-cache';

const DEFAULT_NAME = () => process.env.STAMPEDE_LAB_NAME ?? 'lab';

const nameFlag = {
  name: {
    type: 'string' as const,
    hint: 'NAME',
    description: 'lab instance name (default: $STAMPEDE_LAB_NAME or "lab")',
  },
};

function labName(ctx: Ctx): string {
  const name = flagString(ctx, 'name') ?? DEFAULT_NAME();
  return labSchema.lab.name.check(name, '--name');
}

const clientFor = (ctx: Ctx) => labClient(labSocketPath(labName(ctx)));

/** Config from --config FILE (JSON), --set path=value and --name, validated once here. */
export function labConfigFromFlags(ctx: Ctx): LabConfig {
  const layers: Array<{ source: string; tree: unknown }> = [];
  const file = flagString(ctx, 'config');
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new InputError('--config', 'a readable JSON file', file, 'CONFIG_UNREADABLE');
    }
    let tree: unknown;
    try {
      tree = JSON.parse(text);
    } catch (e) {
      throw new InputError('--config', `valid JSON (${(e as Error).message})`, file, 'CONFIG_INVALID');
    }
    layers.push({ source: file, tree });
  }
  const sets = flagList(ctx, 'set');
  // A shortcut flag and the path it stands for must agree: the later one silently winning
  // would start (or stop) a lab other than the one the user named.
  const given = resolveLabConfig(layers, sets);
  const flags = { name: flagString(ctx, 'name'), netns: flagString(ctx, 'netns') } as const;
  for (const key of ['name', 'netns'] as const) {
    const value = flags[key];
    if (value === undefined) continue;
    const explicit = sets.some((s) => s.startsWith(`lab.${key}=`)) || inTree(layers, key);
    if (explicit && given.lab[key] !== value)
      throw new InputError(
        `--${key}`,
        `the value lab.${key} is given (${given.lab[key]}), or only one of the two`,
        value,
      );
  }
  return resolveLabConfig(layers, [
    ...sets,
    ...(['name', 'netns'] as const).flatMap((k) => (flags[k] !== undefined ? [`lab.${k}=${flags[k]}`] : [])),
  ]);
}

/** Whether a --config layer sets lab.<key> itself. */
function inTree(layers: Array<{ tree: unknown }>, key: string): boolean {
  return layers.some((l) => {
    const lab = (l.tree as { lab?: Record<string, unknown> } | null)?.lab;
    return typeof lab === 'object' && lab !== null && Object.hasOwn(lab, key);
  });
}

function printEndpoints(io: Io, s: LabStatus): void {
  const e = s.endpoints;
  io.out(`lab ${s.name} (supervisor pid ${s.pid})`);
  io.out(
    s.netns.enabled
      ? `  namespace  ${s.netns.namespace}  (clients: stampede lab exec --name ${s.name} -- <command>)`
      : `  namespace  none: ${s.netns.reason}`,
  );
  io.out(`  dns        ${e.dns}`);
  io.out(`  identity   ${e.identity}`);
  io.out(`  api        ${e.apiSocket}`);
  io.out(`  global     ${e.global.map((g) => `http://${g}:${e.port}`).join('  ')}`);
  io.out(
    `  https      ${e.global.map((g) => `https://${g}:${s.tlsPort}`).join('  ')}  (lab CA trusted inside lab exec)`,
  );
  for (const r of e.regions) {
    const front = r.frontIp6 ? `${r.frontIp} ${r.frontIp6}` : r.frontIp;
    io.out(`  ${r.region.padEnd(10)} front ${front}  ${[...r.regional, ...r.data].join('  ')}`);
    io.out(`  ${''.padEnd(10)} storage ${r.backends.join('  ')}`);
    if (r.backendIps6) io.out(`  ${''.padEnd(10)} storage IPv6 ${r.backendIps6.join('  ')}`);
  }
  if (s.netns.dnsFeaturesOff.length) {
    io.out('  DNS features off (no namespace):');
    for (const f of s.netns.dnsFeaturesOff) io.out(`    - ${f}`);
    io.out('  hosts (for k6 `hosts`, curl --resolve):');
    for (const [h, ip] of Object.entries(e.hosts)) io.out(`    ${h} ${ip}`);
  }
}

function replicationLines(rep: LabStatus['replication']): string[] {
  return Object.values(rep?.regions ?? {}).map((r) => {
    const b = r.backlog;
    const bits = [
      `backlog ${b.items} (${b.queued} queued, ${b.inFlight} copying, ${b.bytes} B)`,
      r.paused ? 'PAUSED' : '',
      r.extraLagS ? `extra lag ${r.extraLagS}s` : '',
      r.lastLagS !== null ? `last lag ${r.lastLagS.toFixed(2)}s` : '',
      r.lagS.p90 !== null ? `p90 ${r.lagS.p90.toFixed(2)}s` : '',
      r.errors.length ? `${r.errors.length} error(s)` : '',
    ];
    return `  ${r.region.padEnd(12)} ${bits.filter(Boolean).join(', ')}`;
  });
}

export function renderStatus(s: LabStatus): string {
  const lines: string[] = [];
  const bad = s.components.filter((c) => !c.ok);
  lines.push(
    `lab ${s.name}: ${s.healthy ? 'healthy' : `${bad.length} component(s) unhealthy`} (up ${s.uptimeS}s, supervisor pid ${s.pid})`,
  );
  lines.push(
    s.netns.enabled
      ? `namespace ${s.netns.namespace}; DNS ${s.endpoints.dns}`
      : `no namespace (${s.netns.reason}); DNS ${s.endpoints.dns}; DNS features off:`,
  );
  for (const f of s.netns.dnsFeaturesOff) lines.push(`  - ${f}`);
  lines.push('', 'components:');
  for (const c of s.components) lines.push(`  ${c.ok ? 'ok  ' : 'DOWN'}  ${c.name.padEnd(24)} ${c.detail}`);
  lines.push('', 'DNS answers (global names):');
  for (const [name, ips] of Object.entries(s.dnsAnswers)) {
    const a = s.dns?.answers?.[name];
    const regions = a ? ` -> ${a.regions.join(',')} (${a.reason}, ttl ${a.ttl}s)` : '';
    lines.push(`  ${name.padEnd(32)} ${ips.join(', ') || '(no address)'}${regions}`);
    const ips6 = s.dnsAnswers6?.[name] ?? [];
    if (ips6.length) lines.push(`  ${''.padEnd(32)} AAAA ${ips6.join(', ')}`);
  }
  if (s.endpoints.endpointProtocol === 'IPv4AndIPv6') {
    lines.push('', 'endpoints (dual stack, IPv4 and IPv6):');
    for (const r of s.endpoints.regions)
      lines.push(
        `  ${r.region.padEnd(12)} front ${r.frontIp} ${r.frontIp6 ?? ''}; storage ${r.backends
          .map((b, i) => `${b.split('.')[0]}=${r.backendIps6?.[i] ?? ''}`)
          .join(' ')}`,
      );
  }
  if (s.dns?.endpoints?.length) {
    lines.push('', 'probes:');
    for (const e of s.dns.endpoints) {
      const rec = e as unknown as Record<string, unknown>;
      const bits = Object.entries(rec)
        .filter(
          ([k, v]) =>
            !['registry', 'region'].includes(k) && ['string', 'number', 'boolean'].includes(typeof v),
        )
        .map(([k, v]) => `${k}=${v}`);
      lines.push(`  ${`${rec.registry}/${rec.region}`.padEnd(24)} ${bits.join(' ')}`);
    }
  }
  const rep = replicationLines(s.replication);
  if (rep.length) lines.push('', 'replication:', ...rep);
  lines.push(...cacheStatusLines(s));
  lines.push('', `faults: ${s.faults.length ? '' : 'none'}`);
  for (const f of s.faults) lines.push(`  ${describeFault(f)}`);
  lines.push(
    '',
    `storage: backends=${s.storage.backends} active of ${s.storage.configuredBackends} per region, copies=${s.storage.copies}, ceiling=${s.storage.ceilingBps ? `${s.storage.ceilingBps} B/s` : 'none'}, selection=${s.storage.selection}`,
  );
  return `${lines.join('\n')}\n`;
}

const up = defineCommand({
  name: 'up',
  summary: 'start the lab (foreground until Ctrl-C / lab down; --detach to background it)',
  usage: 'stampede lab up [--config FILE] [--set path=value]... [--name NAME] [--detach]',
  help: `
Starts one real registry (docker-registry) per region, its storage backends and front,
the replicator, the Traffic-Manager DNS and the identity stand-in, inside the network
namespace stampede-<name> when root (host loopback otherwise). Prints the endpoints.
Bad config exits 2 naming the field. State and logs: .lab/<name>/ ($STAMPEDE_LAB_HOME).

  stampede lab up --detach
  stampede lab up --set storage.copies=3 --set regions.names=eastus,westus --name sweep --detach

Config (--set path=value, or the same tree as JSON in --config FILE, e.g.
{"storage": {"copies": 3}}); path = default, then meaning and accepted values:
${helpRows(labSchema).join('\n')}`,
  flags: {
    config: {
      type: 'string',
      hint: 'FILE',
      description: 'lab config (JSON, same tree as the --set paths listed above)',
    },
    set: { type: 'string', multiple: true, hint: 'path=value', description: 'override one config value' },
    ...nameFlag,
    netns: { type: 'string', hint: 'auto|on|off', description: 'shortcut for --set lab.netns=...' },
    detach: { type: 'boolean', description: 'run in the background; returns once the lab answers' },
    json: { type: 'boolean', description: 'print the status as JSON once up' },
  },
  async run(ctx) {
    const cfg = labConfigFromFlags(ctx);
    const decision = decideNetns(cfg.lab.netns);
    checkDualStackNetns(cfg, decision.netns, decision.reason);
    // The supervisor's modules load only for the commands that start or stop a lab.
    const { runGuard, startDetached } = await import('../../lab/daemon');
    const show = async () => {
      const s = await labClient(labSocketPath(cfg.lab.name)).status();
      if (ctx.flags.json) ctx.io.out(JSON.stringify(s, null, 2));
      else printEndpoints(ctx.io, s);
    };
    if (ctx.flags.detach) {
      const topo = await startDetached(cfg, decision);
      await show();
      ctx.io.err(`logs: ${topo.stateDir}/lab.log; stop with: stampede lab down --name ${cfg.lab.name}`);
      return 0;
    }
    const code = await runGuard(cfg, {
      decision,
      log: (l) => ctx.io.err(l),
      onReady: async () => {
        await show();
        ctx.io.err('lab is up; Ctrl-C or `stampede lab down` stops it');
      },
    });
    return code === 0 ? 0 : 1;
  },
});

const down = defineCommand({
  name: 'down',
  summary: 'stop the lab and remove every process, namespace and mount it made (idempotent)',
  usage: 'stampede lab down [--name NAME]',
  help: `A \`stampede run\` still pulling from the lab is stopped first, while the registries
still answer, and given up to ${RUN_GRACE_MS / 1000} s to stop k6 and write its summary and report
(marked incomplete: interrupted); Ctrl-C on a foreground \`lab up\` does the same. Then the
supervisor stops its components, and whatever is left in the lab's namespace gets SIGTERM, and
SIGKILL 3 s later.`,
  flags: { ...nameFlag },
  async run(ctx) {
    const name = labName(ctx);
    const { labDown } = await import('../../lab/daemon');
    const r = await labDown(name, (l) => ctx.io.err(l));
    // Names are machine-wide: the lab may have run from another directory; say which.
    const where = r.stateDir === join(labHome(), name) ? '' : ` (it ran with state in ${r.stateDir})`;
    ctx.io.out(
      r.wasRunning ? `lab ${name} is down${where}` : `lab ${name} was not running; nothing of it is left`,
    );
    return 0;
  },
});

const status = defineCommand({
  name: 'status',
  summary: 'health of every component, DNS answers, replication backlog, faults, storage',
  usage: 'stampede lab status [--name NAME] [--json]',
  help: 'Exits 1 if the lab is not running.',
  flags: { ...nameFlag, json: { type: 'boolean', description: 'machine-readable status' } },
  async run(ctx) {
    const s = await clientFor(ctx).status();
    ctx.io.out(ctx.flags.json ? JSON.stringify(s, null, 2) : renderStatus(s));
    return 0;
  },
});

const exec = defineCommand({
  name: 'exec',
  positionals: '-- <command>',
  summary: "run a command inside the lab's namespace (its resolver asks the lab DNS)",
  usage: 'stampede lab exec [--name NAME] -- <command> [args...]',
  help: `
The command runs in the namespace stampede-<name> with /etc/resolv.conf pointing at the
lab's DNS, so its own resolver looks up the lab's names. It also gets STAMPEDE_LAB_NAME,
STAMPEDE_LAB_SOCKET, STAMPEDE_LAB_DNS and STAMPEDE_LAB_HOSTS (name -> address JSON), the
project's k6 build (.tools/bin) first on PATH, and trust for the lab CA (node, curl, k6,
skopeo): NODE_EXTRA_CA_CERTS is your own NODE_EXTRA_CA_CERTS file plus the lab CA,
SSL_CERT_FILE and CURL_CA_BUNDLE are the system CAs plus both (bundles written to
.lab/<name>/). Exits with the command's code. Without a namespace the command runs on the
host and must use STAMPEDE_LAB_HOSTS. Put -- before the command.

  stampede lab exec -- dig +short contoso.stampede.test
  stampede lab exec -- curl -sI https://contoso.stampede.test:8443/v2/
  stampede lab exec -- k6 version`,
  flags: { ...nameFlag },
  async run(ctx) {
    const name = labName(ctx);
    if (ctx.rest.length === 0) throw missingCommand(ctx);
    const client = clientFor(ctx);
    const [{ netns, topology: topo }, s] = await Promise.all([client.config(), client.status()]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STAMPEDE_LAB_NAME: name,
      STAMPEDE_LAB_SOCKET: topo.apiSocket,
      STAMPEDE_LAB_DNS: `${topo.dnsIp}:${topo.dnsPort}`,
      STAMPEDE_LAB_HOSTS: JSON.stringify(s.endpoints.hosts),
      PATH: `${join(REPO_ROOT, '.tools', 'bin')}:${process.env.PATH ?? ''}`,
    };
    Object.assign(env, await trustEnv(topo));
    if (!netns) ctx.io.err(`note: lab ${name} has no namespace; names resolve only via STAMPEDE_LAB_HOSTS`);
    const cmd = [...(netns ? nsExec(topo.namespace) : []), ...ctx.rest];
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(cmd[0] as string, cmd.slice(1), { stdio: 'inherit', env });
      child.once('error', (e) => reject(new RunError('EXEC_FAILED', `${ctx.rest[0]}: ${e.message}`)));
      child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 + (sigNum[sig] ?? 15) : 1)));
    });
  },
});

const sigNum: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** `lab exec dig x` (no --): the words parsed as positionals; show the line that works. */
function missingCommand(ctx: Ctx): InputError {
  const words = ctx.positionals;
  if (words.length === 0)
    return new InputError('<command>', 'a command after -- (stampede lab exec -- dig ...)', undefined);
  const name = flagString(ctx, 'name');
  const fixed = `stampede lab exec${name !== undefined ? ` --name ${name}` : ''} -- ${words.join(' ')}`;
  return new InputError(
    '<command>',
    `the command after -- (put -- before the command: ${fixed})`,
    words.join(' '),
  );
}

/**
 * Trust for the lab CA, whatever the caller already set: NODE_EXTRA_CA_CERTS and the
 * OpenSSL/Go variables each take one file, so leaving the caller's value (say the system
 * bundle) would never trust the lab, and pointing them at the lab CA alone would drop every
 * other CA. Node adds NODE_EXTRA_CA_CERTS to its own roots, so its bundle is the caller's
 * extra CAs + the lab CA; SSL_CERT_FILE (Go: k6, skopeo; OpenSSL) and CURL_CA_BUNDLE replace
 * the roots, so theirs starts with the system CAs.
 */
async function trustEnv(topo: Topology): Promise<NodeJS.ProcessEnv> {
  const { readIdentityRecord } = await import('../../lab/identity');
  let labCa: string;
  try {
    labCa = readIdentityRecord(topo.stateDir).caCertPath;
  } catch {
    return {}; // a lab without its identity record yet: nothing of it to trust
  }
  const callerExtra = process.env.NODE_EXTRA_CA_CERTS;
  const nodeBundle = join(topo.stateDir, 'node-extra-ca.pem');
  const fullBundle = join(topo.stateDir, 'ca-bundle.pem');
  writeBundle(nodeBundle, [callerExtra, labCa]);
  writeBundle(fullBundle, [SYSTEM_CAS, callerExtra, labCa]);
  return { NODE_EXTRA_CA_CERTS: nodeBundle, SSL_CERT_FILE: fullBundle, CURL_CA_BUNDLE: fullBundle };
}
const SYSTEM_CAS = '/etc/ssl/certs/ca-certificates.crt';

/**
 * PEM files concatenated (missing ones and the target itself, as in a nested lab exec,
 * skipped); written aside and renamed, so a concurrent lab exec never reads half a bundle.
 */
function writeBundle(file: string, sources: Array<string | undefined>): void {
  const files = [...new Set(sources)].filter(
    (f): f is string => f !== undefined && f !== '' && f !== file && existsSync(f),
  );
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${files.map((f) => readFileSync(f, 'utf8').trim()).join('\n')}\n`);
  renameSync(tmp, file);
}

/**
 * What the fault request gets wrong without asking the lab (kind, a missing --region,
 * parameter names and values): checkFault against a stand-in lab that has every region,
 * backend and registry the request names, so the only checks left for the lab are whether
 * those exist in it. Bad input exits 2 before connecting, also when no lab is up.
 */
function precheckFault(body: Record<string, unknown>): void {
  const kind = body.kind as string;
  const spec = faultSpec(kind);
  if (spec.region === 'required' && body.region === undefined)
    throw new InputError(
      '--region',
      `a region of the lab (${kind} needs one; 'stampede lab status' lists them)`,
      undefined,
    );
  const params = (body.params ?? {}) as Record<string, string>;
  const named = (type: string) =>
    Object.entries(spec.params)
      .filter(([n, p]) => p.type === type && params[n] !== undefined)
      .flatMap(([n]) =>
        String(params[n])
          .split(',')
          .map((v) => v.trim()),
      );
  const regions = [...(typeof body.region === 'string' ? [body.region] : []), ...named('regions')];
  checkFault(body, standIn(regions), named('registries'));
}

const standIn = (regions: string[]): Topology =>
  ({
    regions: [...new Set(regions)].map((name, index) => ({
      name,
      index,
      backends: Array.from({ length: 64 }, (_, b) => ({ index: b })),
    })),
  }) as unknown as Topology;

const fault = defineCommand({
  name: 'fault',
  positionals: '<kind> [args]',
  summary: 'inject, list and clear faults (also over the API: POST /faults)',
  usage: `stampede lab fault <kind> [--region R] [--backends 0,1] [--set key=value]...
       stampede lab fault list
       stampede lab fault clear <id> | --all`,
  help: `
Kinds (values accept 200, 1.5, 50M, 2Gi):
${faultHelp()}

Bad input exits 2 naming the field. Prints the new fault's id (what 'clear <id>' takes); 'lab status' shows it.

  stampede lab fault storage-fail --region eastus --backends 0,1
  stampede lab fault front-latency --region westus --set latencyMs=300
  stampede lab fault family-down --family ipv6 --target fronts
  stampede lab fault list
  stampede lab fault clear --all`,
  flags: {
    ...nameFlag,
    region: { type: 'string', hint: 'REGION', description: 'region the fault applies to' },
    backends: { type: 'string', hint: '0,1', description: 'backend indexes (storage-fail, storage-slow)' },
    set: { type: 'string', multiple: true, hint: 'key=value', description: 'fault parameter' },
    family: { type: 'string', hint: 'ipv4|ipv6', description: 'family-down: shortcut for --set family=...' },
    target: {
      type: 'string',
      hint: 'fronts|storage|all',
      description: 'family-down: shortcut for --set target=...',
    },
    all: { type: 'boolean', description: 'with clear: clear every fault' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx) {
    const [first, ...more] = ctx.positionals;
    const client = clientFor(ctx);
    if (first === 'list') {
      const list = await client.faults();
      if (ctx.flags.json) ctx.io.out(JSON.stringify(list, null, 2));
      else ctx.io.out(list.length ? list.map(describeFault).join('\n') : 'no active faults');
      return 0;
    }
    if (first === 'clear') {
      if (ctx.flags.all && more.length)
        throw new InputError('--all', 'either --all or a fault id, not both', `--all ${more.join(' ')}`);
      if (ctx.flags.all) {
        const n = await client.clearFaults();
        ctx.io.out(`cleared ${n} fault(s)`);
        return 0;
      }
      const id = more[0];
      if (!id) throw new InputError('<id>', 'a fault id (stampede lab fault list) or --all', undefined);
      if (more.length > 1) throw new InputError('<id>', 'one fault id per call (or --all)', more.join(' '));
      await client.clearFault(id);
      ctx.io.out(`cleared ${id}`);
      return 0;
    }
    if (first === undefined)
      throw new InputError(
        '<kind>',
        `one of ${FAULT_KINDS.join(', ')}, list, clear`,
        undefined,
        'UNKNOWN_FAULT',
      );
    if (more.length) throw new InputError('<kind>', 'one fault kind per call', ctx.positionals);
    const body = faultFromArgs(first, {
      ...(flagString(ctx, 'region') !== undefined ? { region: flagString(ctx, 'region') } : {}),
      ...(flagString(ctx, 'backends') !== undefined ? { backends: flagString(ctx, 'backends') } : {}),
      sets: [
        ...flagList(ctx, 'set'),
        ...(['family', 'target'] as const).flatMap((k) =>
          flagString(ctx, k) !== undefined ? [`${k}=${flagString(ctx, k)}`] : [],
        ),
      ],
    });
    precheckFault(body);
    const f = await client.addFault(body);
    ctx.io.out(ctx.flags.json ? JSON.stringify(f) : f.id);
    return 0;
  },
});

const storage = defineCommand({
  name: 'storage',
  summary:
    'show or change active backends (M), copies per layer (C), egress ceiling and copy selection at runtime',
  usage:
    'stampede lab storage [--backends M] [--copies N] [--ceiling BYTES/S] [--selection random|round-robin|least-loaded]',
  help: `
Changes apply to the next request; no restart (the copy-count sweep uses this between
runs). --backends activates the first M of the storage.backends started per region
(1..storage.backends); copies live on distinct active backends, so copies <= backends.
Without flags, prints the current settings. Bad values exit 2 naming the field.

  stampede lab storage --backends 3 --copies 2
  stampede lab storage --copies 3 --ceiling 50M --selection least-loaded`,
  flags: {
    ...nameFlag,
    backends: {
      type: 'string',
      hint: 'M',
      description: 'storage backends per region that hold copies (1..storage.backends)',
    },
    copies: { type: 'string', hint: 'N', description: 'copies of every layer, on distinct backends' },
    ceiling: {
      type: 'string',
      hint: 'BYTES/S',
      description: 'egress ceiling per backend (0 = none; 50M, 1Gi)',
    },
    selection: { type: 'string', hint: 'POLICY', description: 'random, round-robin or least-loaded' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx) {
    const client = clientFor(ctx);
    const patch: Record<string, unknown> = {};
    const backends = flagString(ctx, 'backends');
    if (backends !== undefined) patch.backends = labSchema.storage.backends.parse(backends, '--backends');
    const copies = flagString(ctx, 'copies');
    const ceiling = flagString(ctx, 'ceiling');
    const selection = flagString(ctx, 'selection');
    if (copies !== undefined) patch.copies = labSchema.storage.copies.parse(copies, '--copies');
    if (ceiling !== undefined) patch.ceilingBps = labSchema.storage.ceilingBps.parse(ceiling, '--ceiling');
    if (selection !== undefined)
      patch.selection = labSchema.storage.selection.parse(selection, '--selection');
    const s = Object.keys(patch).length ? await client.setStorage(patch) : (await client.status()).storage;
    ctx.io.out(
      ctx.flags.json
        ? JSON.stringify(s)
        : `backends=${s.backends} copies=${s.copies} ceilingBps=${s.ceilingBps || 'none'} selection=${s.selection}`,
    );
    return 0;
  },
});

export const labCommand = defineCommand({
  name: 'lab',
  summary: 'the local geo-replicated registry lab: up, status, fault, storage, exec, down',
  help: `
A geo-replicated registry on this machine, built from real parts: a docker-registry per
region, fronts speaking ACR's token flow, storage backends with egress ceilings, an async
replicator and a Traffic-Manager DNS, all on loopback or in the namespace stampede-<name>.

  stampede lab up --detach
  stampede lab status
  stampede lab exec -- dig +short contoso.stampede.test
  stampede lab fault region-down --region eastus
  stampede lab storage --copies 3
  stampede lab down`,
  subCommands: { up, status, exec, fault, storage, down, ...labCacheCommands },
});

/** For tests and scripts: the lab's topology paths by name. */
export { labTopologyByName };
