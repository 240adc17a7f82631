/**
 * `stampede bundle` input handling, in process through runCommand (esbuild runs, k6 does
 * not): bad input exits 2 naming the field and writes nothing; the printed run line pastes
 * into a POSIX shell as is (checked by running it through sh with `k6` as a function that
 * echoes its arguments); secrets in the environment reach neither the file nor the output.
 * The default output name is checked on the real bin, in a temp working directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineCommand } from '../../lib/cli/command';
import { bundleCommand, bundleTarget, shellQuote } from '../../lib/cli/commands/bundle';
import { REPO_ROOT } from '../../lib/k6/bundle';
import { type Captured, capture } from '../helpers/cli';

const root = defineCommand({
  name: 'stampede',
  summary: 'test root',
  subCommands: { bundle: bundleCommand },
});

const cli = (...args: string[]): Promise<Captured> => capture(root, ['bundle', ...args]);

const dir = mkdtempSync(join(tmpdir(), 'stampede-bundlecli-'));

describe('stampede bundle: bad input exits 2, names the field, writes nothing', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown scenario', ['nope'], /<scenario>: expected one of cold-pull.*received "nope"/],
    ['no scenario', [], /<scenario>: expected one of cold-pull/],
    ['two scenarios', ['cold-pull', 'cold-pull'], /<scenario>: expected exactly one scenario/],
    ['out-of-range --set', ['cold-pull', '--set', 'vus=0'], /vus: expected an integer >= 1/],
    ['unknown --set path', ['cold-pull', '--set', 'nodes=3'], /--set nodes: expected a known parameter path/],
    ['--set without =', ['cold-pull', '--set', 'vus'], /--set: expected path=value.*received "vus"/],
    ['--target lab', ['cold-pull', '--target', 'lab'], /--target: expected a registry URL.*received "lab"/],
    ['--target with a path', ['cold-pull', '--target', 'https://r.example/v2'], /--target: .*r\.example\/v2/],
    ['--target ftp', ['cold-pull', '--target', 'ftp://r.example'], /--target: /],
    [
      '-o into a missing dir',
      ['cold-pull', '-o', join(dir, 'no/such/x.js')],
      /--output: expected a file in an existing directory/,
    ],
    ['-o a directory', ['cold-pull', '-o', dir], /--output: expected a file path/],
  ];
  for (const [what, args, message] of cases)
    it(what, async () => {
      const before = readdirSync(dir);
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
      expect(readdirSync(dir)).toEqual(before);
    });

  it('a --target with a password is refused without echoing the password', async () => {
    const r = await cli('cold-pull', '--target', 'https://me:hunter2@r.example');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--target: .*me:\*\*\*@r\.example/);
    expect(r.err).not.toContain('hunter2');
  });
});

describe('stampede bundle: the file and the printed run line', () => {
  it('writes -o FILE; the printed line, run by sh, hands k6 the validated parameters exactly', async () => {
    const file = join(dir, 'cp.js');
    const secret = 'REFRESHsecret-never-printed';
    process.env.STAMPEDE_REFRESH_TOKEN = secret;
    let r: Awaited<ReturnType<typeof cli>>;
    try {
      // A quote in a free-form parameter: the single-quoted JSON must survive the shell.
      r = await cli(
        'cold-pull',
        '-o',
        file,
        '--target',
        'https://myreg.azurecr.io/',
        '--set',
        "registry=it's",
        '--set',
        'vus=7',
      );
    } finally {
      delete process.env.STAMPEDE_REFRESH_TOKEN;
    }
    expect(r.code, r.err).toBe(0);
    const script = readFileSync(file, 'utf8');
    expect(script).toMatch(/^import .* from "k6\/http";$/m);
    expect(script).not.toContain('myreg');
    expect(`${r.out}${r.err}${script}`).not.toContain(secret);
    expect(r.err).toMatch(/credentials: .*STAMPEDE_REFRESH_TOKEN.*STAMPEDE_USERNAME, STAMPEDE_PASSWORD/);
    expect(r.err).toMatch(/lab-only parameters .*: layers, seed, registry, endpoint/);
    // The source map names repository paths, not this machine's checkout or temp dir.
    const map = /base64,([A-Za-z0-9+/=]+)\s*$/.exec(script)?.[1] as string;
    const sources = (JSON.parse(Buffer.from(map, 'base64').toString()) as { sources: string[] }).sources;
    expect(sources).toContain('scenarios/cold-pull.ts');
    for (const s of sources) expect(s.startsWith('/') || s.startsWith('..')).toBe(false);

    const line = (r.err.split('\n').find((l) => l.trim().startsWith('k6 run ')) as string).trim();
    const sh = spawnSync('sh', ['-c', `k6() { for a in "$@"; do printf '%s\\n' "$a"; done; }; ${line}`], {
      encoding: 'utf8',
    });
    expect(sh.status, sh.stderr).toBe(0);
    const argv = sh.stdout.trimEnd().split('\n');
    expect(argv[0]).toBe('run');
    expect(argv[1]).toBe('--address=');
    expect(argv[2]).toBe('-e');
    // The file is outside the working directory (the repo): named by its absolute path.
    expect(argv.at(-1)).toBe(file);
    const params = JSON.parse((argv[3] as string).replace(/^STAMPEDE_PARAMS=/, '')) as Record<
      string,
      unknown
    >;
    expect(params).toMatchObject({
      vus: 7,
      iterations: 1,
      registry: "it's",
      baseUrl: 'https://myreg.azurecr.io',
      dns: { ttl: '5m', select: 'random', policy: 'preferIPv4' },
    });
    expect(params).not.toHaveProperty('hosts');
  });

  it('-o - writes the script to stdout and the run line to stderr, with a placeholder target', async () => {
    const r = await cli('cold-pull', '-o', '-');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/from "k6\/http";/);
    expect(r.err).not.toMatch(/from "k6/);
    expect(r.err).toMatch(/"baseUrl":"https:\/\/REGISTRY\.example"/);
    expect(r.err).toMatch(/target: none given; replace baseUrl/);
  });

  it('without -o it writes <scenario>.bundle.js in the working directory (real bin)', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'stampede-bundlecwd-'));
    const p = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/stampede.js'), 'bundle', 'cold-pull'], {
      cwd,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(p.status, p.stderr).toBe(0);
    expect(readdirSync(cwd)).toEqual(['cold-pull.bundle.js']);
    expect(p.stderr).toMatch(/wrote cold-pull\.bundle\.js \(\d+ bytes\)/);
    expect(p.stderr).toMatch(
      /k6 run --address= -e STAMPEDE_PARAMS='\{"vus":10,.*\}' cold-pull\.bundle\.js\n/,
    );
    expect(existsSync(join(cwd, 'cold-pull.bundle.js'))).toBe(true);
  });
});

describe('bundle helpers', () => {
  it('bundleTarget keeps scheme://host[:port], drops a trailing slash', () => {
    expect(bundleTarget('http://127.0.0.1:5000/')).toBe('http://127.0.0.1:5000');
    expect(bundleTarget('https://myreg.azurecr.io')).toBe('https://myreg.azurecr.io');
    expect(() => bundleTarget('https://r.example/?x=1')).toThrow(/--target/);
  });
  it('shellQuote leaves plain words alone and quotes the rest', () => {
    expect(shellQuote('cold-pull.bundle.js')).toBe('cold-pull.bundle.js');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
