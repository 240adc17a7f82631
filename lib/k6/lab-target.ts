/**
 * What a k6 run against the local lab needs, from the running lab itself: the base URL
 * (the global name, resolved by the client's own resolver inside the lab namespace), the
 * image seeded through the front's token flow, and credentials for k6 (the identity
 * stand-in's AcrPull service principal: k6 does the Azure AD client-credentials call and
 * the /oauth2/exchange itself, as it would against Azure). Secrets go into the child's
 * environment only.
 */
import type { LabConfig } from '../lab/config';
import { readIdentityRecord } from '../lab/identity';
import { labAadCredentials, type SeedResult, seedImage } from '../lab/seed';
import { dataHost, globalHost, regionalHost, type Topology } from '../lab/topology';
import type { ColdPullParams } from './scenarios';

export interface LabTarget {
  base: string;
  env: Record<string, string>;
  seeded?: SeedResult;
  /** Safe to print and to put in results (no secrets). */
  describe: Record<string, unknown>;
}

export async function prepareLabTarget(
  lab: { config: LabConfig; topology: Topology; netns: boolean; hosts: Record<string, string> },
  p: ColdPullParams,
): Promise<LabTarget> {
  const { config, topology: topo } = lab;
  const reg = p.registry || (config.registry.names[0] as string);
  const client = config.regions.clientRegion;
  const host =
    p.endpoint === 'global'
      ? globalHost(reg, topo.domain)
      : p.endpoint === 'regional'
        ? regionalHost(reg, client, topo.domain)
        : dataHost(reg, client, topo.domain);
  const base = `http://${host}:${topo.port}`;
  const record = readIdentityRecord(topo.stateDir);
  let seeded: SeedResult | undefined;
  if (p.seed && p.image.includes(':') && !p.image.includes('@')) {
    // Push to the client region's regional endpoint: where a CI pipeline in that region
    // would push. Without the lab DNS, by IP (the front takes a bare IP as the first registry).
    const region = topo.regions.find((r) => r.name === client) ?? topo.regions[0];
    const seedBase = lab.netns
      ? `http://${regionalHost(reg, client, topo.domain)}:${topo.port}`
      : `http://${region?.frontIp}:${topo.port}`;
    seeded = await seedImage({
      base: seedBase,
      image: p.image,
      layerSizes: p.layers,
      credentials: labAadCredentials(record, 'pusher', { byIp: !lab.netns }),
    });
  }
  const puller = record.clients.find((c) => c.name === 'puller');
  const env: Record<string, string> = {
    STAMPEDE_REGISTRY: base,
    SSL_CERT_FILE: record.caCertPath, // Go (k6) trusts the lab CA for the identity stand-in
    ...(lab.netns ? {} : { STAMPEDE_HOSTS: JSON.stringify(lab.hosts) }),
  };
  if (puller) {
    env.STAMPEDE_AAD_AUTHORITY = lab.netns ? record.url : record.ipUrl;
    env.STAMPEDE_AAD_TENANT = record.tenantId;
    env.STAMPEDE_AAD_CLIENT_ID = puller.clientId;
    env.STAMPEDE_AAD_CLIENT_SECRET = puller.clientSecret;
  }
  return {
    base,
    env,
    ...(seeded ? { seeded } : {}),
    describe: {
      lab: config.lab.name,
      registry: reg,
      endpoint: p.endpoint,
      base,
      namespace: lab.netns ? topo.namespace : null,
      identity: record.url,
      ...(seeded
        ? { seeded: { manifestDigest: seeded.manifestDigest, layers: seeded.layers, auth: seeded.auth } }
        : {}),
    },
  };
}
