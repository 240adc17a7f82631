/**
 * A small real lab for tests: per region a real docker-registry, its storage backends and
 * its front, on the host loopback at 127.<octet>.<100 + 5*slot + r>.x (give every test
 * file that runs side by side its own slot). Names resolve through the fixture's own
 * lookup (a hosts file for undici), so clients call the lab by its real host names.
 *
 * The identity side is a stand-in for tests: AAD tokens are HS256 JWTs signed with
 * `aadSecret`; pass `verifyAadToken` to use the real identity component instead.
 */
import { randomBytes } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { type AadClaims, type AuthService, createAuth, signJwt, verifyJwt } from '../../../lib/lab/auth';
import { resolveLabConfig } from '../../../lib/lab/config';
import { type FrontHandle, startFront } from '../../../lib/lab/front';
import { ensureLabCa } from '../../../lib/lab/identity/ca';
import { frontCert, storageCert } from '../../../lib/lab/region-certs';
import { type RegistryProcess, startRegistry } from '../../../lib/lab/registry-process';
import { createState, type LabState } from '../../../lib/lab/state';
import { type BackendHandle, createSigner, startBackend, type UrlSigner } from '../../../lib/lab/storage';
import { dataHost, globalHost, regionalHost, type Topology, topology } from '../../../lib/lab/topology';
import type { FetchLike } from '../../../lib/oci/push';

export type Principal =
  | { roles: string[]; oid?: string; tid?: string }
  | { admin: true }
  | { anonymous: true };

export interface RegionFixtureOptions {
  /** Second address byte (front/storage/auth tests: 1). */
  octet?: number;
  /** 0..30: keeps fixtures of test files running side by side apart. */
  slot: number;
  regions?: string[];
  names?: string[];
  /** Extra config, merged over the fixture's (e.g. { storage: { backends: 4 } }). */
  tree?: Record<string, unknown>;
  /** Region the global name resolves to (default: the first). */
  globalRegion?: string;
  verifyAadToken?: (jwt: string) => Promise<AadClaims | null>;
}

export interface RegionFixture {
  state: LabState;
  topology: Topology;
  registries: Record<string, RegistryProcess>;
  backends: Record<string, BackendHandle[]>;
  fronts: Record<string, FrontHandle>;
  auth: AuthService;
  signer: UrlSigner;
  aadSecret: Buffer;
  tenantId: string;
  /** undici fetch that resolves lab names (global, regional, data, backends) to their IPs. */
  fetch: FetchLike;
  dispatcher: Agent;
  port: number;
  /** HTTPS port of the fronts (registry.tlsPort) and the lab CA (PEM) their certificates chain to. */
  tlsPort: number;
  ca: string;
  /** The fixture's name -> address lookup (for https agents, dns.lookup-compatible). */
  lookup: typeof dnsLookup;
  host: {
    global(reg?: string): string;
    regional(region?: string, reg?: string): string;
    data(region?: string, reg?: string): string;
  };
  /** http://<host>:<port> */
  base(host: string): string;
  /** https://<host>:<tlsPort> */
  tlsBase(host: string): string;
  /** An Azure AD access token for the stand-in verifier. */
  aadToken(claims: { roles?: string[]; oid?: string; tid?: string; ttlS?: number }): string;
  /** The whole ACR flow for one scope against `host`: exchange (AAD) or Basic (admin) or anonymous. */
  token(host: string, scope: string, who: Principal): Promise<string>;
  /** fetch that answers Bearer challenges with `who`'s tokens, like docker does. */
  authFetch(who: Principal): FetchLike;
  stop(): Promise<void>;
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b))
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object'
        ? merge(out[k] as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  return out;
}

/** Parse `Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(h: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of h.replace(/^Bearer\s+/i, '').matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

export async function startRegionFixture(o: RegionFixtureOptions): Promise<RegionFixture> {
  const octet = o.octet ?? 1;
  const regions = o.regions ?? ['eastus'];
  const names = o.names ?? ['contoso'];
  const tree = merge(
    {
      lab: { name: `fixture-${octet}-${o.slot}`, netns: 'off' },
      registry: { names, port: 8080 },
      regions: { names: regions, clientRegion: regions[0] },
      storage: { backends: 2, copies: 1 },
      health: { sustainS: 0.5, checkIntervalS: 0.1 },
    },
    o.tree ?? {},
  );
  const cfg = resolveLabConfig([{ source: 'fixture', tree }]);
  const topo0 = topology(cfg, { netns: false, octet });
  // Re-address regions into this slot's block so fixtures don't collide.
  const topo: Topology = {
    ...topo0,
    regions: topo0.regions.map((r) => {
      const net = `127.${octet}.${100 + 5 * o.slot + r.index}`;
      return {
        ...r,
        frontIp: `${net}.1`,
        registryIp: `${net}.2`,
        backends: r.backends.map((b) => ({ ...b, ip: `${net}.${10 + b.index}` })),
      };
    }),
  };
  const state = createState(cfg, topo);
  const dir = mkdtempSync(join(tmpdir(), 'stampede-fixture-'));
  const aadSecret = randomBytes(32);
  const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const verifyAadToken =
    o.verifyAadToken ??
    (async (jwt: string): Promise<AadClaims | null> => {
      const c = verifyJwt(jwt, aadSecret);
      if (!c || typeof c.exp !== 'number' || c.exp * 1000 <= Date.now()) return null;
      return { oid: String(c.oid), tid: String(c.tid), roles: (c.roles as string[]) ?? [] };
    });
  const auth = createAuth(state, { secret: randomBytes(32), verifyAadToken });
  const signer = createSigner(randomBytes(32));

  const registries: Record<string, RegistryProcess> = {};
  const backends: Record<string, BackendHandle[]> = {};
  const fronts: Record<string, FrontHandle> = {};
  const stop = async () => {
    await Promise.allSettled(Object.values(fronts).map((f) => f.stop()));
    await Promise.allSettled(Object.values(backends).flatMap((l) => l.map((b) => b.stop())));
    await Promise.allSettled(Object.values(registries).map((r) => r.stop()));
    await dispatcher.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };

  const globalRegion = topo.regions.find((r) => r.name === (o.globalRegion ?? regions[0]))!;
  const hosts = new Map<string, string>();
  for (const reg of names) hosts.set(globalHost(reg, cfg.registry.domain), globalRegion.frontIp);
  for (const r of topo.regions) {
    for (const reg of names) {
      hosts.set(regionalHost(reg, r.name, cfg.registry.domain), r.frontIp);
      hosts.set(dataHost(reg, r.name, cfg.registry.domain), r.frontIp);
    }
    for (const b of r.backends) hosts.set(b.host, b.ip);
  }
  const lookup = (
    hostname: string,
    options: { all?: boolean },
    cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    const ip = hosts.get(hostname.toLowerCase());
    if (!ip) return dnsLookup(hostname, options, cb as never);
    if (options?.all) cb(null, [{ address: ip, family: 4 }]);
    else cb(null, ip, 4);
  };
  const labCa = ensureLabCa(join(dir, 'ca'));
  // Trusts the lab CA, so https:// redirects to backends (storage.tls) verify like a client's.
  const dispatcher = new Agent({
    connect: { lookup: lookup as never, ca: labCa.certPem },
    connections: 128,
    keepAliveTimeout: 10_000,
  });
  const labFetch: FetchLike = (url, init) =>
    undiciFetch(url, { ...(init as object), dispatcher } as never) as unknown as Promise<Response>;

  try {
    await Promise.all(
      topo.regions.map(async (r) => {
        const reg = await startRegistry({
          name: r.name,
          ip: r.registryIp,
          port: r.registryPort,
          dir: join(dir, r.name),
        });
        registries[r.name] = reg;
        const tls = cfg.storage.tls ? storageCert(labCa, r) : undefined;
        backends[r.name] = await Promise.all(
          r.backends.map((b) => startBackend(state, b, { registryRoot: reg.root, signer, tls })),
        );
        fronts[r.name] = await startFront(state, r, {
          registryUrl: reg.url,
          registryRoot: reg.root,
          auth,
          backends: backends[r.name]!,
          signer,
          tls: frontCert(labCa, r, names, cfg.registry.domain),
        });
      }),
    );
  } catch (e) {
    await stop();
    throw e;
  }

  const port = cfg.registry.port;
  const base = (host: string) => `http://${host}:${port}`;
  const aadToken = (c: { roles?: string[]; oid?: string; tid?: string; ttlS?: number }) => {
    const now = Math.floor(Date.now() / 1000);
    return signJwt(
      {
        aud: 'https://containerregistry.azure.net',
        iss: `https://login.${cfg.registry.domain}/${tenantId}/v2.0`,
        oid: c.oid ?? '00000000-0000-0000-0000-0000000000a1',
        tid: c.tid ?? tenantId,
        roles: c.roles ?? [],
        iat: now,
        exp: now + (c.ttlS ?? 3600),
      },
      aadSecret,
    );
  };

  const token = async (host: string, scope: string, who: Principal): Promise<string> => {
    const first = await labFetch(`${base(host)}/v2/`);
    await first.arrayBuffer();
    const ch = parseChallenge(first.headers.get('www-authenticate') ?? '');
    // with anonymous pull /v2/ answers 200 without a challenge: fall back to the host's own names
    const realm = ch.realm ?? `${base(host)}/oauth2/token`;
    const service = ch.service ?? globalHost(host.split('.')[0]!, cfg.registry.domain);
    if ('roles' in who) {
      const ex = await labFetch(realm.replace(/\/oauth2\/token$/, '/oauth2/exchange'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'access_token',
          service,
          tenant: who.tid ?? tenantId,
          access_token: aadToken(who),
        }).toString(),
      });
      if (ex.status !== 200) throw new Error(`exchange: HTTP ${ex.status} ${await ex.text()}`);
      const { refresh_token } = (await ex.json()) as { refresh_token: string };
      const tk = await labFetch(realm, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', service, scope, refresh_token }).toString(),
      });
      if (tk.status !== 200) throw new Error(`token: HTTP ${tk.status} ${await tk.text()}`);
      return ((await tk.json()) as { access_token: string }).access_token;
    }
    const headers: Record<string, string> = {};
    if ('admin' in who)
      headers.authorization = `Basic ${Buffer.from(`${cfg.registry.adminUser}:${cfg.registry.adminPassword}`).toString('base64')}`;
    const tk = await labFetch(`${realm}?${new URLSearchParams({ service, scope })}`, { headers });
    if (tk.status !== 200) throw new Error(`token: HTTP ${tk.status} ${await tk.text()}`);
    return ((await tk.json()) as { access_token: string }).access_token;
  };

  const authFetch = (who: Principal): FetchLike => {
    const tokens = new Map<string, string>(); // host -> last token
    return async (url, init = {}) => {
      const host = new URL(url).host;
      const send = (t?: string) => {
        const headers = new Headers(init.headers);
        if (t) headers.set('authorization', `Bearer ${t}`);
        return labFetch(url, { ...init, headers });
      };
      const res = await send(tokens.get(host));
      if (res.status !== 401) return res;
      const ch = parseChallenge(res.headers.get('www-authenticate') ?? '');
      await res.arrayBuffer();
      const t = await token(new URL(url).hostname, ch.scope ?? '', who);
      tokens.set(host, t);
      return send(t);
    };
  };

  return {
    state,
    topology: topo,
    registries,
    backends,
    fronts,
    auth,
    signer,
    aadSecret,
    tenantId,
    fetch: labFetch,
    dispatcher,
    port,
    tlsPort: cfg.registry.tlsPort,
    ca: labCa.certPem,
    lookup: lookup as unknown as typeof dnsLookup,
    host: {
      global: (reg = names[0]!) => globalHost(reg, cfg.registry.domain),
      regional: (region = regions[0]!, reg = names[0]!) => regionalHost(reg, region, cfg.registry.domain),
      data: (region = regions[0]!, reg = names[0]!) => dataHost(reg, region, cfg.registry.domain),
    },
    base,
    tlsBase: (host: string) => `https://${host}:${cfg.registry.tlsPort}`,
    aadToken,
    token,
    authFetch,
    stop,
  };
}

/**
 * Download with curl, a client outside the test's event loop (as k6 or containerd would
 * be), so throughput measurements see the server, not the test's own fetch.
 */
export async function curlGet(
  url: string,
  opts: { resolve?: Record<string, string>; headers?: Record<string, string>; timeoutS?: number } = {},
): Promise<{ status: number; bytes: number; seconds: number; headers: string }> {
  const { execFile } = await import('node:child_process');
  const u = new URL(url);
  const args = [
    '-s',
    '-o',
    '/dev/null',
    '-D',
    '-',
    '-w',
    '\n%{http_code} %{size_download} %{time_total}',
    '--max-time',
    String(opts.timeoutS ?? 30),
  ];
  const ip = opts.resolve?.[u.hostname];
  if (ip) args.push('--resolve', `${u.hostname}:${u.port || 80}:${ip}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const out = await new Promise<string>((resolve, reject) =>
    execFile('curl', args, { maxBuffer: 1 << 20 }, (err, stdout) =>
      err && !stdout ? reject(err) : resolve(stdout),
    ),
  );
  const lines = out.trimEnd().split('\n');
  const [status, bytes, seconds] = lines.pop()!.split(' ').map(Number) as [number, number, number];
  return { status, bytes, seconds, headers: lines.join('\n') };
}
