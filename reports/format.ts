/** Human formatting for tables, tooltips and axis titles; units follow DESIGN.md (s, bytes/s). */

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  if (Math.abs(s) >= 60) {
    const sign = s < 0 ? '-' : '';
    const a = Math.abs(s);
    const m = Math.floor(a / 60);
    const rest = Math.round(a - m * 60);
    // 59.6 s rounds to 60: carry so we never print "9m 60s".
    return rest === 60 ? `${sign}${m + 1}m 0s` : `${sign}${m}m ${rest}s`;
  }
  if (Math.abs(s) >= 10) return `${s.toFixed(1)} s`;
  if (Math.abs(s) >= 1) return `${s.toFixed(2)} s`;
  return `${(s * 1000).toFixed(s === 0 ? 0 : 1)} ms`;
}

export interface RateUnit {
  unit: string;
  divisor: number;
}

/** One decimal unit for a whole chart, picked from its largest value, so axes read "MB/s". */
export function rateUnit(maxBps: number): RateUnit {
  const units: RateUnit[] = [
    { unit: 'GB/s', divisor: 1e9 },
    { unit: 'MB/s', divisor: 1e6 },
    { unit: 'kB/s', divisor: 1e3 },
  ];
  return units.find((u) => maxBps >= u.divisor) ?? { unit: 'B/s', divisor: 1 };
}

export function formatRate(bps: number): string {
  const u = rateUnit(Math.abs(bps));
  return `${round3(bps / u.divisor)} ${u.unit}`;
}

/** Bytes in one decimal unit (146.8 MB), exact below 1 kB. */
export function formatBytes(b: number): string {
  const u = rateUnit(Math.abs(b));
  return u.divisor === 1
    ? `${b.toLocaleString('en-US')} B`
    : `${round3(b / u.divisor)} ${u.unit.replace('/s', '')}`;
}

export function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Formats a flattened metric by its key's unit convention (…S seconds, …Bps rates). */
export function formatMetric(key: string, v: number): string {
  const leaf = key.split('.');
  if (leaf.some((k) => /Bps$/.test(k))) return formatRate(v);
  if (leaf.some((k) => /[a-z]S$/.test(k))) return formatSeconds(v);
  if (/Ratio$/.test(key)) return v.toFixed(2);
  if (leaf.some((k) => /^bytes$|Bytes$/.test(k))) return formatBytes(v);
  return Number.isInteger(v) ? v.toLocaleString('en-US') : String(round3(v));
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
