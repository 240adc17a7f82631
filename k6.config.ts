/**
 * The one esbuild configuration for k6 scenarios (after grafana/k6-jslib-aws): ESM for
 * k6's module loader, browser platform so no Node built-in sneaks in, and `k6`/`k6/*`
 * left as imports k6 itself provides. lib/k6/bundle.ts is the only user.
 */
import type { BuildOptions } from 'esbuild';

export const k6BuildOptions: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  external: ['k6', 'k6/*'],
  mainFields: ['module', 'main'],
  sourcemap: 'inline',
  legalComments: 'none',
  logLevel: 'silent',
};

export default k6BuildOptions;
