/** The dual-stack chart: runs side by side, split by the address family their requests used. */
import { describe, expect, it } from 'vitest';
import type { FamilyMetrics } from '../../../lib/k6/collect';
import type { Envelope } from '../../../lib/results/envelope';
import { addressFamilySpec, familyRows } from '../../../reports/charts/address-family';
import type { ReportRun } from '../../../reports/types';
import { at, rows } from '../spec-helpers';

const family = (over: Partial<FamilyMetrics>): FamilyMetrics => ({
  requests: 20,
  unanswered: 0,
  requestS: { registry: 0.002, storage: 0.004 },
  pulls: { ok: 4, failed: 0 },
  pullS: { p50: 0.1, p90: 0.12, p99: 0.13, max: 0.13 },
  pullBps: 4_000_000,
  errors: {},
  ...over,
});

function run(label: string, policy: string, byFamily: Record<string, FamilyMetrics>): ReportRun {
  const metrics = { byFamily } as unknown as Envelope['metrics'];
  const envelope = {
    tool: 'stampede',
    kind: 'k6',
    name: 'cold-pull',
    seed: 0,
    params: { dns: { policy } },
    metrics,
    points: [{ label: 'cold-pull', params: {}, metrics }],
    runtime: { wallMs: 1, events: 1 },
  } as Envelope;
  return { envelope, raw: [], label };
}

describe('addressFamilySpec', () => {
  const runs = [
    run('v4', 'onlyIPv4', { ipv4: family({}) }),
    run('v6', 'onlyIPv6', {
      ipv6: family({
        pulls: { ok: 0, failed: 4 },
        pullS: undefined,
        pullBps: undefined,
        errors: { NETWORK_1212: 4 },
      }),
      none: family({
        requests: 5,
        unanswered: 5,
        requestS: {},
        pulls: { ok: 0, failed: 0 },
        pullS: undefined,
      }),
    }),
  ];

  it('labels each run with its dns.policy and splits every metric by family', () => {
    const data = familyRows(runs);
    const v = (r: string, f: string, m: string) =>
      data.find((x) => x.run === r && x.family === f && x.metric === m)?.value;
    expect(v('v4 (onlyIPv4)', 'ipv4', 'pull P50 (s)')).toBe(0.1);
    expect(v('v4 (onlyIPv4)', 'ipv4', 'pull throughput P50 (MB/s)')).toBe(4);
    expect(v('v4 (onlyIPv4)', 'ipv4', 'storage request P50 (ms)')).toBe(4);
    expect(v('v6 (onlyIPv6)', 'ipv6', 'pulls failed')).toBe(4);
    expect(v('v6 (onlyIPv6)', 'ipv6', 'errors NETWORK_1212')).toBe(4);
    expect(v('v6 (onlyIPv6)', 'none', 'requests unanswered')).toBe(5);
    expect(v('v6 (onlyIPv6)', 'ipv6', 'pull P50 (s)')).toBeUndefined();
  });

  it('draws runs side by side, coloured by family, one row per metric', () => {
    const spec = addressFamilySpec(runs);
    expect(rows(spec).length).toBe(familyRows(runs).length);
    expect(at(spec, 'encoding.x.sort')).toEqual(['v4 (onlyIPv4)', 'v6 (onlyIPv6)']);
    expect(at(spec, 'encoding.color.field')).toBe('family');
    expect(at(spec, 'encoding.color.sort')).toEqual(['ipv4', 'ipv6', 'none']);
    expect(at(spec, 'encoding.row.field')).toBe('metric');
  });

  it('draws nothing for runs without family records', () => {
    expect(addressFamilySpec([run('old', 'preferIPv4', undefined as never)])).toBeNull();
  });
});
