/**
 * The types of the metrics the charts read (DESIGN.md's metric names). A summary.json with
 * `"p50": "fast"` passes the envelope check but every chart skips the metric, so the page
 * came out with no chart and exit 0; checked here, the report names the field instead.
 * null stands for "no value" (JSON has no NaN) and is accepted wherever a number is.
 */

type Problem = [field: string, expected: string, received: unknown];

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown) => x === null || typeof x === 'number';

function numbersIn(v: unknown, at: string, keys: readonly string[], what: string): Problem | undefined {
  if (!isObj(v)) return [at, `an object {${keys.join(', ')}} of ${what}`, v];
  for (const k of keys)
    if (v[k] !== undefined && !isNum(v[k])) return [`${at}.${k}`, `a number (${what})`, v[k]];
  return undefined;
}

const QUANTILES = ['p50', 'p90', 'p99', 'max'] as const;
const EGRESS = ['p50', 'p75', 'p90', 'p99', 'p999'] as const;

const CHECKS: Record<string, (v: unknown, at: string) => Problem | undefined> = {
  podStartupS: (v, at) => numbersIn(v, at, QUANTILES, 'seconds'),
  pullS: (v, at) => numbersIn(v, at, QUANTILES, 'seconds'),
  replicationLagS: (v, at) => numbersIn(v, at, QUANTILES, 'seconds'),
  failoverS: (v, at) => numbersIn(v, at, QUANTILES, 'seconds'),
  nodeEgressBps: (v, at) => numbersIn(v, at, EGRESS, 'bytes/s'),
  throttleEvents: (v, at) => (isNum(v) ? undefined : [at, 'a number (count)', v]),
  hotBackendRatio: (v, at) => (isNum(v) ? undefined : [at, 'a number (ratio)', v]),
  backends: (v, at) => {
    if (!Array.isArray(v)) return [at, 'a list of {id, bytes, peakEgressBps, ceilingBps}', v];
    for (const [i, b] of v.entries()) {
      if (!isObj(b) || typeof b.id !== 'string')
        return [`${at}[${i}]`, 'an object {id, bytes, peakEgressBps, ceilingBps} with a string id', b];
      const p = numbersIn(
        b,
        `${at}[${i}]`,
        ['bytes', 'peakEgressBps', 'ceilingBps', 'throttles'],
        'a number',
      );
      if (p) return p;
    }
    return undefined;
  },
  errors: (v, at) => {
    if (!isObj(v)) return [at, 'an object {total, byCode}', v];
    if (!isNum(v.total)) return [`${at}.total`, 'a number (count)', v.total];
    if (v.byCode !== undefined && !isObj(v.byCode)) return [`${at}.byCode`, 'an object of counts', v.byCode];
    for (const [code, n] of Object.entries((v.byCode as Record<string, unknown>) ?? {}))
      if (!isNum(n)) return [`${at}.byCode.${code}`, 'a number (count)', n];
    return undefined;
  },
};

/** The first known metric of `metrics` (at path `at`) whose value has the wrong type. */
export function metricsProblem(metrics: Record<string, unknown>, at: string): Problem | undefined {
  for (const [key, check] of Object.entries(CHECKS))
    if (metrics[key] !== undefined) {
      const p = check(metrics[key], `${at}.${key}`);
      if (p) return p;
    }
  return undefined;
}

/** Same, for an envelope's own metrics, its points' and its reference points'. */
export function envelopeMetricsProblem(e: {
  metrics: Record<string, unknown>;
  points: ReadonlyArray<{ metrics: Record<string, unknown> }>;
  reference?: { points: ReadonlyArray<{ metrics: Record<string, unknown> }> };
}): Problem | undefined {
  return (
    metricsProblem(e.metrics, 'metrics') ??
    e.points.map((p, i) => metricsProblem(p.metrics, `points[${i}].metrics`)).find(Boolean) ??
    (e.reference?.points ?? [])
      .map((p, i) => metricsProblem(p.metrics, `reference.points[${i}].metrics`))
      .find(Boolean)
  );
}
