/**
 * Every storage backend's peak egress against its ceiling, one panel per configuration,
 * backends ranked hottest first; the tooltip adds each backend's 503s and when it refused.
 * Ranking (not ids) on the x axis makes panels comparable: a steep left edge means a few
 * backends take the load while the rest idle.
 */
import type { BackendStat, Envelope } from '../../lib/results/envelope';
import { formatRate, formatSeconds, rateUnit, round3 } from '../format';
import { isNum, labelsOf, pointsOf } from '../points';
import type { VegaLiteSpec } from '../types';
import { ABOVE, BELOW, INK, SCHEMA } from './common';

const ABOVE_LABEL = 'above ceiling';
const BELOW_LABEL = 'below ceiling';
const NONE_LABEL = 'no ceiling set';
const CEILING_LABEL = 'ceiling';

function backendsOf(v: unknown): BackendStat[] {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (b): b is BackendStat =>
      typeof b === 'object' &&
      b !== null &&
      isNum((b as BackendStat).peakEgressBps) &&
      isNum((b as BackendStat).ceilingBps),
  );
}

/** The backend's 503s for the tooltip, with when it refused where the run recorded it. */
function throttleText(b: BackendStat): string {
  if (!isNum(b.throttles)) return 'not recorded';
  if (b.throttles === 0 || !isNum(b.firstThrottleS) || !isNum(b.lastThrottleS)) return String(b.throttles);
  return `${b.throttles}, from ${formatSeconds(b.firstThrottleS)} to ${formatSeconds(b.lastThrottleS)}`;
}

export function backendEgressSpec(envelope: Envelope): VegaLiteSpec | null {
  const points = pointsOf(envelope).filter((p) => backendsOf(p.metrics.backends).length > 0);
  if (points.length === 0) return null;
  const all = points.flatMap((p) => backendsOf(p.metrics.backends));
  const unit = rateUnit(Math.max(...all.map((b) => Math.max(b.peakEgressBps, b.ceilingBps))));
  const rows = points.flatMap((p) =>
    backendsOf(p.metrics.backends)
      .slice()
      .sort((a, b) => b.peakEgressBps - a.peakEgressBps)
      .map((b, i) => ({
        point: p.label,
        rank: i + 1,
        id: String(b.id),
        peak: round3(b.peakEgressBps / unit.divisor),
        // 0 (or less) is "no ceiling" (a lab backend without one): never "above" it.
        ceiling: b.ceilingBps > 0 ? round3(b.ceilingBps / unit.divisor) : null,
        status: b.ceilingBps <= 0 ? NONE_LABEL : b.peakEgressBps > b.ceilingBps ? ABOVE_LABEL : BELOW_LABEL,
        peakText: formatRate(b.peakEgressBps),
        ceilingText: b.ceilingBps > 0 ? formatRate(b.ceilingBps) : 'none set',
        throttleText: throttleText(b),
      })),
  );
  const statuses = [ABOVE_LABEL, BELOW_LABEL, NONE_LABEL].filter((l) => rows.some((r) => r.status === l));
  const hasCeiling = rows.some((r) => r.ceiling !== null);
  const colors: Record<string, string> = {
    [ABOVE_LABEL]: ABOVE,
    [BELOW_LABEL]: BELOW,
    [NONE_LABEL]: '#8c959f',
  };
  const domain = [...statuses, ...(hasCeiling ? [CEILING_LABEL] : [])];
  const color = {
    scale: { domain, range: domain.map((d) => colors[d] ?? INK) },
    title: null,
  };
  const x = {
    field: 'rank',
    type: 'ordinal',
    title: 'backend (hottest first)',
    axis: { labelAngle: 0 },
  } as const;
  return {
    $schema: SCHEMA,
    data: { values: rows },
    facet: { field: 'point', type: 'nominal', sort: labelsOf(points), title: null },
    columns: Math.min(points.length, 3),
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 220,
      height: 150,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x,
            y: { field: 'peak', type: 'quantitative', title: `peak egress (${unit.unit})` },
            color: { field: 'status', type: 'nominal', ...color },
            tooltip: [
              { field: 'id', title: 'backend' },
              { field: 'peakText', title: 'peak egress' },
              { field: 'ceilingText', title: 'ceiling' },
              { field: 'throttleText', title: '503s' },
            ],
          },
        },
        ...(hasCeiling
          ? [
              {
                // A tick per backend rather than one rule: backends may have different ceilings.
                transform: [{ filter: 'datum.ceiling !== null' }],
                mark: { type: 'tick' as const, thickness: 2 },
                encoding: {
                  x,
                  y: { field: 'ceiling', type: 'quantitative' },
                  color: { datum: CEILING_LABEL, ...color },
                },
              },
            ]
          : []),
      ],
    },
  } as VegaLiteSpec;
}
