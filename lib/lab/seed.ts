/**
 * Seeds an image into a registry (a lab front or any OCI registry) with random,
 * incompressible layers of the given sizes, through the registry's own token flow: auth is
 * added by wrapping fetch (lib/oci/auth-fetch.ts), the push itself is lib/oci/push.ts.
 * For the lab, `labPushCredentials` gets an Azure AD token for the identity stand-in's
 * pusher with the real @azure/identity ClientSecretCredential, exchanged at /oauth2/exchange
 * like `az acr login` does.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ClientSecretCredential } from '@azure/identity';
import { InputError } from '../errors';
import { type AuthCredentials, withRegistryAuth } from '../oci/auth-fetch';
import { randomLayer } from '../oci/digest';
import { type FetchLike, type PushedImage, pushImage } from '../oci/push';
import { ACR_AUDIENCE, type IdentityRecord } from './identity';

export interface SeedOptions {
  /** Registry base URL, e.g. http://contoso.eastus.geo.stampede.test:8080 */
  base: string;
  /** repo:tag */
  image: string;
  layerSizes: number[];
  credentials: AuthCredentials;
  fetchImpl?: FetchLike;
}

export interface SeedResult extends PushedImage {
  /** Token-flow counts from the wrapper: proof the push went through the registry's auth. */
  auth: { challenges: number; tokenRequests: number; exchanges: number };
}

export function splitImage(image: string): { repo: string; tag: string } {
  const m = /^([a-z0-9]+(?:[._/-][a-z0-9]+)*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(image);
  if (!m) throw new InputError('image', 'repo:tag (lower-case repository, OCI tag)', image);
  return { repo: m[1] as string, tag: m[2] as string };
}

export async function seedImage(o: SeedOptions): Promise<SeedResult> {
  const { repo, tag } = splitImage(o.image);
  if (o.layerSizes.length === 0 || o.layerSizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new InputError('layerSizes', 'at least one positive integer size in bytes', o.layerSizes);
  const f = withRegistryAuth(o.fetchImpl ?? fetch, o.credentials);
  const layers = o.layerSizes.map((s) => randomLayer(s));
  const pushed = await pushImage(o.base.replace(/\/$/, ''), repo, tag, layers, f);
  return { ...pushed, auth: { ...f.stats } };
}

/**
 * Credentials for a lab client (`pusher` by default) from the identity stand-in's record:
 * the real SDK credential, trusting the lab CA through its own pipeline options.
 */
export function labAadCredentials(
  record: IdentityRecord,
  client = 'pusher',
  opts: { byIp?: boolean } = {},
): AuthCredentials {
  const c = record.clients.find((x) => x.name === client);
  if (!c) throw new InputError('client', `one of ${record.clients.map((x) => x.name).join(', ')}`, client);
  const credential = new ClientSecretCredential(record.tenantId, c.clientId, c.clientSecret, {
    authorityHost: opts.byIp ? record.ipUrl : record.url,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: readFileSync(record.caCertPath, 'utf8') },
  });
  return {
    kind: 'aad',
    tenant: record.tenantId,
    aadToken: async () => (await credential.getToken(`${ACR_AUDIENCE}/.default`)).token,
  };
}

/**
 * `node --import tsx lib/lab/seed.ts --name LAB --image repo:tag --layers 1048576,2097152
 *  [--registry NAME] [--authfile FILE]`, run inside the lab's namespace (`lab exec`): seeds
 * through the regional endpoint of the client region and prints the pushed digests as JSON.
 * --authfile writes a docker auth file (mode 0600) holding the AcrPull client's ACR refresh
 * token under the null-GUID user, the way `az acr login --expose-token` feeds docker and
 * skopeo; the token itself is never printed.
 */
async function main(argv: string[]): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { writeFileSync } = await import('node:fs');
  const { labClient, labSocketPath } = await import('./lab-client');
  const { regionalHost, globalHost } = await import('./topology');
  const { readIdentityRecord } = await import('./identity');
  const { acrRefreshToken } = await import('../acr/auth');
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string', default: process.env.STAMPEDE_LAB_NAME ?? 'lab' },
      image: { type: 'string' },
      layers: { type: 'string', default: '1048576' },
      registry: { type: 'string' },
      authfile: { type: 'string' },
    },
  });
  const { config, topology: topo, netns } = await labClient(labSocketPath(values.name as string)).config();
  const reg = (values.registry as string | undefined) ?? (config.registry.names[0] as string);
  const region = topo.regions.find((r) => r.name === config.regions.clientRegion) ?? topo.regions[0];
  const base = netns
    ? `http://${regionalHost(reg, config.regions.clientRegion, topo.domain)}:${topo.port}`
    : `http://${region?.frontIp}:${topo.port}`;
  const record = readIdentityRecord(topo.stateDir);
  const seeded = await seedImage({
    base,
    image: values.image as string,
    layerSizes: (values.layers as string).split(',').map(Number),
    credentials: labAadCredentials(record, 'pusher', { byIp: !netns }),
  });
  if (values.authfile) {
    const c = record.clients.find((x) => x.name === 'puller');
    if (!c)
      throw new InputError(
        'client',
        'a puller client in the identity record',
        record.clients.map((x) => x.name),
      );
    const credential = new ClientSecretCredential(record.tenantId, c.clientId, c.clientSecret, {
      authorityHost: netns ? record.url : record.ipUrl,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: readFileSync(record.caCertPath, 'utf8') },
    });
    const service = globalHost(reg, topo.domain);
    const { refreshToken } = await acrRefreshToken(base, credential, { service, tenant: record.tenantId });
    const auth = Buffer.from(`00000000-0000-0000-0000-000000000000:${refreshToken}`).toString('base64');
    writeFileSync(
      values.authfile as string,
      JSON.stringify({ auths: { [`${service}:${topo.port}`]: { auth }, [service]: { auth } } }),
      { mode: 0o600 },
    );
  }
  process.stdout.write(
    `${JSON.stringify({ base, repo: seeded.repo, tag: seeded.tag, manifestDigest: seeded.manifestDigest, config: seeded.config, layers: seeded.layers, auth: seeded.auth })}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`seed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
