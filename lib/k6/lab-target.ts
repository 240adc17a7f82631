/**
 * What a k6 run against the local lab needs, from the running lab itself: the base URL
 * (the global name, resolved by the client's own resolver inside the lab namespace),
 * credentials for k6 (the identity stand-in's AcrPull service principal: k6 does the Azure
 * AD client-credentials call and the /oauth2/exchange itself, as it would against Azure),
 * and, for scenarios that pull, an image seeded through the front's token flow. Secrets go
 * into the child's environment only.
 */
import { readIdentityRecord } from '../lab/identity';
import { labAadCredentials, type SeedResult, seedImage } from '../lab/seed';
import { dataHost, globalHost, regionalHost } from '../lab/topology';
import type { LabInfo, LabPrep } from './scenario';

export interface LabEndpoint {
  /** Which lab registry name ('' = the first). */
  registry?: string;
  endpoint?: 'global' | 'regional' | 'data';
}

/** The base URL and puller credentials every lab scenario starts from. */
export function labTarget(lab: LabInfo, p: LabEndpoint = {}): LabPrep & { registry: string } {
  const { config, topology: topo } = lab;
  const reg = p.registry || (config.registry.names[0] as string);
  const client = config.regions.clientRegion;
  const endpoint = p.endpoint ?? 'global';
  const host =
    endpoint === 'global'
      ? globalHost(reg, topo.domain)
      : endpoint === 'regional'
        ? regionalHost(reg, client, topo.domain)
        : dataHost(reg, client, topo.domain);
  const base = `http://${host}:${topo.port}`;
  const record = readIdentityRecord(topo.stateDir);
  const puller = record.clients.find((c) => c.name === 'puller');
  const env: Record<string, string> = {
    SSL_CERT_FILE: record.caCertPath, // Go (k6) trusts the lab CA for the identity stand-in
  };
  if (puller) {
    env.STAMPEDE_AAD_AUTHORITY = lab.netns ? record.url : record.ipUrl;
    env.STAMPEDE_AAD_TENANT = record.tenantId;
    env.STAMPEDE_AAD_CLIENT_ID = puller.clientId;
    env.STAMPEDE_AAD_CLIENT_SECRET = puller.clientSecret;
  }
  return {
    registry: reg,
    base,
    env,
    describe: {
      lab: config.lab.name,
      registry: reg,
      endpoint,
      base,
      namespace: lab.netns ? topo.namespace : null,
      identity: record.url,
    },
  };
}

/**
 * Pushes `image` with random layers of `layers` bytes to the client region's regional
 * endpoint (where a CI pipeline in that region would push), as the lab's pusher.
 * Without the lab DNS, by IP (the front takes a bare IP as the first registry).
 */
export async function seedLabImage(
  lab: LabInfo,
  registry: string,
  image: string,
  layers: number[],
): Promise<SeedResult> {
  const { config, topology: topo } = lab;
  const client = config.regions.clientRegion;
  const region = topo.regions.find((r) => r.name === client) ?? topo.regions[0];
  const seedBase = lab.netns
    ? `http://${regionalHost(registry, client, topo.domain)}:${topo.port}`
    : `http://${region?.frontIp}:${topo.port}`;
  return seedImage({
    base: seedBase,
    image,
    layerSizes: layers,
    credentials: labAadCredentials(readIdentityRecord(topo.stateDir), 'pusher', { byIp: !lab.netns }),
  });
}

export interface PullTarget extends LabEndpoint {
  image: string;
  layers: number[];
  seed: boolean;
}

/** A lab target with `image` seeded first (unless seed is off or the image is by digest). */
export async function prepareLabTarget(
  lab: LabInfo,
  p: PullTarget,
): Promise<LabPrep & { seeded?: SeedResult }> {
  const t = labTarget(lab, p);
  if (!p.seed || !p.image.includes(':') || p.image.includes('@')) return t;
  const seeded = await seedLabImage(lab, t.registry, p.image, p.layers);
  return {
    ...t,
    seeded,
    describe: {
      ...t.describe,
      seeded: { manifestDigest: seeded.manifestDigest, layers: seeded.layers, auth: seeded.auth },
    },
    notes: [
      `seeded ${p.image} (${seeded.layers.length} layers, ${seeded.manifestDigest.slice(0, 19)}…) via the token flow`,
    ],
  };
}
