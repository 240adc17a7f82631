/**
 * The dns-bounce run's own numbers from k6's points (pure over the records, so a report can
 * be rebuilt from raw.ndjson): per mitigation the pushes, how many failed and by which code,
 * how many scattered (their sub-requests were answered from more than one address) and the
 * push span T (first to last push sub-request) of the attempts that went through whole.
 */
import { isPoint } from '../collect';

export interface MitigationSummary {
  mitigation: string;
  pushes: number;
  ok: number;
  failed: number;
  /** Pushes whose last attempt scattered (for retry-push: still scattered after the retries). */
  scattered: number;
  scatteredShare: number;
  /** Pushes with at least one scattered attempt. */
  everScattered: number;
  attempts: number;
  scatteredAttempts: number;
  /** Attempts that scattered yet succeeded: none if the lab behaves as ACR (every scatter fails). */
  scatteredOk: number;
  /** Failed attempts by code. */
  byCode: Record<string, number>;
  /** Pushes that failed, by their last attempt's code. */
  failedByCode: Record<string, number>;
  /** T of attempts that went through whole, s. */
  spanS: { n: number; mean: number; p50: number; p90: number; max: number };
}

/** Spans (ms) of whole attempts per mitigation: what the model is given as T. */
export type Spans = Record<string, number[]>;

const inc = (o: Record<string, number>, k: string, v = 1) => {
  o[k] = (o[k] ?? 0) + v;
};

function q(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

export function summarizeBounce(
  records: readonly unknown[],
  order: readonly string[],
): { mitigations: MitigationSummary[]; spans: Spans } {
  const by = new Map<string, MitigationSummary>();
  const spans: Spans = {};
  const get = (m: string) => {
    let s = by.get(m);
    if (!s) {
      s = {
        mitigation: m,
        pushes: 0,
        ok: 0,
        failed: 0,
        scattered: 0,
        scatteredShare: 0,
        everScattered: 0,
        attempts: 0,
        scatteredAttempts: 0,
        scatteredOk: 0,
        byCode: {},
        failedByCode: {},
        spanS: { n: 0, mean: 0, p50: 0, p90: 0, max: 0 },
      };
      by.set(m, s);
    }
    return s;
  };
  for (const r of records) {
    if (!isPoint(r)) continue;
    const t = r.data.tags ?? {};
    const m = t.mitigation;
    if (!m) continue;
    const v = r.data.value;
    if (r.metric === 'pushes') {
      const s = get(m);
      s.pushes += v;
      if (t.result === 'ok') s.ok += v;
      else {
        s.failed += v;
        inc(s.failedByCode, t.code ?? 'UNKNOWN', v);
      }
      if (t.scattered === 'yes') s.scattered += v;
      if (t.everScattered === 'yes') s.everScattered += v;
    } else if (r.metric === 'push_attempts') {
      const s = get(m);
      s.attempts += v;
      if (t.scattered === 'yes') s.scatteredAttempts += v;
      if (t.code && t.code !== 'ok') inc(s.byCode, t.code, v);
      else if (t.scattered === 'yes') s.scatteredOk += v;
    } else if (r.metric === 'push_span' && t.result === 'ok') {
      const list = spans[m] ?? [];
      list.push(v);
      spans[m] = list;
    }
  }
  const known = [...order.filter((m) => by.has(m)), ...[...by.keys()].filter((m) => !order.includes(m))];
  const mitigations = known.map((m) => {
    const s = by.get(m) as MitigationSummary;
    const ms = (spans[m] ?? []).slice().sort((a, b) => a - b);
    const mean = ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : 0;
    return {
      ...s,
      scatteredShare: s.pushes ? s.scattered / s.pushes : 0,
      spanS: {
        n: ms.length,
        mean: mean / 1000,
        p50: q(ms, 0.5) / 1000,
        p90: q(ms, 0.9) / 1000,
        max: (ms.at(-1) ?? 0) / 1000,
      },
    };
  });
  return { mitigations, spans };
}
