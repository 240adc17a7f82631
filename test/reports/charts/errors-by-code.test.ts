import { describe, expect, it } from 'vitest';
import { errorsByCodeSpec } from '../../../reports/charts/errors-by-code';
import { copySweepEnvelope, k6Envelope } from '../../fixtures/reports/envelopes';
import { at, rows } from '../spec-helpers';

describe('errorsByCodeSpec', () => {
  it('has one bar per code and configuration', () => {
    const spec = errorsByCodeSpec(k6Envelope());
    expect(rows(spec)).toEqual([
      { point: 'cold-pull', code: 'TOOMANYREQUESTS', count: 5 },
      { point: 'cold-pull', code: 'BLOB_UNKNOWN', count: 2 },
    ]);
    expect(at(spec, 'encoding.x.field')).toBe('code');
    expect(at(spec, 'encoding.y.field')).toBe('count');
  });

  it('ignores non-numeric counts and is null without codes', () => {
    const e = k6Envelope();
    e.metrics.errors = { total: 1, byCode: { A: 'x' as unknown as number } };
    expect(errorsByCodeSpec(e)).toBeNull();
    expect(errorsByCodeSpec(copySweepEnvelope())).toBeNull();
  });
});
