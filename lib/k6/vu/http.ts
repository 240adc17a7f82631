/**
 * The slice of k6's `k6/http` module the client library uses, as an interface: scenarios
 * pass k6's own module (or a wrapper of it), unit tests a recording fake. Nothing here
 * imports k6, so the library runs under vitest as well as in k6.
 */
export type Body = string | ArrayBuffer | null;

export interface VuParams {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  /** Redirects k6 may follow itself; the library sets 0 wherever a hop must be its own request. */
  redirects?: number;
  responseType?: 'text' | 'binary' | 'none';
  timeout?: string;
}

export interface VuResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** k6's transport error (status 0): refused, DNS, TLS, timeout. */
  error?: string;
  error_code?: number;
  /** The peer k6 connected to ('' when it made no connection): its family is the request's (vu/family.ts). */
  remote_ip?: string;
  timings: { duration: number };
}

export interface VuRequest {
  method: string;
  url: string;
  body?: Body;
  params?: VuParams;
}

export interface VuHttp {
  request(method: string, url: string, body: Body, params?: VuParams): VuResponse;
  /** k6 sends these in parallel and answers in the same order. */
  batch(requests: VuRequest[]): VuResponse[];
}

/** k6's http module as a VuHttp (its request/batch take these shapes; only the types differ). */
export function fromK6(k6http: unknown): VuHttp {
  const h = k6http as {
    request(m: string, u: string, b: Body, p?: VuParams): VuResponse;
    batch(r: VuRequest[]): VuResponse[];
  };
  return {
    request: (m, u, b, p) => h.request(m, u, b, p),
    batch: (r) => h.batch(r),
  };
}

/** What a response was, for messages: status 0 is k6's "no response". */
export function outcome(res: { status: number; error?: string }): string {
  return res.status === 0 ? `no response (${res.error || 'connection failed'})` : `HTTP ${res.status}`;
}
