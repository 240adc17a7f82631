/**
 * Dual stack (issue 21) as pure functions: the config rules ACR enforces, the IPv6 address
 * plan, what the zone answers for AAAA, that Traffic-Manager routing moves A and AAAA
 * together, and the packet-filter rules `family-down` installs.
 */
import { describe, expect, it } from 'vitest';
import { checkDualStackNetns, resolveLabConfig } from '../../lib/lab/config';
import { buildZone, routeGlobal } from '../../lib/lab/dns/routing';
import { labEndpoints } from '../../lib/lab/endpoints';
import { familyDownRefusal, familyRules } from '../../lib/lab/family-fault';
import { checkFault } from '../../lib/lab/fault-spec';
import { labAddresses6 } from '../../lib/lab/netns';
import { createState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';
import { inputError } from '../helpers/input-error';

const DUAL = ['lab.endpointProtocol=IPv4AndIPv6', 'regions.names=eastus,westus', 'storage.backends=2'];

function lab(sets: string[]) {
  const cfg = resolveLabConfig([], sets);
  const topo = topology(cfg, { netns: true, octet: 7 });
  return { cfg, topo, state: createState(cfg, topo) };
}

describe('lab.endpointProtocol', () => {
  it('defaults to IPv4: no IPv6 address anywhere', () => {
    const { topo, cfg } = lab([]);
    expect(cfg.lab.endpointProtocol).toBe('IPv4');
    expect(labAddresses6(topo)).toEqual([]);
    expect(topo.identityIp6).toBeUndefined();
  });

  it('refuses IPv6 (ACR has no IPv6-only mode), naming the field', () => {
    const e = inputError(() => resolveLabConfig([], ['lab.endpointProtocol=IPv6']));
    expect(e.field).toBe('lab.endpointProtocol');
    expect(e.message).toContain('no IPv6-only mode');
    expect(e.exitCode).toBe(2);
  });

  it('refuses dual stack without dedicated data endpoints, as ACR does', () => {
    const e = inputError(() =>
      resolveLabConfig([], ['lab.endpointProtocol=IPv4AndIPv6', 'registry.dataEndpoints=false']),
    );
    expect(e.field).toBe('lab.endpointProtocol');
    expect(e.code).toBe('DUAL_STACK_NEEDS_DATA_ENDPOINTS');
    // IPv4 without data endpoints is fine (ACR's default).
    expect(resolveLabConfig([], ['registry.dataEndpoints=false']).registry.dataEndpoints).toBe(false);
  });

  it('refuses dual stack without a namespace, saying why', () => {
    const { cfg } = lab(DUAL);
    const e = inputError(() => checkDualStackNetns(cfg, false, 'not running as root'));
    expect(e.code).toBe('DUAL_STACK_NEEDS_NETNS');
    expect(e.message).toContain('not running as root');
    expect(e.message).toContain('never on the host');
    expect(() => checkDualStackNetns(cfg, true, '')).not.toThrow();
    expect(() => checkDualStackNetns(lab([]).cfg, false, 'off')).not.toThrow();
  });
});

describe('the IPv6 address plan', () => {
  it('gives every front, backend and the identity stand-in a distinct ULA address beside its IPv4 one', () => {
    const { topo } = lab(DUAL);
    expect(topo.regions.map((r) => [r.frontIp, r.frontIp6])).toEqual([
      ['127.7.10.1', 'fd57:a3bd:7:10::1'],
      ['127.7.11.1', 'fd57:a3bd:7:11::1'],
    ]);
    expect(topo.regions[1]?.backends.map((b) => b.ip6)).toEqual(['fd57:a3bd:7:11::10', 'fd57:a3bd:7:11::11']);
    const all = labAddresses6(topo);
    expect(all).toContain('fd57:a3bd:7:9::1'); // identity
    expect(new Set(all).size).toBe(all.length);
    for (const a of all) expect(a.startsWith('fd')).toBe(true); // fc00::/7, never routed
    // The internal registry and the DNS stay IPv4.
    expect(all).not.toContain(undefined);
  });

  it('shows both addresses in the endpoints table', () => {
    const { cfg, topo } = lab(DUAL);
    const e = labEndpoints(cfg, topo);
    expect(e.endpointProtocol).toBe('IPv4AndIPv6');
    expect(e.regions[0]).toMatchObject({ frontIp: '127.7.10.1', frontIp6: 'fd57:a3bd:7:10::1' });
    expect(e.regions[0]?.backendIps6).toEqual(['fd57:a3bd:7:10::10', 'fd57:a3bd:7:10::11']);
  });
});

describe('the zone: AAAA beside A', () => {
  it('answers AAAA for regional, data, storage and identity names with dual stack', () => {
    const { state, topo } = lab(DUAL);
    const z = buildZone(state);
    const east = topo.regions[0]!;
    expect(z.get(`contoso.eastus.geo.${topo.domain}`)).toMatchObject({
      ips: [east.frontIp],
      ips6: [east.frontIp6],
    });
    expect(z.get(`contoso.eastus.data.${topo.domain}`)).toMatchObject({ ips6: [east.frontIp6] });
    expect(z.get(`eastus-b1.blob.${topo.domain}`)).toMatchObject({ ips6: [east.backends[1]?.ip6] });
    expect(z.get(`login.${topo.domain}`)).toMatchObject({ ips6: [topo.identityIp6] });
    expect(z.get(`ns.${topo.domain}`)).not.toHaveProperty('ips6');
  });

  it('has no AAAA data when IPv4 only, and no data names without data endpoints', () => {
    const z = buildZone(lab([]).state);
    for (const e of z.values()) if (e.kind === 'static') expect(e.ips6 ?? []).toEqual([]);
    const { state, topo } = lab(['registry.dataEndpoints=false']);
    const z2 = buildZone(state);
    expect(z2.has(`contoso.eastus.data.${topo.domain}`)).toBe(false);
    expect(z2.has(`contoso.eastus.geo.${topo.domain}`)).toBe(true);
    expect(labEndpoints(state.config, topo).regions[0]?.data).toEqual([]);
  });

  it('moves the global AAAA answer with the A answer on failover', () => {
    const { state, topo } = lab(DUAL);
    const route = (degraded: (reg: string, region: string) => boolean) =>
      routeGlobal({ state, registry: 'contoso', degraded, order: ['eastus', 'westus'], now: 0 });
    const healthy = route(() => false);
    expect(healthy).toMatchObject({ regions: ['eastus'], ips6: [topo.regions[0]?.frontIp6] });
    const failed = route((_reg, region) => region === 'eastus');
    expect(failed).toMatchObject({
      regions: ['westus'],
      ips: [topo.regions[1]?.frontIp],
      ips6: [topo.regions[1]?.frontIp6],
    });
    expect(
      routeGlobal({
        ...{ state: lab([]).state },
        registry: 'contoso',
        degraded: () => false,
        order: ['eastus'],
        now: 0,
      }).ips6,
    ).toEqual([]);
  });
});

describe('family-down', () => {
  it('is validated like every fault: family required, target and mode are choices', () => {
    const { topo } = lab(DUAL);
    expect(checkFault({ kind: 'family-down', params: { family: 'ipv6' } }, topo)).toEqual({
      kind: 'family-down',
      params: { family: 'ipv6' },
    });
    expect(inputError(() => checkFault({ kind: 'family-down', params: {} }, topo)).field).toBe(
      'params.family',
    );
    expect(inputError(() => checkFault({ kind: 'family-down', params: { family: 'ipx' } }, topo)).field).toBe(
      'params.family',
    );
    expect(
      inputError(() => checkFault({ kind: 'family-down', params: { family: 'ipv6', target: 'dns' } }, topo))
        .field,
    ).toBe('params.target');
  });

  it('rejects the family at every front port and backend by default (ip6tables for ipv6)', () => {
    const { topo, cfg } = lab(DUAL);
    const rules = familyRules(topo, { params: { family: 'ipv6' } }, cfg.registry.tlsPort);
    // 2 regions x (front http + https) + 2 regions x 2 backends
    expect(rules).toHaveLength(8);
    expect(new Set(rules.map((r) => r.bin))).toEqual(new Set(['ip6tables']));
    expect(rules[0]).toEqual({
      bin: 'ip6tables',
      match: ['-p', 'tcp', '-d', 'fd57:a3bd:7:10::1', '--dport', '8080'],
      jump: ['-j', 'REJECT', '--reject-with', 'tcp-reset'],
    });
    const storage = familyRules(
      topo,
      { region: 'westus', params: { family: 'ipv4', target: 'storage', mode: 'drop' } },
      8443,
    );
    expect(storage.map((r) => [r.bin, r.match[3], r.jump])).toEqual([
      ['iptables', '127.7.11.10', ['-j', 'DROP']],
      ['iptables', '127.7.11.11', ['-j', 'DROP']],
    ]);
  });

  it('is refused without a namespace, and for ipv6 in an IPv4-only lab', () => {
    expect(familyDownRefusal(lab(DUAL).topo, false, 'ipv4')?.code).toBe('FAULT_NEEDS_NETNS');
    expect(familyDownRefusal(lab([]).topo, true, 'ipv6')?.field).toBe('params.family');
    expect(familyDownRefusal(lab([]).topo, true, 'ipv4')).toBeUndefined();
    expect(familyDownRefusal(lab(DUAL).topo, true, 'ipv6')).toBeUndefined();
  });
});
