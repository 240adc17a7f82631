/**
 * Benchmark: the report of a 1,000-VU x 10-iteration cold-pull lab run. Generates a
 * realistic raw.ndjson (test/fixtures/reports/k6-pull-raw.ts: every k6 line a real run
 * writes, a storage fault on a third of the backends for 20 s) and a summary.json beside it
 * in a temp dir, then times `writeReport` (stream + aggregate + page). Targets: < 5 s
 * build, page < 5 MB. Prints raw lines and MB, build ms per repeat (median), page MB and
 * peak RSS. No lab, no k6, no browser: runs without the lab lock.
 * Run: npx tsx bench/report-big.ts [vus] [iterations] [repeats]   (default 1000 10 3)
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope } from '../lib/results/envelope';
import { writeReport } from '../reports/index';
import { writeK6PullRaw } from '../test/fixtures/reports/k6-pull-raw';

const vus = Number(process.argv[2] ?? 1000);
const iterations = Number(process.argv[3] ?? 10);
const repeats = Number(process.argv[4] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'stampede-report-big-'));
try {
  const t = performance.now();
  const { layers, lines } = writeK6PullRaw(join(dir, 'raw.ndjson'), {
    vus,
    iterations,
    faultFromS: 20,
    faultToS: 40,
  });
  const rawMb = statSync(join(dir, 'raw.ndjson')).size / 1e6;
  console.log(
    `raw.ndjson: ${lines.toLocaleString('en-US')} lines, ${rawMb.toFixed(0)} MB (generated in ${Math.round(performance.now() - t)} ms)`,
  );
  const envelope: Envelope = {
    tool: 'stampede',
    kind: 'k6',
    name: 'cold-pull',
    seed: 0,
    params: { vus, iterations, target: { kind: 'lab', seeded: { layers } } },
    metrics: {
      backends: ['eastus', 'westus'].flatMap((r) =>
        [0, 1, 2].map((b) => ({
          id: `${r}-b${b}`,
          bytes: 0,
          peakEgressBps: 0,
          ceilingBps: b === 0 ? 400e6 : 0,
        })),
      ),
    },
    points: [],
    runtime: { wallMs: 0, events: lines },
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(envelope));
  const ms: number[] = [];
  const cpu: number[] = [];
  let pageMb = 0;
  for (let i = 0; i < repeats; i++) {
    const t1 = performance.now();
    const c = process.cpuUsage();
    const out = await writeReport([dir]);
    ms.push(performance.now() - t1);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
    pageMb = statSync(out).size / 1e6;
  }
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  console.log(
    `build: ${ms.map((x) => Math.round(x)).join(', ')} ms wall, median ${Math.round(median)} ms (target < 5000); CPU ${cpu.map((x) => Math.round(x)).join(', ')} ms; load ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(
    `page: ${pageMb.toFixed(2)} MB (target < 5); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
