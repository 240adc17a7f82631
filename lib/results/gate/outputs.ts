/**
 * The gate's verdicts in the three forms a CI job reads: a console table, JUnit XML (one
 * testcase per check; a failure carries the figures; an inconclusive check is <skipped>, or
 * a <failure type="inconclusive"> under --strict) and a Markdown summary for a job summary
 * page (GitHub's $GITHUB_STEP_SUMMARY, GitLab's report artifacts).
 */
import type { Check, GateResult, Verdict } from './decide';
import { fmtValue } from './decide';
import { toleranceText } from './rules';

const MARK: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE' };

function ciText(c: Check): string {
  return c.ci ? `[${fmtValue(c.ci.lo, c.unit)}, ${fmtValue(c.ci.hi, c.unit)}]` : '';
}

function deltaText(c: Check): string {
  if (c.delta === undefined || c.baseline === undefined) return '';
  const rel =
    c.baseline === 0
      ? ''
      : ` (${c.delta >= 0 ? '+' : ''}${((100 * c.delta) / Math.abs(c.baseline)).toFixed(1)}%)`;
  return `${c.delta >= 0 ? '+' : '-'}${fmtValue(Math.abs(c.delta), c.unit)}${rel}`;
}

function allowedText(c: Check): string {
  if (c.allowance === undefined) return toleranceText(c.tolerance);
  return `${c.direction === 'lower' ? '+' : '-'}${fmtValue(c.allowance, c.unit)}`;
}

function samplesText(c: Check): string {
  return c.samples ? `${c.samples.baseline}/${c.samples.candidate}` : '';
}

function verdictLine(r: GateResult): string {
  const n = (v: Verdict) => r.checks.filter((c) => c.verdict === v).length;
  const strict =
    r.verdict === 'inconclusive'
      ? r.strict
        ? ' (fails under --strict)'
        : ' (passes; --strict would fail it)'
      : '';
  return `gate ${MARK[r.verdict]}${strict}: ${n('pass')} passed, ${n('fail')} failed, ${n('inconclusive')} inconclusive of ${r.checks.length} checks`;
}

export function consoleTable(r: GateResult): string {
  const head = ['verdict', 'check', 'baseline', 'candidate', 'delta', 'allowed', 'CI of delta', 'n (b/c)'];
  const rows = r.checks.map((c) => [
    MARK[c.verdict],
    c.name,
    fmtValue(c.baseline, c.unit),
    fmtValue(c.candidate, c.unit),
    deltaText(c),
    allowedText(c),
    ciText(c),
    samplesText(c),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((x, i) => x.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const notes = r.checks
    .filter((c) => c.verdict !== 'pass')
    .map((c) => `  ${MARK[c.verdict]} ${c.name}: ${c.message}`);
  return [
    `gate ${r.kind} ${r.name}: baseline ${r.baseline.label} (seed ${r.baseline.seed}) vs candidate ${r.candidate.label} (seed ${r.candidate.seed}); rules: ${r.rulesSource}`,
    ...(r.allowedDiffs.length
      ? [
          `allowed parameter changes: ${r.allowedDiffs.map((d) => `${d.path} ${JSON.stringify(d.baseline)} -> ${JSON.stringify(d.candidate)}`).join(', ')}`,
        ]
      : []),
    line(head),
    ...rows.map(line),
    ...notes,
    ...r.notes.map((n) => `note: ${n}`),
    verdictLine(r),
  ].join('\n');
}

/** XML 1.0 text: escaped, and without the control characters XML cannot carry at all. */
export function xmlEscape(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

export function junitXml(r: GateResult, now: Date): string {
  const failing = (c: Check) => c.verdict === 'fail' || (c.verdict === 'inconclusive' && r.strict);
  const failures = r.checks.filter(failing).length;
  const skipped = r.checks.filter((c) => c.verdict === 'inconclusive' && !r.strict).length;
  const suite = `stampede gate ${r.kind} ${r.name}`;
  const classname = `stampede.gate.${r.kind}.${r.name}`;
  const props = [
    ['baseline', r.baseline.dir],
    ['candidate', r.candidate.dir],
    ['baseline.seed', String(r.baseline.seed)],
    ['candidate.seed', String(r.candidate.seed)],
    ['rules', r.rulesSource],
    ['verdict', r.verdict],
    ...r.notes.map((n, i) => [`note.${i + 1}`, n]),
  ];
  const cases = r.checks.map((c) => {
    const open = `    <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(c.name)}" time="0"`;
    const detail = [
      `metric: ${c.metric}${c.point ? ` @ ${c.point}` : ''}`,
      `baseline: ${fmtValue(c.baseline, c.unit)}`,
      `candidate: ${fmtValue(c.candidate, c.unit)}`,
      `delta: ${deltaText(c) || '–'}`,
      `allowed: ${allowedText(c)} (${c.direction} is better)`,
      ...(c.ci
        ? [`${Math.round(c.ci.confidence * 100)}% CI of delta: ${ciText(c)} (${c.ci.resamples} resamples)`]
        : []),
      ...(c.samples
        ? [
            `samples: baseline ${c.samples.baseline}, candidate ${c.samples.candidate}, needed ${c.samples.needed}`,
          ]
        : []),
    ].join('\n');
    if (failing(c)) {
      const type = c.verdict === 'fail' ? 'regression' : 'inconclusive';
      return `${open}>\n      <failure type="${type}" message="${xmlEscape(c.message)}">${xmlEscape(detail)}</failure>\n    </testcase>`;
    }
    if (c.verdict === 'inconclusive')
      return `${open}>\n      <skipped message="${xmlEscape(`inconclusive: ${c.message}`)}"/>\n      <system-out>${xmlEscape(detail)}</system-out>\n    </testcase>`;
    return `${open}>\n      <system-out>${xmlEscape(`${c.message}\n${detail}`)}</system-out>\n    </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="stampede gate" tests="${r.checks.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0">
  <testsuite name="${xmlEscape(suite)}" tests="${r.checks.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0" timestamp="${now.toISOString().replace(/\.\d+Z$/, '')}">
    <properties>
${props.map(([k, v]) => `      <property name="${xmlEscape(k ?? '')}" value="${xmlEscape(v ?? '')}"/>`).join('\n')}
    </properties>
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownSummary(r: GateResult, reportPath?: string): string {
  const icon: Record<Verdict, string> = { pass: '✅', fail: '❌', inconclusive: '⚠️' };
  const lines = [
    `## ${icon[r.verdict]} stampede gate: ${r.kind} ${mdCell(r.name)} — ${MARK[r.verdict]}`,
    '',
    `Baseline \`${mdCell(r.baseline.label)}\` (seed ${r.baseline.seed}) vs candidate \`${mdCell(r.candidate.label)}\` (seed ${r.candidate.seed}). Rules: ${mdCell(r.rulesSource)}.`,
    '',
    verdictLine(r),
    '',
    '| | check | baseline | candidate | delta | allowed | CI of delta | n (b/c) |',
    '|---|---|---:|---:|---:|---:|---|---:|',
    ...r.checks.map(
      (c) =>
        `| ${icon[c.verdict]} | ${mdCell(c.name)} | ${fmtValue(c.baseline, c.unit)} | ${fmtValue(c.candidate, c.unit)} | ${mdCell(deltaText(c))} | ${mdCell(allowedText(c))} | ${mdCell(ciText(c))} | ${samplesText(c)} |`,
    ),
  ];
  const notes = r.checks.filter((c) => c.verdict !== 'pass');
  if (notes.length)
    lines.push('', ...notes.map((c) => `- **${MARK[c.verdict]} ${mdCell(c.name)}**: ${mdCell(c.message)}`));
  if (r.allowedDiffs.length)
    lines.push(
      '',
      `Allowed parameter changes: ${r.allowedDiffs.map((d) => `\`${d.path}\` ${JSON.stringify(d.baseline)} → ${JSON.stringify(d.candidate)}`).join(', ')}.`,
    );
  if (reportPath) lines.push('', `Comparison report: \`${reportPath}\``);
  return `${lines.join('\n')}\n`;
}
