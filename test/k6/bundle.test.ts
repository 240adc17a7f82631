/**
 * bundleScenario: one self-contained file per scenario (k6's own modules left as imports),
 * bad names rejected at the edge, and no esbuild service left running after it: a run
 * bundles once and then lives as long as k6 does (inside the lab's namespace, for a lab run).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import { bundleScenario } from '../../lib/k6/bundle';

const work = mkdtempSync(join(tmpdir(), 'stampede-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Command lines of this process's children. */
function children(): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('bundleScenario', () => {
  it('bundles a scenario that imports only k6 modules, and leaves no esbuild process behind', async () => {
    const [a, b] = await Promise.all([
      bundleScenario('cold-pull', work),
      bundleScenario('cold-pull', join(work, 'b')),
    ]);
    expect(a).toBe(join(work, 'cold-pull.k6.js'));
    expect(b).toBe(join(work, 'b', 'cold-pull.k6.js'));
    const imports = [...readFileSync(a, 'utf8').matchAll(/^import .* from ["']([^"']+)["']/gm)].map(
      (m) => m[1],
    );
    expect(imports.length).toBeGreaterThan(0);
    for (const i of imports) expect(i).toMatch(/^k6(\/|$)/);
    // esbuild's stop() sends the kill and returns: give the process a moment to go.
    let esbuild = children().filter((c) => c.includes('esbuild'));
    for (let i = 0; i < 100 && esbuild.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      esbuild = children().filter((c) => c.includes('esbuild'));
    }
    expect(esbuild).toEqual([]);
  });

  it('rejects a scenario name that is not one, naming the field', async () => {
    const e = await bundleScenario('../etc/passwd', work).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect(e).toMatchObject({ field: 'scenario', received: '../etc/passwd' });
  });
});
