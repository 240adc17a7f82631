/**
 * Hottest backend's peak egress over its ceiling. The hottest backend, not the average,
 * decides throttling, so this one ratio predicts the throttle chart: above 1 throttles.
 */
import type { Envelope } from '../../lib/results/envelope';
import { isNum } from '../points';
import type { VegaLiteSpec } from '../types';
import { perPointBarsSpec } from './per-point-bars';

export function hotBackendSpec(envelope: Envelope): VegaLiteSpec | null {
  return perPointBarsSpec(envelope, {
    read: (m) => (isNum(m?.hotBackendRatio) ? m.hotBackendRatio : undefined),
    yTitle: 'peak egress / ceiling',
    threshold: 1,
    aboveLabel: 'above ceiling',
    belowLabel: 'below ceiling',
    ruleLabel: 'ceiling',
    format: '.2f',
  });
}
