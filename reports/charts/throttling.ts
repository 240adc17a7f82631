/** Throttled requests (storage 503 / registry 429) per configuration: the enemy of pull speed. */
import type { Envelope } from '../../lib/results/envelope';
import { isNum } from '../points';
import type { VegaLiteSpec } from '../types';
import { perPointBarsSpec } from './per-point-bars';

export function throttlingSpec(envelope: Envelope): VegaLiteSpec | null {
  return perPointBarsSpec(envelope, {
    read: (m) => (isNum(m?.throttleEvents) ? m.throttleEvents : undefined),
    yTitle: 'throttle events',
    threshold: 0,
    aboveLabel: 'throttled',
    belowLabel: 'no throttling',
    format: ',d',
    integer: true,
  });
}
