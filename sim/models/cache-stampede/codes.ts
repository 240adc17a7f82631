/**
 * The error codes a node meets when its pull goes through the cache, one per cause so a
 * failed pull says why (the lab half answers with the same codes). TOOMANYREQUESTS is the
 * OCI code of the upstream's 429, relayed with its Retry-After.
 */
export const CODES = {
  /** The upstream answered 429 (its rate limit). */
  throttled: 'TOOMANYREQUESTS',
  /** The upstream answered 5xx. */
  upstreamError: 'UPSTREAM_ERROR',
  /** The upstream refused the connection (down). */
  upstreamDown: 'UPSTREAM_UNAVAILABLE',
  /** The front's breaker is open: the request failed without reaching the upstream. */
  circuitOpen: 'UPSTREAM_CIRCUIT_OPEN',
  /** The pull had not finished when the simulated time ran out. */
  incomplete: 'PULL_INCOMPLETE',
} as const;
