/** Quantile charts for the other duration metrics (k6 pulls, replication lag, failover). */
import type { Envelope } from '../../lib/results/envelope';
import type { VegaLiteSpec } from '../types';
import { quantileLinesSpec } from './quantile-lines';

export type LatencyKey = 'pullS' | 'replicationLagS' | 'failoverS';

export function latencyQuantilesSpec(envelope: Envelope, key: LatencyKey): VegaLiteSpec | null {
  return quantileLinesSpec(envelope, { key, quantiles: ['p50', 'p90', 'p99', 'max'], unit: 'seconds' });
}
