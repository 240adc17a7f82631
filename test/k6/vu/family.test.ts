/**
 * vu/family.ts against a recording fake of k6's http: the family of each request from its
 * peer address (k6's remote_ip), which hop it was, and a pull's family over its requests;
 * and collect.ts splitting a run's points by family.
 */
import { describe, expect, it } from 'vitest';
import { collectMetrics } from '../../../lib/k6/collect';
import { type FamilyRequest, familyOf, hopOf, withFamily } from '../../../lib/k6/vu/family';
import { fakeHttp } from './fake-http';

describe('familyOf', () => {
  it('classifies k6 peer addresses', () => {
    expect(familyOf('127.0.10.1')).toBe('ipv4');
    expect(familyOf('fd57:a3bd:0:10::1')).toBe('ipv6');
    expect(familyOf('[fd57:a3bd:0:10::1]')).toBe('ipv6');
    expect(familyOf('::1')).toBe('ipv6');
    expect(familyOf('::ffff:127.0.0.1')).toBe('ipv4'); // IPv4-mapped: an IPv4 connection
    expect(familyOf('')).toBe('none');
    expect(familyOf(undefined)).toBe('none');
  });

  it('tells the registry API from the storage hop', () => {
    expect(hopOf('http://contoso.stampede.test:8080/v2/')).toBe('registry');
    expect(hopOf('http://contoso.stampede.test:8080/oauth2/token')).toBe('registry');
    expect(hopOf('http://eastus-b0.blob.stampede.test:8080/docker/registry/v2/blobs/sha256/ab/x/data')).toBe(
      'storage',
    );
  });
});

describe('withFamily', () => {
  it('reports every response (batches too) and a pull family over its requests', () => {
    const peers: Record<string, string> = { '/v2/': 'fd57:a3bd:0:10::1', '/data': '127.0.10.10' };
    const http = fakeHttp((r) => {
      const key = Object.keys(peers).find((k) => r.url.endsWith(k));
      return key ? { status: 200, remote_ip: peers[key] } : { status: 0, remote_ip: '', error: 'refused' };
    });
    const seen: FamilyRequest[] = [];
    const f = withFamily(http, (r) => seen.push(r));
    f.http.request('GET', 'http://r.test/v2/', null);
    expect(f.take()).toBe('ipv6');
    f.http.request('GET', 'http://r.test/v2/', null);
    f.http.batch([{ method: 'GET', url: 'http://b.test/x/data' }]);
    expect(f.take()).toBe('mixed');
    f.http.request('GET', 'http://r.test/v2/nothing', null);
    expect(f.take()).toBe('none');
    expect(seen.map((r) => [r.family, r.hop, r.connected])).toEqual([
      ['ipv6', 'registry', true],
      ['ipv6', 'registry', true],
      ['ipv4', 'storage', true],
      ['none', 'registry', false],
    ]);
  });
});

describe('collectMetrics by family', () => {
  const pt = (metric: string, value: number, tags: Record<string, string>) => ({
    type: 'Point',
    metric,
    data: { time: '2026-12-05T10:00:00Z', value, tags },
  });
  it('splits requests, pulls, throughput and errors by the family they used', () => {
    const m = collectMetrics([
      pt('family_req', 10, { family: 'ipv6', hop: 'registry', connected: 'yes' }),
      pt('family_req', 30, { family: 'ipv6', hop: 'storage', connected: 'yes' }),
      pt('family_req', 2, { family: 'none', hop: 'registry', connected: 'no' }),
      pt('pull_duration', 500, { family: 'ipv6' }),
      pt('pull_bytes_per_s', 2e6, { family: 'ipv6' }),
      pt('pulls', 1, { family: 'ipv6', result: 'ok' }),
      pt('pulls', 1, { family: 'none', result: 'failed' }),
      pt('errors', 1, { family: 'none', code: 'NETWORK_1212' }),
    ]);
    expect(m.byFamily).toEqual({
      ipv6: {
        requests: 2,
        unanswered: 0,
        requestS: { registry: 0.01, storage: 0.03 },
        pulls: { ok: 1, failed: 0 },
        pullS: { p50: 0.5, p90: 0.5, p99: 0.5, max: 0.5 },
        pullBps: 2e6,
        errors: {},
      },
      none: {
        requests: 1,
        unanswered: 1,
        requestS: {},
        pulls: { ok: 0, failed: 1 },
        errors: { NETWORK_1212: 1 },
      },
    });
    // Runs without family records keep their envelope as it was.
    expect(collectMetrics([pt('pulls', 1, { result: 'ok' })])).not.toHaveProperty('byFamily');
  });
});
