/**
 * `stampede gate --baseline <run dir|saved name> --candidate <run dir>`: decides whether the
 * candidate regressed against the baseline, rule by rule, and says so in the forms a CI job
 * reads (console table, JUnit XML, Markdown summary, a comparison page). Exit 0 pass, 1 fail
 * (or inconclusive under --strict), 2 bad input or runs that are not comparable.
 */
import { join } from 'node:path';
import { gateCharts, gateSectionHtml } from '../../../reports/charts/gate-verdicts';
import { writeReport } from '../../../reports/index';
import { loadRun } from '../../../reports/load-run';
import { InputError } from '../../errors';
import { baselineDir, DEFAULT_BASELINE_DIR, resolveBaseline } from '../../results/gate/baselines';
import { checkComparable } from '../../results/gate/comparable';
import { decideGate, type GateRun, gateExitCode } from '../../results/gate/decide';
import { knownMetricPaths } from '../../results/gate/metrics';
import { consoleTable, junitXml, markdownSummary } from '../../results/gate/outputs';
import { DEFAULT_BOOTSTRAP, defaultRules, describeDefaults, readRulesFile } from '../../results/gate/rules';
import { readNdjsonFile } from '../../results/ndjson';
import { checkOutFile, RAW, writeFileAtomic } from '../../results/run-dir';
import { defineCommand, flagList, flagString } from '../command';

export const GATE_REPORT = 'gate.html';

/** Splits a comma list into lines of at most `width` characters for --help. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function loadGateRun(dir: string, label: string, role: 'baseline' | 'candidate'): GateRun {
  const l = loadRun(dir);
  if (role === 'baseline' && l.envelope.incomplete)
    throw new InputError(
      '--baseline',
      'a complete run',
      `${label} (${l.envelope.incomplete.reason})`,
      'BAD_RUN_DIR',
    );
  // A k6 run's page folds its points into bins as it streams them (reports/stream-raw.ts); a
  // bootstrap needs every sample, so the gate reads them back from raw.ndjson itself.
  const raw = l.envelope.kind === 'k6' ? readNdjsonFile(join(l.dir, RAW)).records : l.raw;
  return { envelope: l.envelope, raw, dir: l.dir, label };
}

export const gateCommand = defineCommand({
  name: 'gate',
  summary: 'fail a CI job when a run regressed against a baseline (bootstrap on quantiles)',
  usage:
    'stampede gate --baseline <run dir|saved name> --candidate <run dir> [--rules FILE] [--junit FILE] [--markdown FILE] [--report FILE] [--strict]',
  help: `
Compares two runs of the same scenario or model and decides every rule: pass, fail or
inconclusive. The runs must be comparable: same kind (sim/k6), same model or scenario, same
resolved parameters except the seed, run.sampleS (sim), maxDurationS and the lab-specific
target.* details (k6); anything else that differs is named and the gate exits 2.
--allow-diff PATH accepts a difference on purpose (gating a changed preset value).

A quantile rule (pullS.p99) is decided from the raw samples in both runs' raw.ndjson: a
bootstrap interval (${DEFAULT_BOOTSTRAP.resamples} seeded resamples, ${DEFAULT_BOOTSTRAP.confidence * 100}%) of candidate - baseline. It
FAILS only when the whole interval is worse than the allowance, PASSES when the whole
interval is within it, and is INCONCLUSIVE when it straddles the allowance or a run has too
few samples (at least 5 beyond the quantile: p50 10, p90 50, p99 500), saying how many
would decide it. Counts (errors.total, throttleEvents) and ratios fail when the candidate
is worse than the baseline by more than the allowance. The allowance is the larger of
tolerance.absolute and tolerance.relative x the baseline's value. The same inputs and
bootstrap seed always give the same verdicts.

Rules file (JSON; replaces the defaults):
  {"rules": [{"metric": "podStartupS.p90", "point": "Mid", "direction": "lower",
              "tolerance": {"relative": 0.05}},
             {"metric": "errors.total", "tolerance": {"absolute": 0}}],
   "bootstrap": {"resamples": 2000, "confidence": 0.95, "seed": 1}}
  metric: ${wrap(knownMetricPaths().join(', '), 84).join('\n          ')}
  point: a configuration label (a sweep's Baseline..Very high); omitted = every configuration
  direction: lower|higher is better (default: the metric's own)
Built-in defaults (kind:name, else kind; the allowance of each rule, worse direction only):
${describeDefaults().join('\n')}

Outputs: the console table (stdout), --junit FILE (one testcase per check; inconclusive is
<skipped>, or a failure under --strict), --markdown FILE (for a CI job summary), and a
comparison page with the verdicts (--report FILE, default <candidate dir>/${GATE_REPORT}).

  stampede baseline save last-good runs/cold-pull-20260101T000000
  stampede gate --baseline last-good --candidate runs/cold-pull-20260102T000000 --junit gate.xml
  stampede gate --baseline runs/a --candidate runs/b --allow-diff storage.copies`,
  flags: {
    baseline: {
      type: 'string',
      hint: 'DIR|NAME',
      description: 'baseline run directory, or a name saved by `stampede baseline save`',
    },
    candidate: { type: 'string', hint: 'DIR', description: 'the run directory under test' },
    rules: { type: 'string', hint: 'FILE', description: 'rules JSON (default: built-in rules for the run)' },
    junit: { type: 'string', hint: 'FILE', description: 'write JUnit XML here' },
    markdown: {
      type: 'string',
      hint: 'FILE',
      description: 'write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)',
    },
    report: {
      type: 'string',
      hint: 'FILE',
      description: `comparison page with the verdicts (default <candidate>/${GATE_REPORT})`,
    },
    strict: { type: 'boolean', description: 'an inconclusive check fails the gate (exit 1)' },
    'allow-diff': {
      type: 'string',
      multiple: true,
      hint: 'PATH',
      description: 'accept a parameter difference (a path or a group, e.g. storage.copies)',
    },
    'baseline-dir': {
      type: 'string',
      hint: 'DIR',
      description: `where saved baselines live (default ./${DEFAULT_BASELINE_DIR})`,
    },
  },
  async run(ctx) {
    const baselineArg = flagString(ctx, 'baseline');
    const candidateArg = flagString(ctx, 'candidate');
    if (baselineArg === undefined)
      throw new InputError('--baseline', 'a run directory or a saved baseline name', undefined);
    if (candidateArg === undefined) throw new InputError('--candidate', 'a run directory', undefined);
    // Every output path and the rules are checked before any run is read.
    const out = (flag: string) => {
      const v = flagString(ctx, flag);
      return v === undefined ? undefined : checkOutFile(`--${flag}`, v);
    };
    const junit = out('junit');
    const markdown = out('markdown');
    const reportFlag = out('report');
    const rulesFlag = flagString(ctx, 'rules');
    const fileRules = rulesFlag === undefined ? undefined : readRulesFile(rulesFlag);
    const allow = flagList(ctx, 'allow-diff').map((p) => {
      if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(p))
        throw new InputError('--allow-diff', 'a parameter path like storage.copies', p);
      return p;
    });

    const b = resolveBaseline(baselineArg, baselineDir(flagString(ctx, 'baseline-dir')));
    const baseline = loadGateRun(b.dir, b.label, 'baseline');
    const candidate = loadGateRun(candidateArg, candidateArg, 'candidate');
    const allowedDiffs = checkComparable(baseline.envelope, candidate.envelope, allow);
    const rules = fileRules ?? defaultRules(baseline.envelope.kind, baseline.envelope.name);
    const result = decideGate({
      baseline,
      candidate,
      rules,
      allowedDiffs,
      strict: ctx.flags.strict === true,
    });

    ctx.io.out(consoleTable(result));
    const reportPath = await writeReport(
      [baseline.dir, candidate.dir],
      reportFlag ?? join(candidate.dir, GATE_REPORT),
      {
        warn: (m) => ctx.io.err(m),
        lead: { html: gateSectionHtml(result), charts: gateCharts(result) },
      },
    );
    if (junit) writeFileAtomic(junit, junitXml(result, new Date()));
    if (markdown) writeFileAtomic(markdown, markdownSummary(result, reportPath));
    ctx.io.out(
      [`report: ${reportPath}`, junit ? `junit: ${junit}` : '', markdown ? `markdown: ${markdown}` : '']
        .filter(Boolean)
        .join('\n'),
    );
    return gateExitCode(result);
  },
});
