export { type AzureErrorCode, azureError } from './azure-error';
export {
  type BackendDeps,
  type BackendHandle,
  type BackendStats,
  blobUrlPath,
  HEALTH_PATH,
  startBackend,
  storageScheme,
} from './backend';
export { ByteBucket } from './byte-bucket';
export { EgressMeter } from './egress-meter';
export { type BackendFaults, backendFaults, effectiveCeiling } from './faults';
export { homeBackends, placement, rendezvous } from './placement';
export { bareHost, createSigner, type SasCheck, type UrlSigner } from './signer';
