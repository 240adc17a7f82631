/**
 * Error codes: one parser of OCI error bodies (lib/oci/error-body.ts) for Node and k6, and
 * the code a failed response is counted by (transport, storage, OCI body, status).
 */
import { describe, expect, it } from 'vitest';
import { StampedeError } from '../../../lib/errors';
import { codeOf, failed, PullError } from '../../../lib/k6/vu/errors';
import { isThrottle, ociErrorCode, responseErrorCode } from '../../../lib/oci/error-body';
import { bytes } from './fake-http';

describe('ociErrorCode', () => {
  it('reads the first code of an OCI error body, as text or as bytes', () => {
    const body = '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"x"},{"code":"OTHER"}]}';
    expect(ociErrorCode(body)).toBe('MANIFEST_UNKNOWN');
    expect(ociErrorCode(bytes(body))).toBe('MANIFEST_UNKNOWN');
    expect(ociErrorCode(new Uint8Array(bytes(body)))).toBe('MANIFEST_UNKNOWN');
  });
  it('is undefined for anything that is not one', () => {
    for (const b of [
      '',
      'not json',
      '{"errors":[]}',
      '{"errors":[{"code":7}]}',
      '[1]',
      null,
      42,
      bytes('\x89PNG'),
    ])
      expect(ociErrorCode(b), String(b)).toBeUndefined();
  });
});

describe('responseErrorCode', () => {
  it('prefers the transport error, then the storage code, then the OCI code, then the status', () => {
    expect(responseErrorCode({ status: 0, error_code: 1211 })).toBe('NETWORK_1211');
    expect(
      responseErrorCode({ status: 403, headers: { 'x-ms-error-code': 'AuthenticationFailed' }, body: '{}' }),
    ).toBe('AuthenticationFailed');
    expect(responseErrorCode({ status: 401, body: '{"errors":[{"code":"UNAUTHORIZED"}]}' })).toBe(
      'UNAUTHORIZED',
    );
    expect(responseErrorCode({ status: 502, body: 'Bad Gateway' })).toBe('HTTP_502');
  });
  it('isThrottle: 429 and 503 ServerBusy only', () => {
    expect(isThrottle({ status: 429 })).toBe(true);
    expect(isThrottle({ status: 503, headers: { 'X-Ms-Error-Code': 'ServerBusy' } })).toBe(true);
    expect(isThrottle({ status: 503, headers: {} })).toBe(false);
    expect(isThrottle({ status: 503, headers: { 'X-Ms-Error-Code': 'ServiceUnavailable' } })).toBe(false);
  });
});

describe('PullError', () => {
  it('is a StampedeError with the response code and a message without URL or body', () => {
    const e = failed('manifest v1', {
      status: 404,
      body: '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}',
      headers: {},
      timings: { duration: 1 },
    });
    expect(e).toBeInstanceOf(PullError);
    expect(e).toBeInstanceOf(StampedeError);
    expect(e.code).toBe('MANIFEST_UNKNOWN');
    expect(e.message).toBe('manifest v1: HTTP 404');
    expect(codeOf(e)).toBe('MANIFEST_UNKNOWN');
    expect(codeOf(new TypeError('x'))).toBe('SCRIPT_ERROR');
  });
});
