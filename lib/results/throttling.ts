/**
 * Where and when a point throttled, in one line: the per-backend and per-layer 503 counts
 * a simulator run records (backends[].throttles, firstThrottleS, lastThrottleS,
 * throttlesByLayer). Which layers were refused matters more than how many 503s there were:
 * a refused early big layer delays unpack, a refused late one usually costs nothing.
 */
import type { Point } from './envelope';

/** Layers named in the line; the rest are summed as "n more". */
const TOP_LAYERS = 3;

export function describeThrottling(p: Point, formatSeconds: (s: number) => string): string | null {
  const total = p.metrics.throttleEvents ?? 0;
  if (total <= 0) return null;
  const refusing = (p.metrics.backends ?? []).filter((b) => (b.throttles ?? 0) > 0);
  const parts = [`${p.label}: ${total} 503s`];
  if (refusing.length > 0) parts.push(` from ${refusing.length} backend${refusing.length === 1 ? '' : 's'}`);
  const firsts = refusing.map((b) => b.firstThrottleS).filter((v): v is number => Number.isFinite(v));
  const lasts = refusing.map((b) => b.lastThrottleS).filter((v): v is number => Number.isFinite(v));
  if (firsts.length > 0 && lasts.length > 0)
    parts.push(`, t = ${formatSeconds(Math.min(...firsts))} to ${formatSeconds(Math.max(...lasts))}`);
  const byLayer = p.metrics.throttlesByLayer;
  if (Array.isArray(byLayer)) {
    const ranked = byLayer
      .map((n, layer) => ({ layer, n: Number(n) }))
      .filter((x) => x.n > 0)
      .sort((a, b) => b.n - a.n || a.layer - b.layer);
    if (ranked.length > 0) {
      const named = ranked.slice(0, TOP_LAYERS).map((x) => `${x.layer} (${x.n})`);
      const rest = ranked.slice(TOP_LAYERS).reduce((s, x) => s + x.n, 0);
      const others = ranked.length - TOP_LAYERS;
      const tail =
        rest > 0
          ? ` and ${rest} more 503${rest === 1 ? '' : 's'} on ${others} other layer${others === 1 ? '' : 's'}`
          : '';
      parts.push(`; layers ${named.join(', ')}${tail}`);
    }
  }
  return parts.join('');
}
