export { backoffDelay } from './backoff';
export { type ClientParams, type NodeResults, startClients } from './clients';
export { createStoragePool, type StorageParams, type StoragePool } from './storage-pool';
