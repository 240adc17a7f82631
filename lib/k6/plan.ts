/**
 * The plan of a run against a real registry (issue 12 item 2): before one request leaves
 * this host, the user sees what the run will touch and how hard (host, endpoints, VUs,
 * iterations or the time cap, estimated requests and bytes, the credentials' kind), and
 * says yes on a terminal or with --yes. Loopback and the running lab need no plan: they
 * are ours to load. Also the checks a URL target needs and a lab target does not.
 */

import { isLoopbackHost } from '../acr/trust';
import { InputError } from '../errors';
import type { ScenarioDef } from './scenario';

/** What a scenario can say about the load it will put on a target (scenario.ts `plan`). */
export interface ScenarioPlan {
  /** Requests the run sends, one line each (method and path, where they go). */
  endpoints: string[];
  /** Estimated requests, e.g. "≥ 60 (10 pulls × (4 + 2 per blob), blob count unknown)". */
  requests: string;
  /** Estimated bytes received, or why unknown. */
  bytes: string;
}

export interface RunPlan extends ScenarioPlan {
  scenario: string;
  base: string;
  host: string;
  vus: number | 'unknown';
  iterations: number | 'unknown';
  durationCapS: number | 'unknown';
  /** The credentials' kind, never a secret. */
  credentials: string;
  /** k6 processes the load is spread over (--shards); the VUs above are their total. */
  shards?: number;
}

const hostOf = (base: string) => new URL(base).hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** A URL target needs a plan unless it is loopback or one of the running lab's names/addresses. */
export function needsPlan(base: string, labHosts: readonly string[]): boolean {
  const host = hostOf(base);
  return !isLoopbackHost(host) && !labHosts.map((h) => h.toLowerCase()).includes(host);
}

/**
 * Which credentials registryCredentials will use, read from the environment alone (no
 * request, no token): the same order it tries them in.
 */
export function credentialKind(e: NodeJS.ProcessEnv): string {
  if (e.STAMPEDE_REFRESH_TOKEN) return 'ACR refresh token (STAMPEDE_REFRESH_TOKEN)';
  if (e.STAMPEDE_AAD_CLIENT_ID && e.STAMPEDE_AAD_CLIENT_SECRET && e.STAMPEDE_AAD_TENANT)
    return 'Azure AD service principal (STAMPEDE_AAD_CLIENT_ID), exchanged for an ACR refresh token';
  if (e.STAMPEDE_AZURE_CREDENTIAL === 'default')
    return 'Azure AD DefaultAzureCredential, exchanged for an ACR refresh token';
  if (e.STAMPEDE_USERNAME && e.STAMPEDE_PASSWORD) return 'basic (STAMPEDE_USERNAME/_PASSWORD)';
  return 'anonymous';
}

/** Top-level parameter names the user set with --set (not the schema's defaults). */
export function userSetParams(sets: readonly string[]): string[] {
  return sets.map((s) =>
    (
      s
        .slice(0, Math.max(0, s.indexOf('=')))
        .trim()
        .split('.')[0] ?? ''
    ).trim(),
  );
}

/** Lab-only parameters mean nothing for a URL target: set ones are an error, not ignored. */
export function checkLabOnly(def: ScenarioDef, sets: readonly string[]): void {
  const labOnly = new Set(def.labOnly ?? []);
  const given = [...new Set(userSetParams(sets).filter((k) => labOnly.has(k)))];
  if (given.length)
    throw new InputError(
      given.join(', '),
      `no lab-only parameter with a registry URL target (${[...labOnly].join(', ')} apply to --target lab only)`,
      sets.filter((s) => given.includes(userSetParams([s])[0] ?? '')).join(' '),
      'LAB_ONLY_PARAM',
    );
}

const num = (v: unknown): number | 'unknown' => (typeof v === 'number' ? v : 'unknown');

export function runPlan(
  def: ScenarioDef,
  params: Record<string, unknown>,
  base: string,
  env: NodeJS.ProcessEnv,
): RunPlan {
  const own = def.plan?.(params, base) ?? {
    endpoints: [`${base} (this scenario lists no endpoints)`],
    requests: 'unknown',
    bytes: 'unknown',
  };
  // Azure AD credentials cost requests of their own, once, before k6 starts (registry-credentials.ts).
  const credentials = credentialKind(env);
  if (credentials.startsWith('Azure AD'))
    own.endpoints = [
      `Azure AD token endpoint (${env.STAMPEDE_AAD_AUTHORITY ?? 'login.microsoftonline.com'}), GET ${base}/v2/, POST ${base}/oauth2/exchange  (once, before k6)`,
      ...own.endpoints,
    ];
  return {
    scenario: def.name,
    base,
    host: hostOf(base),
    vus: num(params.vus),
    iterations: num(params.iterations),
    durationCapS: def.maxDurationS ? def.maxDurationS(params) : num(params.maxDurationS),
    credentials,
    ...own,
  };
}

export function formatPlan(p: RunPlan): string {
  return [
    `plan: ${p.scenario} against ${p.host} (${p.base}), a host that is neither loopback nor the lab`,
    `  VUs:          ${p.vus}${p.shards && p.shards > 1 ? ` over ${p.shards} k6 processes (--shards)` : ''}`,
    `  iterations:   ${p.iterations} per VU`,
    `  duration cap: ${p.durationCapS === 'unknown' ? 'unknown' : `${p.durationCapS} s`}`,
    `  requests:     ${p.requests}`,
    `  bytes:        ${p.bytes}`,
    `  credentials:  ${p.credentials}`,
    '  endpoints:',
    ...p.endpoints.map((e) => `    ${e}`),
  ].join('\n');
}

/** Where the answer comes from: the process's stdin, or a test's stand-in. */
export interface Prompt {
  /** Whether the user can answer (stdin is a terminal). */
  readonly interactive: boolean;
  /** Asks `question` and resolves with the line typed. */
  ask(question: string): Promise<string>;
}

/**
 * Goes ahead only with a yes: --yes, or "y" on a terminal. Without a terminal and --yes
 * this is bad input (exit 2); a "no" at the prompt is the user's choice, also exit 2 (no
 * run happened, nothing was sent).
 */
export async function confirmPlan(plan: RunPlan, yes: boolean, prompt: Prompt, out: (t: string) => void) {
  out(formatPlan(plan));
  if (yes) return;
  if (!prompt.interactive)
    throw new InputError(
      '--yes',
      `--yes to load ${plan.host} without a terminal to confirm on (the plan is above)`,
      'no --yes and stdin is not a terminal',
      'CONFIRMATION_REQUIRED',
    );
  const answer = (await prompt.ask('Proceed? [y/N] ')).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes')
    throw new InputError('Proceed?', 'y to run the plan above', answer, 'NOT_CONFIRMED');
}

/**
 * The process's own terminal prompt: asked only when stdin is a terminal and so is the
 * stream the plan and the question are written to (stderr), i.e. someone can read and answer.
 */
export function stdinPrompt(errIsTty: boolean): Prompt {
  return {
    interactive: Boolean(process.stdin.isTTY) && errIsTty,
    async ask(question) {
      const { createInterface } = await import('node:readline/promises');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}
