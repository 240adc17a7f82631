/**
 * Issue 12 item 2: a run against a registry that is neither loopback nor the lab prints its
 * plan and waits for a yes (a terminal's "y" or --yes) before one request is sent or a run
 * dir is made; lab-only parameters and a target with a query or fragment are bad input.
 * In-process through runCommand; fetch is replaced by a recorder, so a request sent before
 * the yes shows up in `sent` (and no test needs the network).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Io, runCommand } from '../../lib/cli/command';
import { runScenarioCommand, setPlanPrompt } from '../../lib/cli/commands/run';
import { resolve } from '../../lib/config/schema';
import { coldPullPlan } from '../../lib/k6/cold-pull/plan';
import { credentialKind, needsPlan, type Prompt, userSetParams } from '../../lib/k6/plan';
import { coldPullSchema } from '../../lib/k6/scenarios';

const ACR = 'https://example.azurecr.io';
const AAD = {
  STAMPEDE_AAD_CLIENT_ID: 'client-id',
  STAMPEDE_AAD_CLIENT_SECRET: 'plan-test-secret-value',
  STAMPEDE_AAD_TENANT: 'tenant',
};

const sent: string[] = [];
let scratch = '';
let savedEnv: NodeJS.ProcessEnv;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'stampede-plan-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
beforeEach(() => {
  sent.length = 0;
  savedEnv = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('STAMPEDE_')) delete process.env[k];
  // No lab of this checkout is asked about or found.
  process.env.STAMPEDE_LAB_HOME = join(scratch, 'lab-home');
  process.env.STAMPEDE_LAB_NAME = 'no-such-lab-plan';
  vi.stubGlobal('fetch', async (url: string | URL) => {
    sent.push(String(url));
    throw new Error('the plan test has no network');
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  process.env = savedEnv;
});

/** A prompt that records its questions and gives `answer` (interactive), or none. */
function prompt(answer?: string): Prompt & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    interactive: answer !== undefined,
    async ask(q) {
      asked.push(q);
      return answer ?? '';
    },
  };
}

async function run(argv: string[], p: Prompt = prompt()) {
  const out = mkdtempSync(join(scratch, 'case-'));
  const lines: string[] = [];
  const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };
  const restore = setPlanPrompt(p);
  try {
    const code = await runCommand(runScenarioCommand, [...argv, '--out', join(out, 'run')], io);
    return { code, text: lines.join('\n'), runDirs: readdirSync(out) };
  } finally {
    restore();
  }
}

describe('a registry that is not loopback or the lab', () => {
  it('without a terminal and --yes: the plan, exit 2 naming --yes, no request, no run dir', async () => {
    Object.assign(process.env, AAD);
    const r = await run(['cold-pull', '--target', ACR, '--set', 'vus=20', '--set', 'iterations=3']);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toContain('plan: cold-pull against example.azurecr.io');
    expect(r.text).toMatch(/VUs: +20/);
    expect(r.text).toMatch(/iterations: +3 per VU/);
    expect(r.text).toMatch(/duration cap: +300 s/);
    // 60 pulls, at least 7 requests each (ping, token, manifest, config and one layer via 307).
    expect(r.text).toMatch(/requests: +≥ 420 \(60 pulls/);
    expect(r.text).toContain('image size unknown');
    expect(r.text).toContain(`${ACR}/v2/stampede/cold-pull/manifests/v1`);
    expect(r.text).toMatch(/credentials: +Azure AD service principal/);
    expect(r.text).toContain(`POST ${ACR}/oauth2/exchange  (once, before k6)`);
    expect(r.text).not.toContain(AAD.STAMPEDE_AAD_CLIENT_SECRET);
    expect(r.text).toMatch(/stampede: --yes: expected --yes .*\[CONFIRMATION_REQUIRED\]/);
    expect(sent).toEqual([]);
    expect(r.runDirs).toEqual([]);
  });

  it('a host that would fail DNS gives the same exit 2: nothing was looked up first', async () => {
    const r = await run(['cold-pull', '--target', 'https://no-such-registry.invalid']);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toContain('plan: cold-pull against no-such-registry.invalid');
    expect(r.text).toMatch(/credentials: +anonymous/);
    expect(r.text).toContain('[CONFIRMATION_REQUIRED]');
    expect(sent).toEqual([]);
  });

  it('on a terminal it asks; "n" (or nothing) stops it with exit 2 and nothing sent', async () => {
    Object.assign(process.env, AAD);
    for (const answer of ['n', '']) {
      const p = prompt(answer);
      const r = await run(['cold-pull', '--target', ACR], p);
      expect(r.code, r.text).toBe(2);
      expect(p.asked).toEqual(['Proceed? [y/N] ']);
      expect(r.text).toContain('[NOT_CONFIRMED]');
      expect(sent).toEqual([]);
      expect(r.runDirs).toEqual([]);
    }
  });

  it('"y" on the terminal, or --yes without one, goes on: the first request comes after the yes', async () => {
    Object.assign(process.env, AAD);
    const p = prompt('y');
    const yes = await run(['cold-pull', '--target', ACR], p);
    expect(p.asked).toHaveLength(1);
    // The AAD path's first request, the registry's challenge (the stub refuses it).
    expect(sent).toEqual([`${ACR}/v2/`]);
    expect(yes.code).toBe(1);
    sent.length = 0;
    const flag = await run(['cold-pull', '--target', ACR, '--yes']);
    expect(flag.text).toContain('plan: cold-pull against example.azurecr.io');
    expect(sent).toEqual([`${ACR}/v2/`]);
  });
});

describe('checks of a URL target', () => {
  it('lab-only parameters the user set are an error naming them (exit 2), defaults are not', async () => {
    const r = await run([
      'cold-pull',
      '--target',
      ACR,
      '--set',
      'layers=1Mi',
      '--set',
      'seed=false',
      '--yes',
    ]);
    expect(r.code, r.text).toBe(2);
    expect(r.text).toMatch(/stampede: layers, seed: expected no lab-only parameter .*\[LAB_ONLY_PARAM\]/);
    expect(r.text).not.toContain('plan:');
    // On loopback too: the lab's seeding never happens for a URL.
    const lo = await run(['cold-pull', '--target', 'http://127.0.0.1:1', '--set', 'endpoint=data']);
    expect(lo.code, lo.text).toBe(2);
    expect(lo.text).toContain('[LAB_ONLY_PARAM]');
    expect(lo.text).toContain('endpoint');
    expect(sent).toEqual([]);
  });

  it('a query or a fragment is an error naming --target', async () => {
    for (const t of [`${ACR}?api-version=1`, `${ACR}/?`, `${ACR}#frag`, `${ACR}/#`]) {
      const r = await run(['cold-pull', '--target', t, '--yes']);
      expect(r.code, t).toBe(2);
      expect(r.text).toMatch(/stampede: --target: expected .*no path, query, fragment/);
      expect(r.text).not.toContain('plan:');
    }
    expect(sent).toEqual([]);
  });

  it('a loopback target runs as before: no plan, no question', async () => {
    // Azure AD credentials to plain-http loopback are refused by the trust check (exit 2),
    // which comes after where a plan would have been asked for.
    Object.assign(process.env, AAD);
    for (const t of ['http://127.0.0.1:1', 'http://localhost:1', 'http://[::1]:1']) {
      const p = prompt('n');
      const r = await run(['cold-pull', '--target', t], p);
      expect(r.code, r.text).toBe(2);
      expect(r.text).toContain('[UNTRUSTED_HOST]');
      expect(r.text).not.toContain('plan:');
      expect(p.asked).toEqual([]);
    }
    expect(sent).toEqual([]);
  });
});

describe('plan parts', () => {
  it('needsPlan: loopback and the lab are exempt', () => {
    expect(needsPlan('http://127.3.4.5:5000', [])).toBe(false);
    expect(needsPlan('http://[::1]:5000', [])).toBe(false);
    expect(needsPlan('http://LOCALHOST:5000', [])).toBe(false);
    expect(needsPlan('https://contoso.azurecr.io', ['contoso.azurecr.io', '10.0.0.1'])).toBe(false);
    expect(needsPlan('https://contoso.azurecr.io', [])).toBe(true);
    expect(needsPlan('http://128.0.0.1', [])).toBe(true);
  });

  it('credentialKind names the kind in registryCredentials order, never a value', () => {
    expect(credentialKind({})).toBe('anonymous');
    expect(credentialKind({ STAMPEDE_USERNAME: 'u', STAMPEDE_PASSWORD: 'sekrit' })).toMatch(/^basic/);
    expect(credentialKind({ STAMPEDE_REFRESH_TOKEN: 'tok', ...AAD })).toMatch(/^ACR refresh token/);
    expect(credentialKind({ STAMPEDE_AZURE_CREDENTIAL: 'default' })).toMatch(/DefaultAzureCredential/);
    expect(credentialKind({ STAMPEDE_USERNAME: 'u', STAMPEDE_PASSWORD: 'sekrit' })).not.toContain('sekrit');
  });

  it('userSetParams takes the top-level name of each --set', () => {
    expect(userSetParams(['seed=false', ' dns.ttl=0', 'layers=1Mi,2Mi'])).toEqual(['seed', 'dns', 'layers']);
  });

  it('cold-pull estimate scales with VUs × iterations and names a digest reference', () => {
    const p = resolve(coldPullSchema, [], ['vus=5', 'iterations=2', `image=a/b@sha256:${'0'.repeat(64)}`]);
    const plan = coldPullPlan(p, 'https://x.azurecr.io');
    expect(plan.requests).toMatch(/^≥ 70 \(10 pulls/);
    expect(plan.endpoints.join('\n')).toContain(
      `https://x.azurecr.io/v2/a/b/manifests/sha256:${'0'.repeat(64)}`,
    );
  });
});
