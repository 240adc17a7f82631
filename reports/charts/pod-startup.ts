/** The headline metric of a cold-pull storm: pod-startup P50/P90/P99 per configuration. */
import type { Envelope } from '../../lib/results/envelope';
import type { VegaLiteSpec } from '../types';
import { quantileLinesSpec } from './quantile-lines';

export function podStartupSpec(envelope: Envelope): VegaLiteSpec | null {
  return quantileLinesSpec(envelope, {
    key: 'podStartupS',
    quantiles: ['p50', 'p90', 'p99'],
    unit: 'seconds',
  });
}
