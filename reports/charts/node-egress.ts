/**
 * Per-node download throughput as a distribution per configuration. The published sweep
 * reads P50/P75 rising to the sweet spot and dropping past it while P99/P99.9 spike back,
 * so every quantile gets its own line rather than one average.
 */
import type { Envelope } from '../../lib/results/envelope';
import type { VegaLiteSpec } from '../types';
import { quantileLinesSpec } from './quantile-lines';

export function nodeEgressSpec(envelope: Envelope): VegaLiteSpec | null {
  return quantileLinesSpec(envelope, {
    key: 'nodeEgressBps',
    quantiles: ['p50', 'p75', 'p90', 'p99', 'p999'],
    unit: 'rate',
  });
}
