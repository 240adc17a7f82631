import { describe, expect, it } from 'vitest';
import { buildReportHtml } from '../../reports/index';
import { isSecretKey, paramRows, REDACTED, redactUrlCredentials } from '../../reports/redact';
import { copySweepEnvelope, k6Envelope } from '../fixtures/reports/envelopes';

describe('redaction', () => {
  it('matches secret-looking keys only', () => {
    for (const k of ['token', 'refreshToken', 'PASSWORD', 'clientSecret', 'accountKey', 'key', 'apikey'])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of ['keys', 'keyframe', 'nodes', 'username', 'ceilingBps'])
      expect(isSecretKey(k), k).toBe(false);
  });

  it('redacts at any depth, whole subtrees, inside arrays and URLs', () => {
    const rows = new Map(
      paramRows({
        a: { b: { password: 'p1' } },
        secrets: { x: 'p2', y: 'p3' },
        list: [{ name: 'r1', token: 'p4' }],
        url: 'https://bot:p5@registry.example',
        nodes: 10,
      }),
    );
    expect(rows.get('a.b.password')).toBe(REDACTED);
    expect(rows.get('secrets')).toBe(REDACTED);
    expect(rows.get('list')).toBe(`[{"name":"r1","token":"${REDACTED}"}]`);
    expect(rows.get('url')).toBe(`https://${REDACTED}@registry.example`);
    expect(rows.get('nodes')).toBe('10');
    expect([...rows.values()].join(' ')).not.toMatch(/p[1-5]\b/);
    expect(redactUrlCredentials('no creds at http://host/x@y')).toBe('no creds at http://host/x@y');
  });

  it('never puts a secret value into the page', () => {
    const sweep = copySweepEnvelope();
    sweep.points[0]!.params.sasToken = 'sv=2024&sig=SECRETSIG';
    const html = buildReportHtml([sweep]);
    for (const secret of ['c2VjcmV0LWtleQ==', 'eyJhbGciOi.secret', 'hunter2', 'SECRETSIG'])
      expect(html).not.toContain(secret);
    expect(html).toContain(REDACTED);
    const compare = buildReportHtml([k6Envelope(), k6Envelope()]);
    expect(compare).not.toContain('pa55');
  });
});
