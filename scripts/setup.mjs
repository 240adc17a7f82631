#!/usr/bin/env node
// Idempotent set-up, run by `npm test`, `npm run demo` and `npm run setup`: npm packages,
// the Debian packages the lab and tests use, and k6 built from source at a pinned version.
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
  // `npm install`, not `npm ci`: npm 11 leaves some other-platform optional packages
  // (biome's) out of the lock file it writes, and `npm ci` then refuses the lock as out of
  // sync. `npm install` installs the locked versions all the same.
  log('installing npm packages (npm install)');
  run('npm', ['install', '--no-audit', '--no-fund']);
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
aptPackages();
k6();
