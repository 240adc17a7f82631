export { type FrontFaults, frontFaults } from './faults';
export { type DeepHealth, type DependencyHealth, type HealthMonitor, startHealthMonitor } from './health';
export { type Endpoint, type EndpointKind, hostName, parseHost } from './host';
export { ociError } from './oci-error';
export { catalog, forwardHeaders, proxy, rewriteLocation, upstreamPath } from './proxy';
export { RequestBucket } from './rate-limit';
export { actionFor, matchV2, type V2Route } from './routes';
export { type FrontDeps, type FrontHandle, startFront } from './server';
export { TRACE_HEADER, type TracedRequest, TraceLog } from './trace-log';
