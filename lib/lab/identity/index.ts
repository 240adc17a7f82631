/**
 * The identity stand-in: Azure AD cannot exist here, so the lab serves the part of its
 * protocol that real `@azure/identity` credentials use (see protocol.ts), over HTTPS on
 * login.<domain> with a certificate from the lab CA (MSAL refuses http authorities).
 * Callers trust `caCertPath` (NODE_EXTRA_CA_CERTS for child processes, or
 * `tlsOptions: { ca }` in SDK options) and set `disableInstanceDiscovery: true`, which
 * MSAL needs for any authority it does not know (it would otherwise ask
 * login.microsoftonline.com). The front's /oauth2/exchange calls `verify()`.
 *
 * Client secrets are generated per lab start and kept out of logs and results; they are
 * written only to <stateDir>/identity/clients.json (mode 0600) so CLI clients of a
 * detached lab can authenticate.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { type Clock, systemClock } from '../../clock';
import { RunError } from '../../errors';
import type { Component, LabState } from '../state';
import { ensureLabCa, issueCert } from './ca';
import { newSigningKey } from './jwt';
import {
  type AadClaims,
  type IdentityClient,
  issuerOf,
  type ProtocolCtx,
  route,
  verifyAcrToken,
} from './protocol';

export { ensureLabCa, issueCert, type LabCa, type ServerCert } from './ca';
export { type AadClaims, ACR_AUDIENCE, type IdentityClient } from './protocol';

export interface IdentityStats {
  instanceDiscovery: number;
  openidConfiguration: number;
  jwks: number;
  tokenRequests: number;
  tokensIssued: number;
  tokenRejected: number;
  verified: number;
  verifyRejected: number;
}

export interface IdentityHandle extends Component {
  /** authorityHost for credentials: https://login.<domain>:<port> */
  url: string;
  /** The same server by IP (for callers without the lab's DNS). */
  ipUrl: string;
  caCertPath: string;
  tenantId: string;
  clients: IdentityClient[];
  verify(jwt: string): Promise<AadClaims | null>;
  stats(): IdentityStats;
}

export interface IdentityOptions {
  /** Service principals to create; default: puller (AcrPull), pusher (AcrPush), owner (AcrPush + AcrDelete). */
  clients?: Array<{ name: string; roles: string[] }>;
  /** Lifetime of issued Azure AD access tokens (AAD's default is about an hour). */
  tokenTtlS?: number;
  /** Override the listen address (tests); default: the topology's identity address. */
  ip?: string;
  port?: number;
  /** Issue, expiry and status times (default the system clock). */
  clock?: Clock;
}

export const DEFAULT_CLIENTS = [
  { name: 'puller', roles: ['AcrPull'] },
  { name: 'pusher', roles: ['AcrPush'] },
  { name: 'owner', roles: ['AcrPush', 'AcrDelete'] },
];

export const identityDir = (stateDir: string) => join(stateDir, 'identity');
export const clientsFile = (stateDir: string) => join(identityDir(stateDir), 'clients.json');

export interface IdentityRecord {
  url: string;
  ipUrl: string;
  tenantId: string;
  caCertPath: string;
  clients: IdentityClient[];
}

/** What a running (possibly detached) lab's identity stand-in published for its clients. */
export function readIdentityRecord(stateDir: string): IdentityRecord {
  const path = clientsFile(stateDir);
  if (!existsSync(path))
    throw new RunError('LAB_NOT_RUNNING', `no identity record at ${path}: is the lab up? (stampede lab up)`);
  return JSON.parse(readFileSync(path, 'utf8')) as IdentityRecord;
}

async function readBody(req: import('node:http').IncomingMessage, limit = 64 << 10): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new RunError('BODY_TOO_LARGE', 'request body over 64 KiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startIdentity(state: LabState, opts: IdentityOptions = {}): Promise<IdentityHandle> {
  const topo = state.topology;
  const ip = opts.ip ?? topo.identityIp;
  const port = opts.port ?? topo.identityPort;
  const dir = identityDir(topo.stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = ensureLabCa(join(topo.stateDir, 'ca'));
  // Dual stack: Azure AD's sign-in names answer AAAA too, so an onlyIPv6 client can sign in.
  const ip6 = opts.ip === undefined ? topo.identityIp6 : undefined;
  const cert = issueCert(ca, 'login', [topo.identityHost, ip, ...(ip6 ? [ip6] : [])]);
  const url = `https://${topo.identityHost}:${port}`;
  const ipUrl = `https://${ip}:${port}`;
  const tenantId = randomUUID();
  const clients: IdentityClient[] = (opts.clients ?? DEFAULT_CLIENTS).map((c) => ({
    name: c.name,
    clientId: randomUUID(),
    clientSecret: randomBytes(30).toString('base64url'),
    objectId: randomUUID(),
    roles: [...c.roles],
  }));
  const counters: Record<string, number> = {};
  const key = newSigningKey();
  // Tokens carry the name-based issuer whichever address the caller used, like AAD's
  // fixed issuer; the IP form is an alias for hosts without the lab's DNS.
  const clock = opts.clock ?? systemClock;
  const ctx: ProtocolCtx = {
    url,
    tenantId,
    key,
    clients,
    tokenTtlS: opts.tokenTtlS ?? 3600,
    counters,
    clock,
  };
  const ipCtx: ProtocolCtx = { ...ctx, url: ipUrl };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const hostHeader = (req.headers.host ?? '').toLowerCase();
      const c = hostHeader.startsWith(topo.identityHost) ? ctx : ipCtx;
      const u = new URL(req.url ?? '/', c.url);
      const body = req.method === 'POST' ? await readBody(req) : '';
      const reply = route(c, req.method ?? 'GET', u, new URLSearchParams(body), req.headers.authorization);
      const out = reply ?? {
        status: 404,
        body: { error: 'not_found', error_description: `no such endpoint ${u.pathname}` },
      };
      const text = JSON.stringify(out.body);
      res.writeHead(out.status, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store, no-cache',
        'x-ms-request-id': randomUUID(),
        'content-length': Buffer.byteLength(text),
        ...out.headers,
      });
      res.end(text);
    } catch (e) {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_request', error_description: (e as Error).message }));
    }
  };
  const servers: Server[] = [];
  for (const host of [ip, ...(ip6 ? [ip6] : [])]) {
    const server: Server = createServer({ key: cert.key, cert: cert.cert }, handler);
    server.keepAliveTimeout = 5000;
    servers.push(server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) =>
          reject(
            new RunError(
              'IDENTITY_LISTEN',
              `identity stand-in cannot listen on ${host}:${port}: ${e.message}`,
            ),
          ),
        );
        server.listen(port, host, () => resolve());
      });
    } catch (e) {
      for (const s of servers) s.close();
      throw e;
    }
  }

  const record: IdentityRecord = { url, ipUrl, tenantId, caCertPath: ca.certPath, clients };
  const file = clientsFile(topo.stateDir);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  state.components.set('identity', { ok: true, detail: `${url} tenant ${tenantId}`, since: clock.now() });

  const issuers = new Set([issuerOf(url, tenantId), issuerOf(ipUrl, tenantId)]);
  const verify = async (jwt: string): Promise<AadClaims | null> => verifyAcrToken(ctx, issuers, jwt);

  return {
    name: 'identity',
    url,
    ipUrl,
    caCertPath: ca.certPath,
    tenantId,
    clients,
    verify,
    stats: () => ({
      instanceDiscovery: counters.instanceDiscovery ?? 0,
      openidConfiguration: counters.openidConfiguration ?? 0,
      jwks: counters.jwks ?? 0,
      tokenRequests: counters.tokenRequests ?? 0,
      tokensIssued: counters.tokensIssued ?? 0,
      tokenRejected: counters.tokenRejected ?? 0,
      verified: counters.verified ?? 0,
      verifyRejected: counters.verifyRejected ?? 0,
    }),
    async stop() {
      await Promise.all(
        servers.map((server) => {
          server.closeAllConnections();
          return new Promise<void>((r) => server.close(() => r()));
        }),
      );
      state.components.set('identity', { ok: false, detail: 'stopped', since: clock.now() });
    },
  };
}
