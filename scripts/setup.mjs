#!/usr/bin/env node
// Idempotent set-up, run by `npm test`, `npm run demo` and `npm run setup`: npm packages, the
// CLI bundle, the Debian packages the lab and tests use, and k6 built from source at a pinned version.
// Every step first checks whether it is already done, so a re-run takes about a second.
// Plain JavaScript with no dependencies: it runs before node_modules exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const K6_VERSION = 'v1.8.1';
const k6Bin = join(root, '.tools', 'bin', 'k6');
const APT = ['docker-registry', 'skopeo', 'chromium', 'dnsutils', 'iproute2', 'openssl', 'procps'];

const log = (msg) => process.stderr.write(`setup: ${msg}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    log(`'${cmd} ${args.join(' ')}' failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function npmPackages() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
  if (!stale) return;
  // `npm ci`: exactly the locked versions, and it never rewrites the tracked lock file (so
  // set-up leaves `git status` clean). The lock holds every platform's optional packages
  // (biome's, esbuild's), as `npm install --package-lock-only` writes them; if package.json
  // and the lock disagree, npm ci stops and says so: run `npm install` and commit the lock.
  log('installing npm packages (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

/** The CLI bundle dist/stampede.mjs (scripts/build-cli.mjs), when missing or older than a source. */
async function cliBundle() {
  const { buildCli, bundleStaleness } = await import('./build-cli.mjs');
  const why = bundleStaleness();
  if (!why) return;
  log(`building the CLI bundle dist/stampede.mjs (${why})`);
  await buildCli();
}

function aptPackages() {
  const missing = APT.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    log(`missing Debian packages: ${missing.join(' ')} — run: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function k6() {
  if (existsSync(k6Bin)) {
    const out = spawnSync(k6Bin, ['version'], { encoding: 'utf8' }).stdout ?? '';
    if (out.includes(`k6 ${K6_VERSION}`)) return;
  }
  log(`building k6 ${K6_VERSION} from source (go install, a few minutes the first time)`);
  mkdirSync(dirname(k6Bin), { recursive: true });
  run('go', ['install', `go.k6.io/k6@${K6_VERSION}`], {
    env: { ...process.env, GOBIN: dirname(k6Bin), GOFLAGS: '-trimpath', CGO_ENABLED: '0' },
  });
  log(execFileSync(k6Bin, ['version'], { encoding: 'utf8' }).trim());
}

npmPackages();
await cliBundle();
aptPackages();
k6();
