/** Asynchronous geo-replication between the lab's regional registries, with ACR-style webhooks. */
export { Holdings } from './holdings';
export {
  type Classified,
  classify,
  NOTIFY_MEDIA_TYPE,
  parseEnvelope,
  REPLICATOR_AGENT,
  type RegistryEvent,
} from './notifications';
export { type ReplicatorDeps, type ReplicatorHandle, startReplicator } from './replicator';
export type { RegionReplicationStatus, ReplicationEventRecord, ReplicationStatus } from './status';
export { type AcrWebhookEvent, acrEvent, splitRepository } from './webhook';
