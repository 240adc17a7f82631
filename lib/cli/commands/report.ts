/**
 * `stampede report <run dir> [<run dir>...]`: (re)builds a run's report.html, or a
 * comparison page when given several runs, from the run directories alone.
 */

import { COMPARE_CHARTS, RUN_CHARTS, writeReport } from '../../../reports/index';
import { modelCharts } from '../../../sim/experiments/registry';
import { InputError } from '../../errors';
import { scenarios } from '../../k6/scenarios';
import { checkOutFile } from '../../results/run-dir';
import { defineCommand, flagString } from '../command';

function chartList(entries: ReadonlyArray<{ id: string; help: string }>): string {
  const width = Math.max(...entries.map((e) => e.id.length));
  return entries.map((e) => `  ${e.id.padEnd(width)}  ${e.help}`).join('\n');
}

export const reportCommand = defineCommand({
  name: 'report',
  positionals: '<run dir>...',
  summary: 'build the HTML report of a run, or compare several runs',
  usage: 'stampede report <run dir> [<run dir>...] [--out FILE]',
  help: `
Reads summary.json (and raw.ndjson when present) from each run directory and writes one
self-contained HTML page (vega-lite inlined; opens offline). One directory writes
<dir>/report.html; several write <first dir>/compare.html with the runs side by side and a
table of metric deltas against the first run. A run without summary.json is rebuilt from
raw.ndjson (k6 runs through the run command's own summary code); an interrupted run is
reported with a banner, and unreadable raw.ndjson lines (other than a torn last line) are
skipped with a warning. Prints the path written.
Parameters whose names look like secrets (token, password, secret, ...key) are redacted.

Charts of one run (each drawn only when the run has the data):
${chartList(RUN_CHARTS)}

Charts of a comparison:
${chartList(COMPARE_CHARTS)}

Examples:
  stampede report runs/copy-sweep-20260101T000000
  stampede report runs/a runs/b --out /tmp/a-vs-b.html`,
  flags: {
    out: { type: 'string', hint: 'FILE', description: 'write the page here instead of the run directory' },
  },
  async run(ctx) {
    if (ctx.positionals.length === 0)
      throw new InputError(
        '<run dir>',
        'one or more run directories (holding summary.json or raw.ndjson)',
        undefined,
      );
    const out = flagString(ctx, 'out');
    const path = await writeReport(
      ctx.positionals,
      out === undefined ? undefined : checkOutFile('--out', out),
      // Warnings to stderr: stdout stays the one path scripts read.
      // A simulator run's model charts too (a k6 run's scenario charts), so a rebuilt page equals the one the run wrote.
      { warn: (m) => ctx.io.err(m), charts: (e) => [...modelCharts(e), ...scenarioCharts(e)] },
    );
    ctx.io.out(path);
    return 0;
  },
});

/** The charts a k6 run's scenario adds to its page (none for a simulator run of the same name). */
function scenarioCharts(e: Parameters<typeof modelCharts>[0]) {
  return e.kind === 'k6' ? (scenarios().find((s) => s.name === e.name)?.charts ?? []) : [];
}
