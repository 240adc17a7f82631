/**
 * A recording fake of the k6 `http` interface (lib/k6/vu/http.ts): every request is kept
 * (method, url, body, params) and answered by the test's handler. batch() answers in order,
 * as k6 does; each request of a batch is recorded with its batch number.
 */
import type { Body, VuHttp, VuParams, VuRequest, VuResponse } from '../../../lib/k6/vu/http';

export interface Recorded {
  method: string;
  url: string;
  body: Body;
  params: VuParams;
  /** Which batch() call sent it (-1: request()). */
  batch: number;
}

export type Answer = Partial<VuResponse> & { status: number };
export type Handler = (r: Recorded) => Answer;

export interface FakeHttp extends VuHttp {
  log: Recorded[];
}

function response(a: Answer): VuResponse {
  return { body: '', headers: {}, timings: { duration: 5 }, ...a };
}

export function fakeHttp(handler: Handler): FakeHttp {
  const log: Recorded[] = [];
  let batches = 0;
  const one = (method: string, url: string, body: Body, params: VuParams | undefined, batch: number) => {
    const r: Recorded = { method, url, body, params: params ?? {}, batch };
    log.push(r);
    return response(handler(r));
  };
  return {
    log,
    request: (m, u, b, p) => one(m, u, b, p, -1),
    batch: (rs: VuRequest[]) => {
      const n = batches++;
      return rs.map((r) => one(r.method, r.url, r.body ?? null, r.params, n));
    },
  };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json', ...headers },
});

export const ociError = (status: number, code: string, headers: Record<string, string> = {}): Answer =>
  json(status, { errors: [{ code, message: code.toLowerCase() }] }, headers);

export const bytes = (s: string): ArrayBuffer => new TextEncoder().encode(s).buffer as ArrayBuffer;
