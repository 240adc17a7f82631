/**
 * What an end-to-end or lab test needs from the machine (root for network namespaces, the
 * built k6, skopeo, chromium), checked in one place. Where a prerequisite is missing, a
 * developer's run skips the tests with a warning naming it; under CI (CI set and not
 * "false"/"0") the run FAILS with a test that names it, so a CI job on a runner without
 * k6 or root cannot turn green by running nothing.
 */
import { existsSync } from 'node:fs';
import { it } from 'vitest';
import { K6_BIN } from '../../lib/k6/run';
import { REGISTRY_BIN } from '../../lib/lab/registry-process';

export interface Prereq {
  /** What is missing, as the message says it ("root", "k6 at .tools/bin/k6"). */
  name: string;
  /** How to get it. */
  hint: string;
  present: () => boolean;
}

export const ROOT: Prereq = {
  name: 'root',
  hint: 'network namespaces need root: run the tests as root (sudo -E npm test)',
  present: () => process.getuid?.() === 0,
};

export const K6: Prereq = {
  name: `k6 at ${K6_BIN}`,
  hint: 'build it with node scripts/setup.mjs, or set STAMPEDE_K6_BIN',
  present: () => existsSync(K6_BIN),
};

export const REGISTRY: Prereq = {
  name: `docker-registry at ${REGISTRY_BIN}`,
  hint: 'apt-get install docker-registry, or set STAMPEDE_REGISTRY_BIN',
  present: () => existsSync(REGISTRY_BIN),
};

export const SKOPEO: Prereq = {
  name: 'skopeo at /usr/bin/skopeo',
  hint: 'apt-get install skopeo',
  present: () => existsSync('/usr/bin/skopeo'),
};

export const chromiumPrereq = (path: string): Prereq => ({
  name: `chromium at ${path}`,
  hint: 'apt-get install chromium, or set STAMPEDE_CHROMIUM',
  present: () => existsSync(path),
});

/** CI as the usual runners set it (GitHub, GitLab, Azure Pipelines: CI=true). */
export const inCi = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';

export interface PrereqDecision {
  /** run: everything is there; skip: a developer's machine lacks something; fail: CI lacks it. */
  action: 'run' | 'skip' | 'fail';
  /** Names every missing prerequisite and how to get it; empty when action is run. */
  message: string;
}

/** The pure decision, for the unit test. */
export function decidePrereqs(what: string, needs: Prereq[], env: NodeJS.ProcessEnv): PrereqDecision {
  const missing = needs.filter((n) => !n.present());
  if (missing.length === 0) return { action: 'run', message: '' };
  const list = missing.map((m) => `${m.name} (${m.hint})`).join('; ');
  return inCi(env)
    ? { action: 'fail', message: `${what}: missing prerequisite under CI: ${list}` }
    : { action: 'skip', message: `skipping ${what}: missing ${list}` };
}

/**
 * True when `needs` are all present (use it in describe.runIf and in hooks). Otherwise it
 * warns and returns false, or under CI registers a failing test named for the missing
 * prerequisites (and still returns false, so the hooks that set up labs do not run).
 */
export function prerequisites(
  what: string,
  needs: Prereq[],
  env: NodeJS.ProcessEnv = process.env,
  register: (name: string, fn: () => void) => void = it,
): boolean {
  const d = decidePrereqs(what, needs, env);
  if (d.action === 'run') return true;
  if (d.action === 'fail')
    register(`prerequisites of ${what}`, () => {
      throw new Error(d.message);
    });
  else console.warn(d.message);
  return false;
}
