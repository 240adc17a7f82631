// The CLI as one prebuilt ES module (dist/stampede.mjs), so `stampede` starts without
// compiling TypeScript (tsx took ~0.6 s warm per process). Built by scripts/setup.mjs and
// rebuilt by bin/stampede.js when a source it was built from has changed.
//
// Staleness is cheap to check: the build writes dist/stampede.inputs.json, the list of
// source files esbuild read (its metafile), and the bundle is stale when any of them is
// newer than the bundle or gone. A new file only matters once an existing input imports
// it, and that edit makes the importer newer. Plain JavaScript: bin/ and setup load it
// without tsx.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE = join(ROOT, 'dist', 'stampede.mjs');
/**
 * `stampede`, `stampede --help`, `-h`: the root help alone (lib/cli/help-entry.ts), a few KB
 * instead of the whole CLI: compiling the full bundle and loading the Node built-ins it
 * imports (http, https, net, dgram, child_process, crypto) was most of a help's start.
 */
export const HELP_BUNDLE = join(ROOT, 'dist', 'stampede-help.mjs');
/**
 * A `--jobs` worker thread of the bundled CLI (sim/experiments/sweep-worker.ts): without it
 * each worker compiled the models' TypeScript through tsx, 1.5-3 s of CPU per worker on this
 * machine, paid again by every sweep.
 */
export const SWEEP_WORKER_BUNDLE = join(ROOT, 'dist', 'stampede-sweep-worker.mjs');
export const INPUTS = join(ROOT, 'dist', 'stampede.inputs.json');
const ENTRY = join(ROOT, 'lib', 'cli', 'main.ts');
const HELP_ENTRY = join(ROOT, 'lib', 'cli', 'help-entry.ts');
const SWEEP_WORKER_ENTRY = join(ROOT, 'sim', 'experiments', 'sweep-worker.ts');
const NPM_MARKER = 'node_modules/.package-lock.json';

/**
 * Why the bundle cannot be used as it is ('missing', 'stale: <file> changed'), or undefined
 * when fresh. The paths are parameters for the unit test. `list` 'helpInputs' checks only
 * what the help bundle was built from (a handful of files instead of ~120 `stat`s).
 */
export function bundleStaleness(bundle = BUNDLE, inputsFile = INPUTS, root = ROOT, list = 'inputs') {
  let built;
  let inputs;
  try {
    statSync(bundle);
    // The time the build started: a source saved while esbuild ran is newer than that.
    const record = JSON.parse(readFileSync(inputsFile, 'utf8'));
    built = record.startedMs;
    inputs = record[list];
  } catch {
    return 'missing';
  }
  if (typeof built !== 'number' || !Array.isArray(inputs)) return 'missing';
  for (const rel of inputs) {
    let m;
    try {
      m = statSync(join(root, rel)).mtimeMs;
    } catch {
      return `stale: ${rel} is gone`;
    }
    if (m > built) return `stale: ${rel} changed`;
  }
  return undefined;
}

/**
 * Sources find their files relative to themselves (scenarios/, presets, data/, the lab's
 * daemon entry, node_modules through createRequire). In one bundle every module would share
 * dist/stampede.mjs's URL, so each source's `import.meta.url` becomes its own file's URL,
 * computed relative to the bundle: the checkout can move and the bundle still works.
 */
const ownUrlPlugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${join('/', 'node_modules', '/')}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      const rel = relative(dirname(BUNDLE), args.path).split('\\').join('/');
      return {
        contents: text.replace(
          /\bimport\.meta\.url\b/g,
          `new URL(${JSON.stringify(rel)}, import.meta.url).href`,
        ),
        loader: 'ts',
      };
    });
  },
};

/**
 * Node packages stay external (node_modules is the source of truth), but a few are heavy
 * to load and most commands never call them: @azure/identity alone took ~570 ms of a
 * ~900 ms start, undici ~200 ms, esbuild ~80 ms (measured 2026-12-05, loaded machine).
 * Their exports become lazy bindings: a Proxy per function or class that requires the
 * package on first call, `new`, property read or `instanceof`. The export list is read
 * from the package at build time; a non-function export is left out, so importing one
 * fails the build loudly instead of misbehaving.
 */
const LAZY_PACKAGES = ['@azure/identity', '@azure/container-registry', 'undici', 'esbuild'];

const lazyPackagesPlugin = {
  name: 'lazy-packages',
  setup(b) {
    const filter = new RegExp(`^(${LAZY_PACKAGES.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'lazy-package' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, async (args) => {
      const { createRequire } = await import('node:module');
      const mod = createRequire(join(ROOT, 'package.json'))(args.path);
      const names = Object.keys(mod).filter((k) => k !== 'default' && typeof mod[k] === 'function');
      const lines = [
        `import { createRequire } from 'node:module';`,
        `let m;`,
        `const load = () => (m ??= createRequire(import.meta.url)(${JSON.stringify(args.path)}));`,
        `const lazy = (name) => new Proxy(function () {}, {`,
        `  apply: (_, self, a) => Reflect.apply(load()[name], self, a),`,
        `  construct: (_, a, nt) => Reflect.construct(load()[name], a, nt === lazyOf[name] ? load()[name] : nt),`,
        `  get: (_, p) => load()[name][p],`,
        `  has: (_, p) => p in load()[name],`,
        `});`,
        `const lazyOf = {};`,
        ...names.map(
          (n) => `export const ${n} = (lazyOf[${JSON.stringify(n)}] = lazy(${JSON.stringify(n)}));`,
        ),
      ];
      return { contents: lines.join('\n'), loader: 'js', resolveDir: ROOT };
    });
  },
};

/**
 * Builds dist/stampede.mjs, dist/stampede-help.mjs and dist/stampede-sweep-worker.mjs (Node
 * packages stay external); written atomically, so parallel builders are safe. The help and
 * worker bundles are renamed into place first: a reader that sees the new full bundle (which
 * the staleness check looks at) sees all three.
 */
export async function buildCli() {
  const { build } = await import('esbuild');
  const startedMs = Date.now();
  mkdirSync(dirname(BUNDLE), { recursive: true });
  const tmpDir = join(dirname(BUNDLE), `.build-${process.pid}`);
  rmSync(tmpDir, { recursive: true, force: true });
  let result;
  try {
    result = await build({
      absWorkingDir: ROOT,
      entryPoints: {
        stampede: ENTRY,
        'stampede-help': HELP_ENTRY,
        'stampede-sweep-worker': SWEEP_WORKER_ENTRY,
      },
      outdir: tmpDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
      // Less text to compile at start (V8 pre-parses all of it); identifiers are not
      // minified, so class names and stack traces read as in the sources.
      minifyWhitespace: true,
      minifySyntax: true,
      // Lets the bundled code know it is bundled (sweep-jobs.ts starts its workers from the
      // worker bundle then); under tsx or vitest the name is undeclared.
      define: { __STAMPEDE_BUNDLE__: 'true' },
      plugins: [ownUrlPlugin, lazyPackagesPlugin],
    });
    const sources = (paths) =>
      paths.filter((p) => !p.startsWith('node_modules/') && !p.startsWith('lazy-package:'));
    const inputs = sources(Object.keys(result.metafile.inputs));
    // npm rewrites this on every install: the lazy packages' export lists are read from there.
    if (existsSync(join(ROOT, NPM_MARKER))) inputs.push(NPM_MARKER);
    const helpOut = Object.entries(result.metafile.outputs).find(([p]) => p.endsWith('stampede-help.mjs'));
    const helpInputs = sources(Object.keys(helpOut?.[1].inputs ?? {}));
    const inputsTmp = `${INPUTS}.tmp-${process.pid}`;
    writeFileSync(inputsTmp, `${JSON.stringify({ startedMs, inputs, helpInputs })}\n`);
    // Inputs first: a reader that sees the new bundle then also sees its list.
    renameSync(inputsTmp, INPUTS);
    renameSync(join(tmpDir, 'stampede-help.mjs'), HELP_BUNDLE);
    renameSync(join(tmpDir, 'stampede-sweep-worker.mjs'), SWEEP_WORKER_BUNDLE);
    renameSync(join(tmpDir, 'stampede.mjs'), BUNDLE);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const why = bundleStaleness();
  if (process.argv.includes('--if-stale') && !why) process.exit(0);
  await buildCli();
  process.stderr.write(`build-cli: ${relative(ROOT, BUNDLE)} built${why ? ` (${why})` : ''}\n`);
  if (!existsSync(BUNDLE)) process.exit(1);
}
