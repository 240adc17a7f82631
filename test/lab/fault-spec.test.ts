import { describe, expect, it } from 'vitest';
import { resolveLabConfig } from '../../lib/lab/config';
import { checkFault, describeFault, FAULT_KINDS, FAULT_SPECS, faultFromArgs } from '../../lib/lab/fault-spec';
import { topology } from '../../lib/lab/topology';
import { inputError } from '../helpers/input-error';

const cfg = resolveLabConfig([], ['regions.names=eastus,westus', 'storage.backends=3', 'lab.name=fspec']);
const topo = topology(cfg, { netns: false, octet: 2 });
const regs = ['contoso'];

describe('fault spec: CLI args and API bodies validate the same way', () => {
  it('parses a storage-fail with backends into sorted indexes', () => {
    const body = faultFromArgs('storage-fail', { region: 'eastus', backends: '2,0' });
    expect(checkFault(body, topo, regs)).toEqual({
      kind: 'storage-fail',
      region: 'eastus',
      backends: [0, 2],
      params: {},
    });
  });

  it('defaults backends to every backend of the region', () => {
    const f = checkFault({ kind: 'storage-slow', region: 'westus', params: { latencyMs: 200 } }, topo, regs);
    expect(f.backends).toEqual([0, 1, 2]);
    expect(f.params).toEqual({ latencyMs: 200 });
  });

  it('parses numbers with suffixes from --set', () => {
    const body = faultFromArgs('storage-slow', { region: 'eastus', backends: '1', sets: ['ceilingBps=50M'] });
    expect(checkFault(body, topo, regs).params).toEqual({ ceilingBps: 50e6 });
    const lag = checkFault(faultFromArgs('replication-lag', { sets: ['lagS=2.5'] }), topo, regs);
    expect(lag).toEqual({ kind: 'replication-lag', params: { lagS: 2.5 } });
  });

  it('accepts list and choice params', () => {
    const flap = checkFault(
      faultFromArgs('dns-flap', { sets: ['regions=eastus,westus', 'intervalS=0.5', 'registry=contoso'] }),
      topo,
      regs,
    );
    expect(flap.params).toEqual({ regions: ['eastus', 'westus'], intervalS: 0.5, registry: ['contoso'] });
    const pause = checkFault(
      faultFromArgs('replication-pause', { region: 'westus', sets: ['direction=out'] }),
      topo,
      regs,
    );
    expect(pause.params).toEqual({ direction: 'out' });
  });

  it('every kind has a valid minimal form', () => {
    const minimal: Record<string, Record<string, unknown>> = {
      'replication-lag': { lagS: 1 },
      'front-latency': { latencyMs: 10 },
      'front-errors': { errorRate: 0.5 },
      'storage-slow': { latencyMs: 10 },
      throttle: { rate: 0.5 },
      'family-down': { family: 'ipv6' },
      'upstream-slow': { latencyMs: 10 },
    };
    for (const kind of FAULT_KINDS) {
      // Lab-wide kinds (dns-flap, the upstream's) take no region.
      const region = FAULT_SPECS[kind].region === 'none' ? {} : { region: 'eastus' };
      const f = checkFault({ kind, ...region, params: minimal[kind] ?? {} }, topo, regs);
      expect(f.kind).toBe(kind);
      expect(describeFault({ ...f, id: 'f1', since: 0 })).toContain(kind);
    }
  });

  it('rejects an unknown kind', () => {
    const e = inputError(() => checkFault(faultFromArgs('region-gone', { region: 'eastus' }), topo, regs));
    expect(e.field).toBe('kind');
    expect(e.code).toBe('UNKNOWN_FAULT');
    expect(e.expected).toContain('region-down');
    // An API body is JSON: keys every object inherits are not kinds either.
    for (const kind of ['toString', '__proto__', 'constructor'])
      expect(inputError(() => checkFault({ kind }, topo, regs)).code, kind).toBe('UNKNOWN_FAULT');
  });

  it('rejects an unknown or missing region', () => {
    expect(inputError(() => checkFault({ kind: 'region-down', region: 'mars' }, topo, regs)).field).toBe(
      'region',
    );
    expect(inputError(() => checkFault({ kind: 'region-down' }, topo, regs)).field).toBe('region');
    expect(inputError(() => checkFault({ kind: 'dns-flap', region: 'eastus' }, topo, regs)).field).toBe(
      'region',
    );
  });

  it('rejects backends out of range, duplicated, or on a kind without backends', () => {
    const out = inputError(() =>
      checkFault(faultFromArgs('storage-fail', { region: 'eastus', backends: '0,3' }), topo, regs),
    );
    expect(out.field).toBe('backends');
    expect(out.expected).toContain('0..2');
    expect(
      inputError(() => checkFault({ kind: 'storage-fail', region: 'eastus', backends: [1, 1] }, topo, regs))
        .field,
    ).toBe('backends');
    expect(
      inputError(() => checkFault({ kind: 'region-down', region: 'eastus', backends: [0] }, topo, regs))
        .field,
    ).toBe('backends');
  });

  it('rejects non-numeric, out-of-range, unknown and missing params', () => {
    const nan = inputError(() =>
      checkFault(faultFromArgs('front-latency', { region: 'eastus', sets: ['latencyMs=slow'] }), topo, regs),
    );
    expect(nan.field).toBe('params.latencyMs');
    expect(nan.received).toBe('slow');
    const rate = inputError(() =>
      checkFault(faultFromArgs('front-errors', { region: 'eastus', sets: ['errorRate=1.5'] }), topo, regs),
    );
    expect(rate.field).toBe('params.errorRate');
    const unknown = inputError(() =>
      checkFault(faultFromArgs('region-down', { region: 'eastus', sets: ['latencyMs=1'] }), topo, regs),
    );
    expect([unknown.field, unknown.code]).toEqual(['params.latencyMs', 'UNKNOWN_PARAM']);
    expect(inputError(() => checkFault({ kind: 'front-errors', region: 'eastus' }, topo, regs)).field).toBe(
      'params.errorRate',
    );
    expect(inputError(() => checkFault({ kind: 'storage-slow', region: 'eastus' }, topo, regs)).field).toBe(
      'params',
    );
    expect(
      inputError(() => checkFault(faultFromArgs('dns-flap', { sets: ['regions=eastus'] }), topo, regs)).field,
    ).toBe('params.regions');
    expect(
      inputError(() =>
        checkFault(
          faultFromArgs('replica-exclude', { region: 'eastus', sets: ['registry=fabrikam'] }),
          topo,
          regs,
        ),
      ).field,
    ).toBe('params.registry');
    expect(inputError(() => faultFromArgs('front-latency', { sets: ['latencyMs'] })).field).toBe('--set');
  });

  it('rejects unknown top-level keys in API bodies', () => {
    const e = inputError(() =>
      checkFault({ kind: 'region-down', region: 'eastus', regoin: 'x' }, topo, regs),
    );
    expect([e.field, e.code]).toEqual(['regoin', 'UNKNOWN_PARAM']);
  });
});
