/** Azure Storage's error shape: XML body plus x-ms-error-code, so clients' retry logic sees what it would in Azure. */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export type AzureErrorCode =
  | 'AuthenticationFailed'
  | 'AuthorizationPermissionMismatch'
  | 'BlobNotFound'
  | 'InvalidRange'
  | 'InternalError'
  | 'ServerBusy'
  | 'UnsupportedHttpVerb';

const MESSAGES: Record<AzureErrorCode, string> = {
  AuthenticationFailed:
    'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
  AuthorizationPermissionMismatch:
    'This request is not authorized to perform this operation using this permission.',
  BlobNotFound: 'The specified blob does not exist.',
  InvalidRange: 'The range specified is invalid for the current size of the resource.',
  InternalError: 'Server encountered an internal error. Please try again after some time.',
  ServerBusy: 'The server is busy.',
  UnsupportedHttpVerb: "The resource doesn't support specified Http Verb.",
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function azureError(
  res: ServerResponse,
  status: number,
  code: AzureErrorCode,
  opts: { detail?: string; headers?: Record<string, string>; head?: boolean } = {},
): void {
  const id = randomUUID();
  const detail =
    opts.detail === undefined
      ? ''
      : code === 'AuthenticationFailed'
        ? `<AuthenticationErrorDetail>${esc(opts.detail)}</AuthenticationErrorDetail>`
        : `<Detail>${esc(opts.detail)}</Detail>`;
  const body = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${esc(MESSAGES[code])}\nRequestId:${id}\nTime:${new Date().toISOString()}</Message>${detail}</Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-ms-error-code': code,
    'x-ms-request-id': id,
    'x-ms-version': '2021-08-06',
    ...opts.headers,
  });
  res.end(opts.head ? undefined : body);
}
