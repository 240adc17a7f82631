/**
 * `dns-flap` as routeGlobal computes it from the time it is given: which region the global
 * name answers at each instant, exactly (the DNS server passes its clock's now()). The
 * integration test (test/lab/dns-failover.test.ts) samples real answers with loose counts.
 */
import { describe, expect, it } from 'vitest';
import { resolveLabConfig } from '../../lib/lab/config';
import { routeGlobal } from '../../lib/lab/dns/routing';
import { createState, type LabState } from '../../lib/lab/state';
import { topology } from '../../lib/lab/topology';

const SINCE = 1_800_000_000_000;

function lab(params: Record<string, number | string | string[]>): LabState {
  const cfg = resolveLabConfig([], ['registry.names=contoso,fabrikam', 'dns.flapIntervalS=0.2']);
  const state = createState(cfg, topology(cfg, { netns: false, octet: 3 }));
  state.faults.set('f1', { id: 'f1', kind: 'dns-flap', params, since: SINCE });
  return state;
}

const answerAt = (
  state: LabState,
  now: number,
  degraded = (_r: string, _g: string) => false,
  registry = 'contoso',
) => routeGlobal({ state, registry, degraded, order: state.config.regions.names, now });

describe('dns-flap on given instants', () => {
  it('alternates the listed regions every dns.flapIntervalS, TTL 0', () => {
    const state = lab({ regions: ['eastus', 'westus'] });
    const seq = [0, 199, 200, 399, 400, 600, 1999, 2000].map((ms) => answerAt(state, SINCE + ms).regions[0]);
    expect(seq).toEqual(['eastus', 'eastus', 'westus', 'westus', 'eastus', 'westus', 'westus', 'eastus']);
    const a = answerAt(state, SINCE + 10);
    expect(a).toMatchObject({ reason: 'flap', ttl: 0 });
    // 2 s at 0.2 s: 10 flips, exactly.
    const regions = Array.from({ length: 2001 }, (_, ms) => answerAt(state, SINCE + ms).regions[0]);
    expect(regions.filter((r, i) => i > 0 && r !== regions[i - 1]).length).toBe(10);
  });

  it('params.intervalS and params.ttlS override; with no regions listed it cycles through all', () => {
    const state = lab({ intervalS: 0.1, ttlS: 2 });
    const names = state.config.regions.names;
    const seq = names.map((_, i) => answerAt(state, SINCE + i * 100 + 50, undefined, 'fabrikam').regions[0]);
    expect(seq).toEqual(names);
    expect(answerAt(state, SINCE + 50, undefined, 'fabrikam').ttl).toBe(2);
  });

  it('a degraded region leaves the flap: the rest is answered by performance routing', () => {
    const state = lab({ regions: ['eastus', 'westeurope'], registry: 'contoso' });
    const down = (_reg: string, region: string) => region === 'westeurope';
    const seq = [0, 250, 500].map((ms) => answerAt(state, SINCE + ms, down));
    expect(seq.map((a) => a.regions)).toEqual([['eastus'], ['eastus'], ['eastus']]);
    expect(answerAt(state, SINCE, undefined, 'fabrikam').reason).toBe('performance');
  });
});
