/**
 * Print what a pool's hottest node is made of before and after the customer's move, per
 * seed (hot-node.ts): `npx tsx sim/models/stamps/hot-node-report.ts [seeds] [stamp] [pool] [--set k=v ...]`
 * (defaults 1..8, A, dataproxy, the acr-stamps-2026 preset). Cores on the hot node at the
 * bins around its P95, by whose demand, steady and storm apart.
 */
import { hotNodeParts, type WindowParts } from './hot-node';
import type { PoolKind } from './params';
import { presetFromArgs } from './seeds-table';

const { params: p, positional: pos } = presetFromArgs(process.argv.slice(2));
const seeds = (pos[0] ?? '1,2,3,4,5,6,7,8').split(',').map(Number);
const stamp = pos[1] ?? 'A';
const pool = (pos[2] ?? 'dataproxy') as PoolKind;
const f = (x: number) => x.toFixed(2);
const line = (seed: number, w: string, x: WindowParts) =>
  [
    seed,
    w,
    x.hotNodeP95.toFixed(1),
    x.atP95.cpu.toFixed(1),
    f(x.atP95.othersSteady),
    f(x.atP95.othersStorm),
    f(x.atP95.customerSteady),
    f(x.atP95.customerStorm),
    `${Math.round(100 * x.atP95.withStorm)}%`,
    f(x.mean.othersSteady + x.mean.othersStorm),
    f(x.mean.customerSteady + x.mean.customerStorm),
    f(x.customerCores),
    f(x.customerTopNodeCores),
    `${x.modeNode}:${Math.round(100 * x.modeShare)}%`,
    `${x.modeNodeAtP95}:${Math.round(100 * x.modeShareAtP95)}%`,
    x.nodes,
  ].join('\t');
console.log(
  [
    'seed',
    'window',
    'P95',
    'cpu@P95',
    'oth.steady',
    'oth.storm',
    'cust.steady',
    'cust.storm',
    'storm bins',
    'mean oth',
    'mean cust',
    'cust pool',
    'cust top node',
    'hot node',
    'hot@P95',
    'nodes',
  ].join('\t'),
);
for (const seed of seeds) {
  const r = hotNodeParts(p, seed, stamp, pool);
  console.log(line(seed, 'before', r.before));
  console.log(line(seed, 'after', r.after));
}
