/**
 * The identity stand-in against the real @azure/identity (MSAL Node underneath): a
 * ClientSecretCredential gets a token from it, the token verifies, a wrong secret is
 * refused the way Azure AD refuses it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLabConfig } from '../../lib/lab/config';
import { ACR_AUDIENCE, clientsFile, type IdentityHandle, startIdentity } from '../../lib/lab/identity';
import { decodeJwt } from '../../lib/lab/identity/jwt';
import { createState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';

let home: string;
let idp: IdentityHandle;
let ca: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'stampede-id-'));
  process.env.STAMPEDE_LAB_HOME = home;
  const cfg = resolveLabConfig([], ['lab.name=idtest']);
  const state = createState(cfg, topology(cfg, { netns: false, octet: 5 }));
  idp = await startIdentity(state, { port: 18443 });
  ca = readFileSync(idp.caCertPath, 'utf8');
});
afterAll(async () => {
  await idp?.stop();
  rmSync(home, { recursive: true, force: true });
});

const credential = (clientId: string, secret: string) =>
  new ClientSecretCredential(idp.tenantId, clientId, secret, {
    authorityHost: idp.ipUrl,
    disableInstanceDiscovery: true,
    tlsOptions: { ca },
  });

describe('identity stand-in with the real @azure/identity', () => {
  it('issues an RS256 token for the ACR audience that verify() accepts', async () => {
    const client = idp.clients.find((c) => c.name === 'puller')!;
    const token = await credential(client.clientId, client.clientSecret).getToken(`${ACR_AUDIENCE}/.default`);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
    const decoded = decodeJwt(token.token)!;
    expect(decoded.header.alg).toBe('RS256');
    expect(decoded.payload.aud).toBe(ACR_AUDIENCE);
    const claims = await idp.verify(token.token);
    expect(claims).toEqual({
      oid: client.objectId,
      tid: idp.tenantId,
      appid: client.clientId,
      roles: ['AcrPull'],
    });
    const s = idp.stats();
    expect(s.openidConfiguration).toBeGreaterThanOrEqual(1);
    expect(s.tokensIssued).toBeGreaterThanOrEqual(1);
  });

  it('refuses a wrong secret with an Azure AD error the SDK understands', async () => {
    const client = idp.clients[0]!;
    await expect(
      credential(client.clientId, 'not-the-secret').getToken(`${ACR_AUDIENCE}/.default`),
    ).rejects.toThrow(/AADSTS7000215/);
  });

  it('verify() rejects tampered tokens and other audiences', async () => {
    const client = idp.clients[0]!;
    const arm = await credential(client.clientId, client.clientSecret).getToken(
      'https://management.azure.com/.default',
    );
    expect(decodeJwt(arm.token)!.payload.aud).toBe('https://management.azure.com');
    expect(await idp.verify(arm.token)).toBeNull();
    const good = await credential(client.clientId, client.clientSecret).getToken(`${ACR_AUDIENCE}/.default`);
    const [h, p, s] = good.token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.roles = ['AcrPush'];
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(await idp.verify(forged)).toBeNull();
    expect(await idp.verify('not.a.jwt')).toBeNull();
  });

  it('keeps the client record private to the lab owner', () => {
    expect(statSync(clientsFile(join(home, 'idtest'))).mode & 0o077).toBe(0);
  });
});
