/**
 * Reports: run results -> one self-contained HTML page. Chart builders (charts/) are pure
 * spec functions; this entry loads run directories, picks single-run or comparison layout
 * and writes the page.
 */
import { basename, join, resolve } from 'node:path';
import type { Envelope } from '../lib/results/envelope';
import { RAW, REPORT, writeFileAtomic } from '../lib/results/run-dir';
import { describeSweetSpot, type SweetSpot } from '../lib/results/sweet-spot';
import { COMPARE_CHARTS, RUN_CHARTS, renderCharts } from './catalog';
import { formatSeconds, escapeHtml as h } from './format';
import { renderPage } from './html/page';
import { deltaRows, deltaTable, metricsTable, paramsColumnsTable, paramsTable } from './html/tables';
import { aggregateK6, blobSizesOf, frontRegionsOf, type K6Aggregate } from './k6-aggregate';
import { type LoadedRun, loadRun, runDate } from './load-run';
import { unreadableNote } from './read-raw';
import type { ChartEntry, RawRecord, RenderedChart, ReportRun } from './types';

export { COMPARE_CHARTS, RUN_CHARTS } from './catalog';
export { loadRun } from './load-run';
export type { RawRecord, ReportRun, VegaLiteSpec } from './types';

export const COMPARE = 'compare.html';

export interface ReportOptions {
  /** Names of the runs in comparisons; default `<name> #<n>`. */
  labels?: readonly string[];
  /** Where each run came from, shown in the header. */
  dirs?: readonly (string | undefined)[];
  dates?: readonly (string | undefined)[];
  /** Extra notices per run (e.g. "rebuilt from raw.ndjson"), one banner each. */
  notes?: readonly (string | readonly string[] | undefined)[];
  /** A run's own charts (a simulator model's), drawn after the catalog's on its single-run page. */
  charts?: RunCharts;
  /**
   * Each run's k6 points aggregated per time bin (loadRun streams them); when absent, they are
   * aggregated from the run's raw records here.
   */
  aggregates?: readonly (K6Aggregate | undefined)[];
  /** A section above a comparison's charts, with charts of its own (the gate's verdicts). */
  lead?: { html: string; charts: readonly RenderedChart[] };
  /**
   * In a comparison, each measured (k6) run also gets its own section with its whole chart
   * set after the delta table (load over time, pull anatomy, where the bytes went, errors,
   * region answers): the demo's one page then shows the measured run as its own report does.
   */
  runSections?: boolean;
}

/** Charts a run brings besides the catalog's, looked up from its envelope (e.g. by model name). */
export type RunCharts = (envelope: Envelope) => ReadonlyArray<ChartEntry<ReportRun>>;

function metaLine(e: Envelope, date: string | undefined, dir: string | undefined): string {
  const parts = [
    `kind <b>${h(e.kind)}</b>`,
    `seed <b>${Number.isFinite(e.seed) ? h(String(e.seed)) : 'unknown'}</b>`,
    date ? `date <b>${h(date)}</b>` : '',
    e.runtime?.wallMs ? `wall time <b>${h((e.runtime.wallMs / 1000).toFixed(1))} s</b>` : '',
    dir ? `<code>${h(dir)}</code>` : '',
  ].filter(Boolean);
  return `<p class="meta">${parts.map((p) => `<span>${p}</span>`).join('')}</p>`;
}

function banners(e: Envelope, note: string | readonly string[] | undefined, who = ''): string {
  const notes = typeof note === 'string' ? [note] : (note ?? []);
  return (
    (e.incomplete
      ? `<div class="banner incomplete"><b>${who}Incomplete run:</b> ${h(e.incomplete.reason)}. Charts and tables show only what was measured before it stopped.</div>`
      : '') + notes.map((n) => `<div class="banner note">${who}${h(n)}</div>`).join('')
  );
}

/** Where each copy sweep's sweet spot sits (one line per run that has one): how it moves is the point of comparing sweeps. */
function sweetSpotCallout(runs: readonly ReportRun[]): string {
  const lines = runs.flatMap((r) => {
    const spot = r.envelope.metrics.sweetSpot as SweetSpot | undefined;
    if (!spot) return [];
    const who = runs.length > 1 ? `${h(r.label)}: ` : '';
    return [`${who}${h(describeSweetSpot(spot, formatSeconds))}.`];
  });
  if (lines.length === 0) return '';
  return `<p class="callout"><b>Sweet spot${lines.length > 1 ? 's' : ''}:</b>${lines.length > 1 ? '<br>' : ' '}${lines.join('<br>')}</p>`;
}

function singleBody(run: ReportRun, o: ReportOptions): string {
  const e = run.envelope;
  return `<header><h1>${h(e.name)}<span class="badge">${h(e.kind)}</span></h1>
${metaLine(e, o.dates?.[0] ?? runDate(e), o.dirs?.[0])}</header>
${banners(e, o.notes?.[0])}
${sweetSpotCallout([run])}
${paramsTable(e.params, 'Resolved parameters')}
<h2>Metrics</h2>
${metricsTable(e)}
${e.reference ? `<p class="meta">Published reference overlaid where the charts say so: ${h(e.reference.source)}.</p>` : ''}`;
}

function compareBody(runs: readonly ReportRun[], o: ReportOptions): string {
  const list = runs
    .map(
      (r, i) =>
        `<tr><td class="key">${h(r.label)}</td><td>${h(r.envelope.kind)}</td><td>${
          Number.isFinite(r.envelope.seed) ? r.envelope.seed : 'unknown'
        }</td><td>${h(o.dates?.[i] ?? runDate(r.envelope) ?? '')}</td><td>${r.envelope.incomplete ? 'incomplete' : 'complete'}</td><td class="key">${h(
          o.dirs?.[i] ?? '',
        )}</td></tr>`,
    )
    .join('');
  return `<header><h1>Comparison of ${runs.length} runs</h1>
<p class="meta"><span>deltas are against <b>${h(runs[0]?.label ?? '')}</b></span></p></header>
${runs.map((r, i) => banners(r.envelope, o.notes?.[i], `${r.label}: `)).join('')}
<div class="table-wrap"><table><thead><tr><th class="key">run</th><th>kind</th><th>seed</th><th>date</th><th>status</th><th class="key">directory</th></tr></thead><tbody>${list}</tbody></table></div>
${sweetSpotCallout(runs)}
${paramsColumnsTable(
  runs.map((r) => ({ label: r.label, params: r.envelope.params })),
  'Resolved parameters, one column per run',
)}`;
}

/**
 * Why a delta table is (mostly) dashes: deltas pair metrics by configuration label, and runs
 * of different models or scenarios share neither labels nor metrics.
 */
export function deltaNote(runs: readonly ReportRun[]): string | undefined {
  const names = [...new Set(runs.map((r) => r.envelope.name))];
  if (names.length > 1)
    return `These runs are of different models/scenarios (${names.join(', ')}): their configurations and metrics do not match, so most deltas are empty (–). Compare runs of the same model or scenario.`;
  const comparable = deltaRows(runs).some((r) => r.others.some((o) => o.delta !== undefined));
  if (!comparable)
    return 'No metric appears in both runs under the same configuration label, so every delta is empty (–).';
  return undefined;
}

/** After the charts: the table is long (every metric of every configuration). */
function compareTail(runs: readonly ReportRun[]): string {
  const note = deltaNote(runs);
  return `<h2>Metric deltas vs ${h(runs[0]?.label ?? '')}</h2>
${note ? `<div class="banner note">${h(note)}</div>` : ''}
<details open><summary>Every metric per configuration; red is higher than the first run, green lower</summary>${deltaTable(runs)}</details>`;
}

/** Disambiguates equal labels (same run name and dir basename) by position. */
function uniqueLabels(labels: string[]): string[] {
  return labels.map((l, i) =>
    labels.indexOf(l) !== i || labels.lastIndexOf(l) !== i ? `${l} #${i + 1}` : l,
  );
}

export function buildReportHtml(
  envelopes: readonly Envelope[],
  raws: readonly (readonly RawRecord[] | undefined)[] = [],
  o: ReportOptions = {},
): string {
  if (envelopes.length === 0) throw new TypeError('buildReportHtml needs at least one envelope');
  const labels = uniqueLabels(envelopes.map((e, i) => o.labels?.[i] ?? `${e.name} #${i + 1}`));
  const runs: ReportRun[] = envelopes.map((envelope, i) => {
    const raw = raws[i] ?? [];
    const k6 =
      o.aggregates?.[i] ??
      aggregateK6(raw, {
        blobSizes: blobSizesOf(envelope.params),
        frontRegions: frontRegionsOf(envelope.params),
      });
    return { envelope, raw, label: labels[i] ?? '', ...(k6 && { k6 }) };
  });
  const [first] = runs;
  if (runs.length === 1 && first) {
    return renderPage({
      title: `stampede report: ${first.envelope.name}`,
      body: singleBody(first, o),
      charts: [...renderCharts(RUN_CHARTS, first), ...renderCharts(o.charts?.(first.envelope) ?? [], first)],
    });
  }
  return renderPage({
    title: `stampede comparison: ${runs.map((r) => r.envelope.name).join(' vs ')}`,
    body: compareBody(runs, o) + (o.lead?.html ?? ''),
    charts: [...(o.lead?.charts ?? []), ...renderCharts(COMPARE_CHARTS, runs)],
    tail: compareTail(runs),
    ...(o.runSections && { sections: measuredSections(runs, o) }),
  });
}

/** One section per measured run of a comparison: its header line and its own charts. */
function measuredSections(runs: readonly ReportRun[], o: ReportOptions) {
  return runs.flatMap((run, i) =>
    run.envelope.kind === 'k6'
      ? [
          {
            body: `<h2>${h(run.label)}: the measured run on its own</h2>
${metaLine(run.envelope, o.dates?.[i] ?? runDate(run.envelope), o.dirs?.[i])}`,
            charts: renderCharts(RUN_CHARTS, run, `run${i}-`),
          },
        ]
      : [],
  );
}

/**
 * Several different runs on one page, each with its own header and full chart set (the
 * demo puts the lab's measured k6 pull next to the simulations). Unlike a comparison, the
 * runs need not be of the same kind.
 */
export async function writeDashboard(
  runDirs: readonly string[],
  outFile: string,
  intro: { title: string; html: string },
): Promise<string> {
  const loaded = runDirs.map(loadRun);
  const sections = loaded.map((l, i) => {
    const run: ReportRun = {
      envelope: l.envelope,
      raw: l.raw,
      label: l.envelope.name,
      ...(l.k6 && { k6: l.k6 }),
    };
    const o: ReportOptions = { dirs: [l.dir], dates: [l.date], notes: [loadNotes(l)] };
    return { body: singleBody(run, o), charts: renderCharts(RUN_CHARTS, run, `run${i}-`) };
  });
  const html = renderPage({
    title: intro.title,
    body: `<header><h1>${h(intro.title)}</h1></header>${intro.html}`,
    charts: [],
    sections,
  });
  const out = resolve(outFile);
  writeFileAtomic(out, html);
  return out;
}

/** What the reader must know about how a run was read: rebuilt from raw, lines skipped. */
export function loadNotes(l: LoadedRun): string[] {
  const notes: string[] = [];
  if (l.fromRaw)
    notes.push(
      l.envelope.kind === 'k6'
        ? "summary.json was missing: this report was rebuilt from raw.ndjson alone (k6's points, summarised by the run command's own code). The resolved parameters and the lab's per-backend stats are written only to summary.json, so they are missing here."
        : 'summary.json was missing: this report was rebuilt from raw.ndjson alone.',
    );
  const skipped = unreadableNote(l.unreadable);
  if (skipped) notes.push(`${skipped}: the charts and tables leave them out.`);
  return notes;
}

export interface WriteReportOptions {
  /** Told about anything the page warns of (skipped raw lines), e.g. the console. */
  warn?(message: string): void;
  /** A run's own charts (see ReportOptions.charts). */
  charts?: RunCharts;
  /** See ReportOptions.lead. */
  lead?: ReportOptions['lead'];
  /** See ReportOptions.runSections. */
  runSections?: boolean;
}

/** Builds report.html (one dir) or compare.html (several) and returns its absolute path. */
export async function writeReport(
  runDirs: readonly string[],
  outFile?: string,
  wo: WriteReportOptions = {},
): Promise<string> {
  const loaded = runDirs.map(loadRun);
  for (const l of loaded) {
    const skipped = unreadableNote(l.unreadable);
    if (skipped) wo.warn?.(`warning: ${join(l.dir, RAW)}: ${skipped}`);
  }
  const [first] = loaded;
  if (!first) throw new TypeError('writeReport needs at least one run directory');
  const html = buildReportHtml(
    loaded.map((l) => l.envelope),
    loaded.map((l) => l.raw),
    {
      labels: loaded.map((l) => `${l.envelope.name} (${basename(l.dir)})`),
      dirs: loaded.map((l) => l.dir),
      dates: loaded.map((l) => l.date),
      notes: loaded.map(loadNotes),
      aggregates: loaded.map((l) => l.k6),
      ...(wo.charts && { charts: wo.charts }),
      ...(wo.lead ? { lead: wo.lead } : {}),
      ...(wo.runSections && { runSections: true }),
    },
  );
  const out = resolve(outFile ?? join(first.dir, loaded.length === 1 ? REPORT : COMPARE));
  writeFileAtomic(out, html);
  return out;
}
