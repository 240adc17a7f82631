/**
 * A wave's per-step request times, from k6's raw records or the simulator's (the same
 * shape): what the lab twin (model.ts) fits the machine's per-request and per-byte cost on.
 * A wave's pull P50/P90 alone cannot tell the two apart (every VU pulls the same bytes);
 * its steps can: the token flow and the 307s carry no bytes, the blobs' payloads carry
 * from a few hundred bytes (the config) to megabytes, all in the same pulls.
 */
import type { StepTime } from '../../../sim/models/cache-stampede/simulate';
import { isPoint } from '../collect';

/** One request: its step (k6's `step` tag), the bytes it carried and its time (s): the simulator's record. */
export type { StepTime };

/** The median time of one kind of request: requests without a payload by step, payloads by size. */
export interface StepGroup {
  /** `ping`, `token`, `manifest`, `blob` (a 307), or `payload` (a blob's bytes, from the front or storage). */
  what: string;
  bytes: number;
  n: number;
  medianS: number;
  /** The median's standard error, ~1.2533 sd / sqrt(n) (s). */
  seS: number;
}

/** The standard error of a sample's median, from its SD (a normal sample's 1.2533 sd / sqrt(n)). */
const medianSe = (xs: number[]): number => {
  if (xs.length < 2) return Number.POSITIVE_INFINITY;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return (1.2533 * sd) / Math.sqrt(xs.length);
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(0.5 * s.length) - 1)] as number;
};

/**
 * The successful requests of one wave's k6 records (already split by scenario): http_req_duration
 * of the token flow, manifest and 307s, and `layer_duration` (tagged with its size) for every
 * blob's payload, whichever hop carried it (the storage hop, or the front's 200).
 */
export function stepTimesOf(records: readonly unknown[]): StepTime[] {
  const out: StepTime[] = [];
  for (const r of records) {
    if (!isPoint(r)) continue;
    const tags = r.data.tags ?? {};
    if (r.metric === 'layer_duration') {
      const size = Number(tags.size);
      if (Number.isFinite(size)) out.push({ step: 'blob-data', bytes: size, s: r.data.value / 1000 });
      continue;
    }
    if (r.metric !== 'http_req_duration') continue;
    const step = tags.step;
    const status = tags.status;
    // Payload-carrying blob answers come from layer_duration above (with their size).
    if (
      (step === 'ping' && status === '401') ||
      (step === 'token' && status === '200') ||
      (step === 'manifest' && status === '200') ||
      (step === 'blob' && status === '307')
    )
      out.push({ step, bytes: 0, s: r.data.value / 1000 });
  }
  return out;
}

/**
 * The simulator's records in the same form: a blob the front answers with its bytes (200)
 * is a payload as the storage hop's is (k6's layer_duration times whichever carried them),
 * and the manifest's bytes are not told apart from the request's.
 */
export function simStepTimes(steps: readonly StepTime[]): StepTime[] {
  return steps.map((x) =>
    x.step === 'blob' && x.bytes > 0
      ? { step: 'blob-data', bytes: x.bytes, s: x.s }
      : x.step === 'manifest'
        ? { ...x, bytes: 0 }
        : x,
  );
}

/** Median time per request kind: steps without a payload by step, payloads by size. */
export function stepGroups(times: readonly StepTime[]): StepGroup[] {
  const by = new Map<string, { what: string; bytes: number; s: number[] }>();
  for (const t of times) {
    const what = t.step === 'blob-data' ? 'payload' : t.step;
    const key = `${what}:${t.bytes}`;
    let g = by.get(key);
    if (!g) {
      g = { what, bytes: t.bytes, s: [] };
      by.set(key, g);
    }
    g.s.push(t.s);
  }
  return [...by.values()]
    .map((g) => ({ what: g.what, bytes: g.bytes, n: g.s.length, medianS: median(g.s), seS: medianSe(g.s) }))
    .sort((a, b) => (a.what === b.what ? a.bytes - b.bytes : a.what < b.what ? -1 : 1));
}

/**
 * The payloads' median time against their size, least squares over the payload groups:
 * seconds per byte, its standard error (from the medians' own), and seconds at zero bytes.
 * Null with fewer than two sizes.
 */
export function payloadLine(
  groups: readonly StepGroup[],
): { slopeSPerByte: number; seSPerByte: number; interceptS: number } | null {
  const g = groups.filter((x) => x.what === 'payload');
  if (g.length < 2) return null;
  const mx = g.reduce((a, x) => a + x.bytes, 0) / g.length;
  const my = g.reduce((a, x) => a + x.medianS, 0) / g.length;
  let sxy = 0;
  let sxx = 0;
  for (const x of g) {
    sxy += (x.bytes - mx) * (x.medianS - my);
    sxx += (x.bytes - mx) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  // The slope is sum((x - mx) / sxx * y): its variance is sum(((x - mx) / sxx)^2 * se_y^2).
  const se = Math.sqrt(g.reduce((a, x) => a + ((x.bytes - mx) / sxx) ** 2 * x.seS ** 2, 0));
  return { slopeSPerByte: slope, seSPerByte: se, interceptS: my - slope * mx };
}
