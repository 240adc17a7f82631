/**
 * The lab's Traffic Manager: a real authoritative DNS server (UDP + TCP) for the lab's
 * domain, with TM's endpoint monitoring and performance routing for each registry's
 * global name. See routing.ts for what is answered and monitor.ts for how health is
 * decided; wire.ts is the codec and server.ts the transport.
 */
import { type Clock, systemClock } from '../../clock';
import type { Component, LabState } from '../state';
import { type EndpointHealth, httpDeepHealthProbe, type ProbeFn, startMonitor } from './monitor';
import {
  buildZone,
  type ClientInfo,
  defaultLatencyOrder,
  emptyNonTerminals,
  excludedRegions,
  type FlapView,
  type GlobalAnswer,
  inZone,
  type LatencyOrder,
  routeGlobal,
} from './routing';
import { EDNS_UDP_SIZE, listenDns } from './server';
import {
  CLASS_IN,
  canonical,
  type Message,
  OPCODE_QUERY,
  optRecord,
  RCODE,
  type ResourceRecord,
  TYPE,
  typeName,
} from './wire';

export type { EndpointHealth, ProbeFn, ProbeResult } from './monitor';
export { httpDeepHealthProbe } from './monitor';
export type { ClientInfo, FlapView, GlobalAnswer, LatencyOrder } from './routing';
export { defaultLatencyOrder } from './routing';
export * as wire from './wire';

export interface DnsDeps {
  /** Time for the Traffic Manager monitor and dns-flap phases; default the system clock. */
  clock?: Clock;
  /** Endpoint health probe; default: GET /_health/deep on the region's front (200 = healthy). */
  probe?: ProbeFn;
  /** Latency order of regions for a client; default: regions.clientRegion first, then config order. */
  latencyOrder?: LatencyOrder;
}

export interface DnsEndpointStatus extends EndpointHealth {
  /** Out of global routing (replica-exclude). Probing goes on regardless. */
  excluded: boolean;
}

export interface DnsStatus {
  listen: { ip: string; port: number; transports: Array<'udp' | 'tcp'> };
  domain: string;
  settings: {
    ttlS: number;
    probeIntervalS: number;
    probeTimeoutS: number;
    toleratedFailures: number;
    flapIntervalS: number;
    staticTtlS: number;
    negativeTtlS: number;
  };
  endpoints: DnsEndpointStatus[];
  /** Global name -> what a client in `regions.clientRegion` is answered now. */
  answers: Record<string, GlobalAnswer>;
  /** Active flapping, per registry. */
  flaps: FlapView[];
  queries: {
    total: number;
    udp: number;
    tcp: number;
    truncated: number;
    dropped: number;
    byRcode: Record<string, number>;
    byType: Record<string, number>;
    /** Like TM's "queries by endpoint returned": global name -> region -> answers. */
    endpointReturned: Record<string, Record<string, number>>;
  };
}

export interface DnsHandle extends Component {
  status(): DnsStatus;
  /** The A records the server would answer now for this name (empty: none / NXDOMAIN / REFUSED). */
  resolve(name: string): string[];
  /** The same for AAAA (empty unless lab.endpointProtocol=IPv4AndIPv6). */
  resolve6(name: string): string[];
}

const RCODE_NAMES = Object.fromEntries(Object.entries(RCODE).map(([k, v]) => [v, k])) as Record<
  number,
  string
>;

export async function startDns(state: LabState, deps: DnsDeps = {}): Promise<DnsHandle> {
  const cfg = state.config.dns;
  const topo = state.topology;
  const domain = canonical(topo.domain);
  const zone = buildZone(state);
  const ents = emptyNonTerminals(zone, domain);
  const latencyOrder = deps.latencyOrder ?? defaultLatencyOrder;
  const serial = Math.floor(Date.now() / 1000) >>> 0;
  const soaName = `ns.${domain}`;

  const byRcode: Record<string, number> = {};
  const byType: Record<string, number> = {};
  const endpointReturned: Record<string, Record<string, number>> = {};

  const setComponent = (ok: boolean, detail: string) =>
    state.components.set('dns', { ok, detail, since: Date.now() });

  const clock = deps.clock ?? systemClock;
  const probe = deps.probe ?? httpDeepHealthProbe(state);
  const monitor = startMonitor(state, probe, () => setComponent(true, describe()), clock);

  const route = (registry: string, client: ClientInfo | undefined) =>
    routeGlobal({
      state,
      registry,
      degraded: monitor.degraded,
      order: latencyOrder(state, client),
      now: clock.now(),
    });

  function describe(): string {
    const bad = monitor
      .endpoints()
      .filter((e) => e.status === 'degraded')
      .map((e) => `${e.registry}/${e.region}`);
    return `serving ${topo.dnsIp}:${topo.dnsPort} (udp+tcp) for ${domain}${bad.length ? `; degraded: ${bad.join(', ')}` : ''}`;
  }

  const soaRecord = (owner = domain): ResourceRecord => ({
    name: owner,
    type: TYPE.SOA,
    class: CLASS_IN,
    ttl: cfg.negativeTtlS,
    soa: {
      mname: soaName,
      rname: `hostmaster.${domain}`,
      serial,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: cfg.negativeTtlS,
    },
  });

  const aRecords = (owner: string, ips: string[], ttl: number): ResourceRecord[] =>
    ips.map((address) => ({ name: owner, type: TYPE.A, class: CLASS_IN, ttl, address }));
  const aaaaRecords = (owner: string, ips: string[], ttl: number): ResourceRecord[] =>
    ips.map((address) => ({ name: owner, type: TYPE.AAAA, class: CLASS_IN, ttl, address }));

  /** Records for (name, type), or 'nxdomain' / 'refused'. `owner` keeps the asker's case. */
  function lookup(
    name: string,
    owner: string,
    qtype: number,
    client: ClientInfo | undefined,
    count: boolean,
  ): ResourceRecord[] | 'nxdomain' | 'refused' {
    if (!inZone(name, domain)) return 'refused';
    const entry = zone.get(name);
    if (!entry) return ents.has(name) ? [] : 'nxdomain';
    const any = qtype === TYPE.ANY;
    if (entry.kind === 'apex') {
      const out: ResourceRecord[] = [];
      if (qtype === TYPE.SOA || any) out.push(soaRecord(owner));
      if (qtype === TYPE.NS || any)
        out.push({ name: owner, type: TYPE.NS, class: CLASS_IN, ttl: cfg.staticTtlS, target: soaName });
      return out;
    }
    // AAAA of an IPv4-only name is NODATA (NOERROR, no answers), as for any absent type.
    if (entry.kind === 'static')
      return [
        ...(qtype === TYPE.A || any ? aRecords(owner, entry.ips, cfg.staticTtlS) : []),
        ...(qtype === TYPE.AAAA || any ? aaaaRecords(owner, entry.ips6 ?? [], cfg.staticTtlS) : []),
      ];
    const r = route(entry.registry, client);
    if (count) {
      const per = endpointReturned[r.name] ?? {};
      endpointReturned[r.name] = per;
      for (const region of r.regions) per[region] = (per[region] ?? 0) + 1;
    }
    if (any) return [...aRecords(owner, r.ips, r.ttl), ...aaaaRecords(owner, r.ips6, r.ttl)];
    if (qtype === TYPE.A) return aRecords(owner, r.ips, r.ttl);
    if (qtype === TYPE.AAAA) return aaaaRecords(owner, r.ips6, r.ttl);
    if (qtype === TYPE.TXT)
      return [
        {
          name: owner,
          type: TYPE.TXT,
          class: CLASS_IN,
          ttl: r.ttl,
          texts: [`regions=${r.regions.join(',')}`, `reason=${r.reason}`],
        },
      ];
    return [];
  }

  function answer(query: Message, client: ClientInfo): Message {
    const opts = query.additionals.filter((r) => r.type === TYPE.OPT);
    const res: Message = {
      id: query.id,
      flags: {
        qr: true,
        opcode: query.flags.opcode,
        aa: false,
        tc: false,
        rd: query.flags.rd,
        ra: false,
        rcode: 0,
      },
      questions: query.questions,
      answers: [],
      authorities: [],
      additionals: [],
    };
    const finish = (rcode: number, extended = 0): Message => {
      res.flags.rcode = rcode;
      if (opts.length) res.additionals.push(optRecord(EDNS_UDP_SIZE, extended));
      const rname = extended ? 'BADVERS' : (RCODE_NAMES[rcode] ?? String(rcode));
      byRcode[rname] = (byRcode[rname] ?? 0) + 1;
      return res;
    };
    if (query.flags.opcode !== OPCODE_QUERY) return finish(RCODE.NOTIMP);
    if (query.questions.length !== 1 || opts.length > 1) return finish(RCODE.FORMERR);
    // EDNS version > 0: BADVERS (extended rcode 16 = upper bits 1, header bits 0), RFC 6891 §6.1.3.
    if (((opts[0]?.ttl ?? 0) >>> 16) & 0xff) return finish(0, 1);
    const q = query.questions[0];
    if (!q) return finish(RCODE.FORMERR);
    byType[typeName(q.type)] = (byType[typeName(q.type)] ?? 0) + 1;
    if (q.class !== CLASS_IN && q.class !== TYPE.ANY) return finish(RCODE.REFUSED);
    const found = lookup(canonical(q.name), q.name.replace(/\.$/, ''), q.type, client, true);
    if (found === 'refused') return finish(RCODE.REFUSED);
    res.flags.aa = true;
    if (found === 'nxdomain') {
      res.authorities.push(soaRecord());
      return finish(RCODE.NXDOMAIN);
    }
    res.answers = found;
    if (found.length === 0) res.authorities.push(soaRecord()); // NODATA (RFC 2308 §2.2)
    return finish(RCODE.NOERROR);
  }

  let transport: Awaited<ReturnType<typeof listenDns>>;
  try {
    transport = await listenDns(topo.dnsIp, topo.dnsPort, answer);
  } catch (err) {
    monitor.stop();
    setComponent(false, `cannot listen on ${topo.dnsIp}:${topo.dnsPort}: ${(err as Error).message}`);
    throw err;
  }
  setComponent(true, describe());

  let stopped = false;
  return {
    name: 'dns',
    status(): DnsStatus {
      const answers: Record<string, GlobalAnswer> = {};
      const flaps: FlapView[] = [];
      for (const reg of state.config.registry.names) {
        const { flap, ...a } = route(reg, undefined);
        answers[a.name] = a;
        if (flap) flaps.push(flap);
      }
      const c = transport.counters;
      return {
        listen: { ip: topo.dnsIp, port: topo.dnsPort, transports: ['udp', 'tcp'] },
        domain,
        settings: {
          ttlS: cfg.ttlS,
          probeIntervalS: cfg.probeIntervalS,
          probeTimeoutS: cfg.probeTimeoutS,
          toleratedFailures: cfg.toleratedFailures,
          flapIntervalS: cfg.flapIntervalS,
          staticTtlS: cfg.staticTtlS,
          negativeTtlS: cfg.negativeTtlS,
        },
        endpoints: monitor
          .endpoints()
          .map((e) => ({ ...e, excluded: excludedRegions(state, e.registry).has(e.region) })),
        answers,
        flaps,
        queries: {
          total: c.udp + c.tcp,
          udp: c.udp,
          tcp: c.tcp,
          truncated: c.truncated,
          dropped: c.dropped,
          byRcode: c.formerr ? { ...byRcode, FORMERR: (byRcode.FORMERR ?? 0) + c.formerr } : { ...byRcode },
          byType: { ...byType },
          endpointReturned: structuredClone(endpointReturned),
        },
      };
    },
    resolve(name: string): string[] {
      const found = lookup(canonical(name), canonical(name), TYPE.A, undefined, false);
      return Array.isArray(found) ? found.flatMap((r) => ('address' in r ? [r.address] : [])) : [];
    },
    resolve6(name: string): string[] {
      const found = lookup(canonical(name), canonical(name), TYPE.AAAA, undefined, false);
      return Array.isArray(found) ? found.flatMap((r) => ('address' in r ? [r.address] : [])) : [];
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      monitor.stop();
      await transport.close();
      setComponent(false, 'stopped');
    },
  };
}
