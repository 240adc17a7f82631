/**
 * `stampede bundle <scenario> [-o FILE] [--target URL] [--set path=value]...`: writes the
 * scenario's self-contained k6 script (the same esbuild bundle `stampede run` runs), so a
 * user's own k6, Grafana Cloud k6 or the k6-operator can run it. The parameters are not
 * baked in: the file reads them from STAMPEDE_PARAMS like under `stampede run`, and the
 * command prints, on stderr, the exact `k6 run -e STAMPEDE_PARAMS='...'` line with the
 * validated values. Credentials never enter the file or that line: the user's k6 reads them
 * from its own environment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { helpRows, resolve as resolveParams } from '../../config/schema';
import { InputError } from '../../errors';
import { bundleScenario, REPO_ROOT } from '../../k6/bundle';
import { thresholdsEntry } from '../../k6/bundle-thresholds';
import { getScenario, scenarios } from '../../k6/scenarios';
import { mergeThresholds, parseThresholdFlags } from '../../k6/thresholds';
import { checkOutFile } from '../../results/run-dir';
import { defineCommand, flagList, flagString } from '../command';

/** What the k6 entries read for credentials (lib/k6/vu/credentials.ts); none = anonymous. */
export const CREDENTIAL_VARIABLES = [
  'STAMPEDE_REFRESH_TOKEN',
  'STAMPEDE_AAD_TOKEN',
  'STAMPEDE_AAD_CLIENT_ID',
  'STAMPEDE_AAD_CLIENT_SECRET',
  'STAMPEDE_AAD_TENANT',
  'STAMPEDE_AAD_AUTHORITY',
  'STAMPEDE_AAD_AUDIENCE',
  'STAMPEDE_USERNAME',
  'STAMPEDE_PASSWORD',
] as const;

/** Placeholder base URL when no --target is given: the printed line says to replace it. */
const NO_TARGET = 'https://REGISTRY.example';

/**
 * The registry base URL, as `stampede run` accepts it: http(s), host[:port], no path and no
 * credentials (a password in a URL would end up in the printed line and shell history).
 * `lab` is refused: the lab's addresses and identities live only as long as the lab.
 */
export function bundleTarget(raw: string): string {
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch {
    u = undefined;
  }
  if (
    !u ||
    (u.protocol !== 'http:' && u.protocol !== 'https:') ||
    u.username ||
    u.password ||
    u.pathname.length > 1 ||
    u.search ||
    u.hash
  )
    throw new InputError(
      '--target',
      'a registry URL http(s)://host[:port] with no path or credentials',
      // The refused value is echoed; a password in it is not.
      u?.password ? `${u.protocol}//${u.username}:***@${u.host}${u.pathname}` : raw,
    );
  return `${u.protocol}//${u.host}`;
}

/** POSIX single-quoting: the printed line pastes into sh/bash/zsh as is. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export const bundleCommand = defineCommand({
  name: 'bundle',
  positionals: '<scenario>',
  summary:
    "write a scenario's self-contained k6 script, for your own k6, Grafana Cloud k6 or the k6-operator",
  usage:
    'stampede bundle <scenario> [-o FILE|-] [--target URL] [--set path=value]... [--threshold METRIC=EXPR]...',
  get help() {
    return bundleHelp();
  },
  flags: {
    output: {
      type: 'string',
      short: 'o',
      hint: 'FILE',
      description: 'where to write the script (default <scenario>.bundle.js here; - for stdout)',
    },
    target: {
      type: 'string',
      hint: 'URL',
      description: 'registry base URL, put in the printed STAMPEDE_PARAMS (never in the file)',
    },
    set: { type: 'string', multiple: true, hint: 'path=value', description: 'override a scenario parameter' },
    threshold: {
      type: 'string',
      multiple: true,
      hint: 'METRIC=EXPR',
      description:
        "a k6 threshold written into the script's options (with the scenario's own), e.g. pull_duration=p(99)<5000",
    },
  },
  async run(ctx) {
    const [name, ...extra] = ctx.positionals;
    const def = getScenario(name);
    if (extra.length) throw new InputError('<scenario>', 'exactly one scenario', ctx.positionals);
    // Everything is checked before esbuild runs: a bad flag leaves no file behind.
    const params = resolveParams(def.schema, [], flagList(ctx, 'set')) as Record<string, unknown>;
    const rawTarget = flagString(ctx, 'target');
    const baseUrl = rawTarget === undefined ? NO_TARGET : bundleTarget(rawTarget);
    const outFlag = flagString(ctx, 'output') ?? `${def.name}.bundle.js`;
    const outFile = outFlag === '-' ? undefined : checkOutFile('--output', outFlag);
    const thresholds = mergeThresholds(
      def.thresholds?.(params as never),
      parseThresholdFlags(flagList(ctx, 'threshold')),
    );

    const tmp = mkdtempSync(join(tmpdir(), 'stampede-bundle-'));
    let code: string;
    try {
      // With thresholds the entry is a wrapper that sets options.thresholds (lib/k6/bundle-thresholds.ts).
      const entry =
        Object.keys(thresholds).length > 0 ? thresholdsEntry(def.script, thresholds, tmp) : def.script;
      code = repoRelativeSourceMap(readFileSync(await bundleScenario(entry, tmp), 'utf8'), tmp);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    if (outFile) writeFileSync(outFile, code);
    else ctx.io.out(code);

    // The same JSON value `stampede run` gives the script, minus what only a lab has (hosts).
    const json = JSON.stringify({ ...params, baseUrl });
    const shown = outFile ? relativeOrAbsolute(outFile) : `${def.name}.bundle.js`;
    const labOnly = def.labOnly ?? [];
    ctx.io.err(
      [
        outFile ? `wrote ${shown} (${code.length} bytes)` : `script written to stdout; save it as ${shown}`,
        '',
        'run it with your own k6 (Grafana Cloud: k6 cloud run; k6-operator: pass the same -e in the TestRun arguments):',
        `  k6 run --address= -e STAMPEDE_PARAMS=${shellQuote(json)} ${shellQuote(shown)}`,
        "  (--address= keeps k6's REST API off: it would serve setup()'s registry token on localhost:6565)",
        '',
        rawTarget === undefined
          ? `target: none given; replace baseUrl ${NO_TARGET} with your registry (or bundle again with --target URL)`
          : `target: ${baseUrl} (baseUrl in STAMPEDE_PARAMS; the file itself names no registry)`,
        `credentials: from k6's environment, never from STAMPEDE_PARAMS: ${CREDENTIAL_VARIABLES.join(', ')}`,
        '  (STAMPEDE_REFRESH_TOKEN: an ACR refresh token; _AAD_CLIENT_ID/_SECRET/_TENANT: a service principal;',
        '   _USERNAME/_PASSWORD: basic; none set: anonymous). Pass them as -e NAME=... or export them.',
        ...(labOnly.length
          ? [`lab-only parameters (ignored against a registry): ${labOnly.join(', ')}`]
          : []),
        ...(Object.keys(thresholds).length
          ? [
              `thresholds in the script's options (k6 exits 99 when one is crossed): ${Object.entries(
                thresholds,
              )
                .map(([m, e]) => `${m}: ${e.join(', ')}`)
                .join('; ')}`,
            ]
          : []),
        "k6's end-of-test summary as JSON: add -e STAMPEDE_K6_SUMMARY=summary.json",
      ].join('\n'),
    );
    return 0;
  },
});

/**
 * The inline source map names its sources relative to where esbuild wrote the file (a temp
 * dir), which would carry this checkout's absolute path into a file meant to be shared:
 * rename them relative to the repository (k6's stack traces then read scenarios/cold-pull.ts).
 */
export function repoRelativeSourceMap(code: string, builtIn: string): string {
  const re = /(\/\/# sourceMappingURL=data:application\/json;base64,)([A-Za-z0-9+/=]+)\s*$/;
  const m = re.exec(code);
  if (!m) return code;
  const map = JSON.parse(Buffer.from(m[2] as string, 'base64').toString('utf8')) as { sources?: string[] };
  map.sources = (map.sources ?? []).map((s) => relative(REPO_ROOT, resolve(builtIn, s)));
  return `${code.slice(0, m.index)}${m[1]}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

function relativeOrAbsolute(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && resolve(rel) === file ? rel : file;
}

function bundleHelp(): string {
  const all = scenarios();
  return `
Writes the scenario's k6 script as one file (k6's own modules aside), the same bundle
\`stampede run\` runs, and prints on stderr the exact \`k6 run -e STAMPEDE_PARAMS='...'\` line:
the validated parameters (schema defaults + --set) and the target's baseUrl (--target URL).
Neither parameters nor credentials are written into the file; credentials come from k6's
environment (${CREDENTIAL_VARIABLES.join(', ')}) and are never printed.

Scenarios: ${all.map((s) => s.name).join(', ')}
${all.map((s) => `\nParameters of ${s.name} (--set path=value):\n${helpRows(s.schema).join('\n')}`).join('\n')}

  stampede bundle cold-pull --target https://myreg.azurecr.io --set image=app:v1 --set vus=50
  STAMPEDE_REFRESH_TOKEN=... k6 run --address= -e STAMPEDE_PARAMS='{...}' cold-pull.bundle.js`;
}
