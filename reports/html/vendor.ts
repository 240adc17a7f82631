/**
 * vega, vega-lite and vega-embed inlined from node_modules so a report opens offline from
 * file:// (CI artifacts, air-gapped labs). Files are found through each package's own
 * `jsdelivr`/`unpkg` field, the browser UMD build the package advertises for CDNs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RunError } from '../../lib/errors';

const require = createRequire(import.meta.url);
export const VENDOR_PACKAGES = ['vega', 'vega-lite', 'vega-embed'] as const;

let cache: string[] | undefined;

/** Package root: walk up from the resolved entry, because `exports` hides package.json. */
function packageRoot(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name)
      return dir;
    const up = dirname(dir);
    if (up === dir) throw new RunError('REPORT_VENDOR', `cannot find the package root of ${name}`);
    dir = up;
  }
}

export function browserBundlePath(name: string): string {
  const root = packageRoot(name);
  const pj = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const rel = [pj.jsdelivr, pj.unpkg].find((v): v is string => typeof v === 'string');
  if (!rel)
    throw new RunError('REPORT_VENDOR', `${name}/package.json names no browser build (jsdelivr/unpkg)`);
  return join(root, rel);
}

/** Script bodies in load order (vega-lite needs vega, vega-embed needs both). */
export function vendorScripts(): string[] {
  cache ??= VENDOR_PACKAGES.map((name) =>
    // "</script" inside an inline script would end it early; the escaped form is the same JS.
    readFileSync(browserBundlePath(name), 'utf8').replace(/<\/script/gi, '<\\/script'),
  );
  return cache;
}
