/**
 * Benchmark: `stampede sim stamps` on a region of 4 stamps and 2,000 registries (40 of
 * the large customer, 1,960 others), per-minute bins. Targets: a 12-hour window under
 * 10 s, 7 days under a minute. Prints wall and CPU ms per run, registry-minutes computed
 * and peak RSS. The first run includes JIT warm-up.
 * Run: npx tsx bench/sim-stamps.ts [repeats] [path=value ...]   (default 3; e.g.
 * dataproxyPool.copyCores=0.5, the preset's layer copies)
 */
import { resolve } from '../lib/config/schema';
import { simulatePhases } from '../sim/models/stamps/model';
import { stampsSchema } from '../sim/models/stamps/params';

const repeats = Number(process.argv[2] ?? 3);
const sets = process.argv.slice(3);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
for (const days of [0.5, 7]) {
  const params = resolve(
    stampsSchema,
    [],
    [`run.days=${days}`, 'tenants.registries=1960', 'customer.registries=40', ...sets],
  );
  const walls: number[] = [];
  const cpus: number[] = [];
  let events = 0;
  for (let i = 0; i < (days > 1 ? 1 : repeats); i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    events = simulatePhases(params, [], i + 1).events;
    walls.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpus.push((u.user + u.system) / 1000);
  }
  console.log(
    `sim-stamps: ${days * 24} h, ${params.region.stamps.length} stamps, ${params.tenants.registries + params.customer.registries} registries, ${events} registry- and pool-minutes; wall ms: ${walls.map((w) => w.toFixed(0)).join(', ')} (median ${median(walls).toFixed(0)}; cpu median ${median(cpus).toFixed(0)})`,
  );
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
