/**
 * Cross-field checks of the stamps parameters, after the schema has checked every leaf
 * (a share above 100 % is already refused there, naming its path): list lengths that must
 * match the stamp list, VMSS min <= max, homes that are stamps, phases that move
 * registries that exist to a stamp that exists (or a new isolation stamp).
 */
import { InputError } from '../../../lib/errors';
import type { StampsParams } from './params';
import { isIsolation, parsePhase } from './phases';
import { buildRegistries, splitHomes } from './region';

export function validateStamps(p: StampsParams): void {
  const stamps = p.region.stamps;
  const n = stamps.length;
  const sameLength = (field: string, list: readonly unknown[]) => {
    if (list.length !== n)
      throw new InputError(field, `a list of ${n} values, one per stamp (${stamps.join(', ')})`, list);
  };
  for (const pool of ['registryPool', 'dataproxyPool'] as const) {
    const { minInstances, maxInstances } = p[pool];
    sameLength(`${pool}.minInstances`, minInstances);
    sameLength(`${pool}.maxInstances`, maxInstances);
    minInstances.forEach((min, i) => {
      const max = maxInstances[i] as number;
      if (min > max)
        throw new InputError(
          `${pool}.minInstances[${i}]`,
          `at most ${pool}.maxInstances[${i}] (${max}) for stamp ${stamps[i]}`,
          min,
        );
    });
  }
  sameLength('tenants.registryCores', p.tenants.registryCores);
  sameLength('tenants.dataproxyCores', p.tenants.dataproxyCores);
  for (const s of stamps)
    if (isIsolation(s))
      throw new InputError(
        'region.stamps',
        'shared stamp names not starting with "iso" (reserved for isolation stamps)',
        s,
      );
  const c = p.customer;
  if (c.topCount > c.registries)
    throw new InputError('customer.topCount', `at most customer.registries (${c.registries})`, c.topCount);
  const topHomes = splitHomes(c.topHomes);
  if (topHomes.length !== c.topCount)
    throw new InputError(
      'customer.topHomes',
      `${c.topCount} stamp names (one per top registry, customer.topCount)`,
      c.topHomes,
    );
  for (const h of topHomes)
    if (!stamps.includes(h))
      throw new InputError('customer.topHomes', `stamps of region.stamps (${stamps.join(', ')})`, h);
  for (const h of c.tailHomes)
    if (!stamps.includes(h))
      throw new InputError('customer.tailHomes', `stamps of region.stamps (${stamps.join(', ')})`, h);
  if (p.rebalance.drainMinS > p.rebalance.drainMaxS)
    throw new InputError(
      'rebalance.drainMinS',
      `at most rebalance.drainMaxS (${p.rebalance.drainMaxS})`,
      p.rebalance.drainMinS,
    );
  if (p.autoscale.scaleInPct >= p.autoscale.scaleOutPct)
    throw new InputError(
      'autoscale.scaleInPct',
      `below autoscale.scaleOutPct (${p.autoscale.scaleOutPct})`,
      p.autoscale.scaleInPct,
    );
  if (p.plan.tailSharePct > p.plan.topSharePct)
    throw new InputError(
      'plan.tailSharePct',
      `at most plan.topSharePct (${p.plan.topSharePct})`,
      p.plan.tailSharePct,
    );
  if (p.rebalance.phases.length === 0) return;
  const names = new Set(buildRegistries(p).map((r) => r.name));
  p.rebalance.phases.forEach((text, i) => {
    const field = `rebalance.phases[${i}]`;
    const phase = parsePhase(text, field);
    for (const r of phase.registries)
      if (!names.has(r))
        throw new InputError(
          field,
          `registries that exist (${c.name}-01.., t0001..), moved to a stamp`,
          r,
          'UNKNOWN_REGISTRY',
        );
    if (!stamps.includes(phase.dest) && !isIsolation(phase.dest))
      throw new InputError(
        field,
        `a destination among ${stamps.join(', ')} or a new isolation stamp "iso-..."`,
        phase.dest,
      );
  });
}
