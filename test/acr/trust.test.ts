/**
 * Issue 12 item 1: Azure AD credentials are exchanged only over https with Azure Container
 * Registry hosts or the running lab, basic credentials go over plain http only to loopback;
 * anything else needs --trust-host, else exit 2 before a single request is sent. On the code
 * before the fix a fake registry on loopback was asked for its challenge and then handed the
 * Azure AD token at /oauth2/exchange.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryCredentials } from '../../lib/acr/registry-credentials';
import { checkCredentialTarget, isAcrHost, isLoopbackHost } from '../../lib/acr/trust';
import { type Io, runCommand } from '../../lib/cli/command';
import { runScenarioCommand } from '../../lib/cli/commands/run';
import { InputError } from '../../lib/errors';

/** A "registry" on loopback that records every request it gets (and would take any token). */
let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/v2/')
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/oauth2/token",service="fake"` }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"refresh_token":"r"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const AAD = {
  STAMPEDE_AAD_CLIENT_ID: 'cid',
  STAMPEDE_AAD_CLIENT_SECRET: 'csecret',
  STAMPEDE_AAD_TENANT: 'tenant',
  // Nothing listens here: a token request would fail loudly rather than reach Azure.
  STAMPEDE_AAD_AUTHORITY: 'https://127.0.0.1:9',
};

describe('which hosts get credentials', () => {
  it('knows ACR hosts of every cloud, with their .geo. and .data. names, and loopback', () => {
    for (const h of [
      'myreg.azurecr.io',
      'myreg.westus.data.azurecr.io',
      'myreg.westus.geo.azurecr.io',
      'myreg.azurecr.cn',
      'myreg.azurecr.us',
      'MyReg.AzureCR.io',
    ])
      expect(isAcrHost(h), h).toBe(true);
    for (const h of [
      'azurecr.io',
      'myreg.azurecr.io.evil.com',
      'evilazurecr.io',
      'myreg.azurecr.com',
      '127.0.0.1',
    ])
      expect(isAcrHost(h), h).toBe(false);
    expect(isLoopbackHost('127.3.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });

  it('Azure AD: https ACR, the running lab or a named host; nothing else', async () => {
    await expect(checkCredentialTarget('https://myreg.azurecr.io', 'aad')).resolves.toBeUndefined();
    await expect(checkCredentialTarget('http://myreg.azurecr.io', 'aad')).rejects.toThrow(InputError);
    await expect(checkCredentialTarget('https://registry.example.com', 'aad')).rejects.toMatchObject({
      code: 'UNTRUSTED_HOST',
      exitCode: 2,
      field: '--target',
    });
    await expect(
      checkCredentialTarget('https://registry.example.com', 'aad', { trustHosts: ['registry.example.com'] }),
    ).resolves.toBeUndefined();
    await expect(
      checkCredentialTarget('http://contoso.stampede.test:8080', 'aad', {
        labHosts: async () => ['contoso.stampede.test', '127.5.0.10'],
      }),
    ).resolves.toBeUndefined();
  });

  it('basic: https anywhere, plain http to loopback only unless named', async () => {
    await expect(checkCredentialTarget('https://registry.example.com', 'basic')).resolves.toBeUndefined();
    await expect(checkCredentialTarget('http://127.0.0.1:5000', 'basic')).resolves.toBeUndefined();
    await expect(checkCredentialTarget('http://registry.example.com', 'basic')).rejects.toMatchObject({
      code: 'UNTRUSTED_HOST',
    });
    await expect(
      checkCredentialTarget('http://registry.example.com:5000', 'basic', {
        trustHosts: ['registry.example.com:5000'],
      }),
    ).resolves.toBeUndefined();
  });

  it('registryCredentials refuses a loopback fake before asking it anything', async () => {
    seen.length = 0;
    const e = await registryCredentials(base, AAD).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toMatch(/--trust-host 127\.0\.0\.1/);
    expect(seen).toEqual([]);
    const basic = await registryCredentials('http://registry.example.com', {
      STAMPEDE_USERNAME: 'u',
      STAMPEDE_PASSWORD: 'p',
    }).catch((x: unknown) => x);
    expect(basic).toMatchObject({ code: 'UNTRUSTED_HOST' });
  });

  it('stampede run exits 2 naming --trust-host, sends nothing and leaves no run dir', async () => {
    seen.length = 0;
    const dir = mkdtempSync(join(tmpdir(), 'stampede-trust-'));
    const lines: string[] = [];
    const io: Io = { out: (t) => lines.push(t), err: (t) => lines.push(t), tty: false };
    const saved = { ...process.env };
    Object.assign(process.env, AAD, { STAMPEDE_LAB_NAME: 'no-such-lab-trust' });
    try {
      const code = await runCommand(
        runScenarioCommand,
        ['cold-pull', '--target', base, '--out', join(dir, 'run')],
        io,
      );
      expect(code).toBe(2);
      expect(lines.join('\n')).toMatch(/--target: expected .*--trust-host 127\.0\.0\.1/);
      expect(seen).toEqual([]);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
