/**
 * The real Azure SDK against the lab, unmodified: @azure/identity's ClientSecretCredential
 * gets its Azure AD token from the identity stand-in, @azure/container-registry's clients
 * answer the front's Bearer challenge by exchanging it at /oauth2/exchange and
 * /oauth2/token, and talk to https://contoso.stampede.test:8443 directly: the front's own
 * TLS listener, with a lab-CA certificate the clients trust through `tlsOptions`.
 *
 * Blob downloads follow the front's 307 to a storage backend, which is plain http in the
 * lab: the SDK follows it with its documented `allowInsecureConnection` option.
 *
 * Names resolve through the lab's real DNS server (a resolver pointed at it, plugged into
 * the SDK's documented `agent` option), so the global name and the storage backends' names
 * behind the blob 307s are looked up the way a client inside the lab would.
 */
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ContainerRegistryClientOptions } from '@azure/container-registry';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acrAccessToken, acrRefreshToken, contentClient, registryClient } from '../../lib/acr';
import { registryCredentials } from '../../lib/acr/registry-credentials';
import { resolveLabConfig } from '../../lib/lab/config';
import { ACR_AUDIENCE, ensureLabCa } from '../../lib/lab/identity';
import { type Lab, startLab } from '../../lib/lab/supervisor';
import { randomLayer, sha256 } from '../../lib/oci/digest';
import { OCI_CONFIG, OCI_LAYER, OCI_MANIFEST } from '../../lib/oci/media-types';

let home: string;
let lab: Lab;
let ca: string;
let endpoint: string;
let agent: HttpAgent;

/**
 * One agent for both schemes (the SDK applies its `agent` to every request, and a blob
 * GET is redirected from the https front to an http storage backend), resolving names
 * with the lab's DNS server.
 */
class LabAgent extends HttpAgent {
  constructor(
    private readonly tls: HttpsAgent,
    private readonly plain: HttpAgent,
  ) {
    super();
    // no fixed protocol: ClientRequest then accepts this agent for http and https alike
    (this as unknown as { protocol: undefined }).protocol = undefined;
  }
  /** Node's (undocumented in @types) hook every ClientRequest calls on its agent. */
  addRequest(req: unknown, options: { protocol?: string; _defaultAgent?: { protocol?: string } }): void {
    const secure = options.protocol === 'https:' || options._defaultAgent?.protocol === 'https:';
    const target = (secure ? this.tls : this.plain) as unknown as {
      addRequest(r: unknown, o: unknown): void;
    };
    target.addRequest(req, options);
  }
  override destroy(): void {
    this.tls.destroy();
    this.plain.destroy();
    super.destroy();
  }
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'stampede-acr-'));
  process.env.STAMPEDE_LAB_HOME = home;
  const cfg = resolveLabConfig(
    [],
    [
      'lab.name=acrsdk',
      'regions.names=eastus',
      'regions.clientRegion=eastus',
      'storage.backends=2',
      'storage.copies=1',
    ],
  );
  lab = await startLab(cfg, { netns: false, octet: 5 });
  ca = ensureLabCa(join(lab.topology.stateDir, 'ca')).certPem;
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([`${lab.topology.dnsIp}:${lab.topology.dnsPort}`]);
  const lookup = (
    host: string,
    opts: { all?: boolean },
    cb: (e: Error | null, a: string | Array<{ address: string; family: number }>, f?: number) => void,
  ) => {
    resolver.resolve4(host).then(
      (ips) =>
        opts?.all
          ? cb(
              null,
              ips.map((address) => ({ address, family: 4 })),
            )
          : cb(null, ips[0]!, 4),
      (e) => cb(e as Error, ''),
    );
  };
  agent = new LabAgent(
    new HttpsAgent({ keepAlive: true, ca, lookup: lookup as never }),
    new HttpAgent({ keepAlive: true, lookup: lookup as never }),
  );
  endpoint = `https://contoso.${cfg.registry.domain}:${cfg.registry.tlsPort}`;
}, 60_000);

afterAll(async () => {
  agent?.destroy();
  await lab?.stop();
  rmSync(home, { recursive: true, force: true });
});

const credential = (name: string) => {
  const c = lab.identity.clients.find((x) => x.name === name)!;
  return new ClientSecretCredential(lab.identity.tenantId, c.clientId, c.clientSecret, {
    authorityHost: lab.identity.ipUrl,
    disableInstanceDiscovery: true,
    tlsOptions: { ca },
  });
};
const sdkOptions = (): ContainerRegistryClientOptions => ({
  tlsOptions: { ca },
  agent: agent as never,
  retryOptions: { maxRetries: 1 },
  // The blob 307 goes to a storage backend, which the lab serves over plain http (ACR's
  // go to https blob storage); the SDK follows an http redirect only with this set. The
  // registry endpoint itself is https, and the redirect drops the Authorization header.
  allowInsecureConnection: true,
});
const content = (repo: string, who: string) => contentClient(endpoint, repo, credential(who), sdkOptions());
const registry = (who: string) => registryClient(endpoint, credential(who), sdkOptions());

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

async function pushImage(repo: string, tags: string[], sizes: number[]) {
  const client = content(repo, 'owner');
  const layers = sizes.map((n) => randomLayer(n));
  const up = [];
  for (const l of layers) up.push(await client.uploadBlob(Readable.from([Buffer.from(l)])));
  const configBytes = Buffer.from(
    JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const config = await client.uploadBlob(configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.sizeInBytes },
    layers: up.map((u) => ({ mediaType: OCI_LAYER, digest: u.digest, size: u.sizeInBytes })),
  };
  let digest = '';
  for (const tag of tags) digest = (await client.setManifest(manifest, { tag })).digest;
  return { layers, up, config, manifest, digest };
}

describe('@azure/identity + @azure/container-registry against the lab over https', () => {
  let img: Awaited<ReturnType<typeof pushImage>>;
  const REPO = 'sdk/hello';

  it('ContainerRegistryContentClient: uploadBlob, setManifest, getManifest, downloadBlob (307 to storage)', async () => {
    const before = lab.identity.stats();
    img = await pushImage(REPO, ['v1', 'v2'], [300_000, 5_000_000]);
    expect(img.up.map((u) => u.digest)).toEqual(img.layers.map((l) => sha256(l)));
    expect(img.up.map((u) => u.sizeInBytes)).toEqual([300_000, 5_000_000]);
    const client = content(REPO, 'puller');
    const byTag = await client.getManifest('v1');
    expect(byTag.digest).toBe(img.digest);
    const byDigest = await client.getManifest(img.digest); // sent as sha256%3A...
    expect(byDigest.mediaType).toBe(OCI_MANIFEST);
    expect((byDigest.manifest as { layers: Array<{ size: number }> }).layers.map((l) => l.size)).toEqual([
      300_000, 5_000_000,
    ]);
    const served = lab.backends.eastus!.reduce((a, b) => a + b.stats().requests, 0);
    const blob = await client.downloadBlob(img.up[1]!.digest);
    const bytes = await readAll(blob.content);
    expect(bytes.length).toBe(5_000_000);
    expect(sha256(bytes)).toBe(img.up[1]!.digest);
    // the bytes came from a storage backend (the 307), not through the front
    expect(lab.backends.eastus!.reduce((a, b) => a + b.stats().requests, 0)).toBeGreaterThan(served);
    const after = lab.identity.stats();
    expect(after.tokensIssued).toBeGreaterThan(before.tokensIssued);
    expect(after.verified).toBeGreaterThan(before.verified); // /oauth2/exchange verified the AAD token
  });

  it('ContainerRegistryClient: listRepositoryNames, getProperties, listManifestProperties, getTagProperties', async () => {
    const client = registry('puller');
    const names: string[] = [];
    for await (const n of client.listRepositoryNames()) names.push(n);
    expect(names).toContain(REPO);
    const props = await client.getRepository(REPO).getProperties();
    expect(props).toMatchObject({
      name: REPO,
      registryLoginServer: 'contoso.stampede.test',
      manifestCount: 1,
      tagCount: 2,
      canDelete: true,
      canRead: true,
    });
    expect(props.createdOn.getTime()).toBeGreaterThan(Date.now() - 120_000);
    const manifests = [];
    for await (const m of client.getRepository(REPO).listManifestProperties()) manifests.push(m);
    expect(manifests).toHaveLength(1);
    expect(manifests[0]).toMatchObject({
      digest: img.digest,
      architecture: 'arm64',
      operatingSystem: 'linux',
      repositoryName: REPO,
    });
    expect(manifests[0]!.tags.sort()).toEqual(['v1', 'v2']);
    expect(manifests[0]!.sizeInBytes).toBeGreaterThan(5_300_000);
    const tag = await client.getArtifact(REPO, 'v1').getTagProperties('v1');
    expect(tag).toMatchObject({ name: 'v1', digest: img.digest, repositoryName: REPO });
    const byTag = await client.getArtifact(REPO, 'v2').getManifestProperties();
    expect(byTag.digest).toBe(img.digest);
    // paging: one repository per page follows the Link header
    await pushImage('sdk/other', ['x'], [1000]);
    const pages: string[][] = [];
    for await (const p of client.listRepositoryNames().byPage({ maxPageSize: 1 })) pages.push([...p]);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages.flat()).toEqual(expect.arrayContaining([REPO, 'sdk/other']));
  });

  it('a puller identity is refused push, metadata writes and deletes', async () => {
    await expect(content(REPO, 'puller').uploadBlob(Buffer.from('nope'))).rejects.toMatchObject({
      statusCode: 401,
    });
    await expect(
      content(REPO, 'puller').setManifest(
        {
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: OCI_CONFIG, digest: img.config.digest, size: img.config.sizeInBytes },
          layers: [],
        },
        { tag: 'nope' },
      ),
    ).rejects.toMatchObject({ statusCode: 401 });
    const client = registry('puller');
    await expect(client.getArtifact(REPO, 'v1').deleteTag('v1')).rejects.toMatchObject({ statusCode: 401 });
    await expect(client.deleteRepository(REPO)).rejects.toMatchObject({ statusCode: 401 });
    await expect(content(REPO, 'puller').deleteManifest(img.digest)).rejects.toMatchObject({
      statusCode: 401,
    });
    await expect(client.getRepository(REPO).updateProperties({ canDelete: false })).rejects.toMatchObject({
      statusCode: 401,
    });
    expect((await client.getRepository(REPO).getProperties()).tagCount).toBe(2);
  });

  it('deleteTag untags (the manifest stays), deleteManifest and deleteRepository remove content', async () => {
    const client = registry('owner');
    await client.getArtifact(REPO, 'v2').deleteTag('v2');
    const tags: string[] = [];
    for await (const t of client.getArtifact(REPO, 'v1').listTagProperties()) tags.push(t.name);
    expect(tags).toEqual(['v1']);
    expect((await content(REPO, 'puller').getManifest(img.digest)).digest).toBe(img.digest);
    await expect(content(REPO, 'puller').getManifest('v2')).rejects.toMatchObject({ statusCode: 404 });

    const other = await pushImage(REPO, ['gone'], [2000]);
    await content(REPO, 'owner').deleteManifest(other.digest);
    await expect(content(REPO, 'puller').getManifest(other.digest)).rejects.toMatchObject({
      statusCode: 404,
    });
    expect((await client.getRepository(REPO).getProperties()).manifestCount).toBe(1);

    await client.deleteRepository(REPO);
    const names: string[] = [];
    for await (const n of client.listRepositoryNames()) names.push(n);
    expect(names).not.toContain(REPO);
    await expect(client.getRepository(REPO).getProperties()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('lib/acr: AAD token -> /oauth2/exchange -> refresh token -> scoped access token', async () => {
    const { refreshToken, service } = await acrRefreshToken(
      `http://${lab.topology.regions[0]!.frontIp}:8080`,
      credential('puller'),
      { service: 'contoso.stampede.test', tenant: lab.identity.tenantId },
    );
    expect(service).toBe('contoso.stampede.test');
    expect(refreshToken.split('.')).toHaveLength(3);
    const access = await acrAccessToken(
      `http://${lab.topology.regions[0]!.frontIp}:8080`,
      refreshToken,
      ['repository:sdkhello:pull'],
      { service },
    );
    expect(access.expiresIn).toBeGreaterThan(0);
    const payload = JSON.parse(Buffer.from(access.token.split('.')[1]!, 'base64url').toString());
    expect(payload.access).toEqual([{ type: 'repository', name: 'sdkhello', actions: ['pull'] }]);
    expect(ACR_AUDIENCE).toBe('https://containerregistry.azure.net');
  });
});

describe('credentials for a k6 run against a real registry', () => {
  it('turns Azure AD client credentials into an ACR refresh token with @azure/identity, and hides the secret', async () => {
    const c = lab.identity.clients.find((x) => x.name === 'puller')!;
    const base = `http://${lab.topology.regions[0]!.frontIp}:8080`;
    const env = {
      STAMPEDE_AAD_CLIENT_ID: c.clientId,
      STAMPEDE_AAD_CLIENT_SECRET: c.clientSecret,
      STAMPEDE_AAD_TENANT: lab.identity.tenantId,
      STAMPEDE_AAD_AUTHORITY: lab.identity.ipUrl,
    };
    const before = lab.identity.stats();
    // The lab's front is the running lab (the run command asks the lab for its names and
    // addresses): Azure AD credentials may be exchanged there over plain http.
    const labHosts = async () => lab.topology.regions.map((r) => r.frontIp);
    const creds = await registryCredentials(base, env, { tlsOptions: { ca } }, fetch, { labHosts });
    expect(lab.identity.stats().tokensIssued).toBeGreaterThan(before.tokensIssued);
    // The refresh token is all k6 gets: no Azure AD variable.
    expect(Object.keys(creds.env)).toEqual(['STAMPEDE_REFRESH_TOKEN']);
    expect(creds.describe).toContain('ClientSecretCredential');
    expect(JSON.stringify(creds.describe)).not.toContain(c.clientSecret);
    const refresh = creds.env.STAMPEDE_REFRESH_TOKEN!;
    expect(refresh).not.toContain(c.clientSecret);
    // The refresh token is what k6 gets: it must buy a scoped access token on its own.
    const access = await acrAccessToken(base, refresh, ['repository:anything:pull'], {
      service: 'contoso.stampede.test',
    });
    expect(access.token.length).toBeGreaterThan(20);
  });

  it('passes a given refresh token, or basic credentials, to k6 explicitly (k6 inherits no STAMPEDE_*)', async () => {
    const base = `http://${lab.topology.regions[0]!.frontIp}:8080`;
    const given = await registryCredentials(base, { STAMPEDE_REFRESH_TOKEN: 'r', STAMPEDE_AAD_TOKEN: 'a' });
    expect(given.env).toEqual({ STAMPEDE_REFRESH_TOKEN: 'r' });
    const basic = await registryCredentials(base, { STAMPEDE_USERNAME: 'u', STAMPEDE_PASSWORD: 'p' });
    expect(basic).toEqual({
      env: { STAMPEDE_USERNAME: 'u', STAMPEDE_PASSWORD: 'p' },
      describe: 'basic (username/password)',
    });
    expect(await registryCredentials(base, {})).toEqual({ env: {}, describe: 'anonymous' });
  });
});
