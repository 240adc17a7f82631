/**
 * Certificates (from the lab CA) a region's servers present: the front's for every name of
 * every registry in the region and its IP, and, with storage.tls, one for the region's
 * storage backends' names and IPs (a 307 may name either, per storage.redirectHost).
 */
import { issueCert, type LabCa, type ServerCert } from './identity/ca';
import { dataHost, globalHost, type RegionAddr, regionalHost } from './topology';

export function frontCert(
  ca: LabCa,
  region: RegionAddr,
  registries: readonly string[],
  domain: string,
): ServerCert {
  return issueCert(ca, `front-${region.name}`, [
    ...registries.flatMap((reg) => [
      globalHost(reg, domain),
      regionalHost(reg, region.name, domain),
      dataHost(reg, region.name, domain),
    ]),
    region.frontIp,
    ...(region.frontIp6 ? [region.frontIp6] : []),
  ]);
}

export function storageCert(ca: LabCa, region: RegionAddr): ServerCert {
  return issueCert(
    ca,
    `storage-${region.name}`,
    region.backends.flatMap((b) => [b.host, b.ip, ...(b.ip6 ? [b.ip6] : [])]),
  );
}
