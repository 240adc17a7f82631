/**
 * Assembles the one self-contained page: inline CSS, inlined vega libraries, the specs as a
 * JSON island, and the boot script. Specs go in an application/json script (not JS) so
 * data strings can never execute; "<" is escaped so no value can close the tag.
 */
import { escapeHtml as h } from '../format';
import type { RenderedChart } from '../types';
import { BOOT_SCRIPT, EMBED_CONFIG } from './boot';
import { CSS } from './style';
import { vendorScripts } from './vendor';

export function jsonIsland(id: string, value: unknown): string {
  const json = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" id="${id}">${json}</script>`;
}

export function chartSection(c: RenderedChart): string {
  return `<section class="chart" data-chart="${h(c.id)}">
<h2>${h(c.title)}</h2>
<div class="vis" id="chart-${h(c.id)}" data-chart="${h(c.id)}"></div>
<p class="caption">${h(c.caption)}</p>
</section>`;
}

export interface PageParts {
  title: string;
  /** Trusted HTML built by this module's callers from escaped pieces. */
  body: string;
  charts: readonly RenderedChart[];
  /** Trusted HTML after the charts (the comparison's long delta table). */
  tail?: string;
  /** Further runs on the same page, each its own header and charts (the demo's dashboard), after the tail. */
  sections?: ReadonlyArray<{ body: string; charts: readonly RenderedChart[] }>;
}

export function renderPage(p: PageParts): string {
  const sections = p.sections ?? [];
  const specs = [...p.charts, ...sections.flatMap((x) => x.charts)].map((c) => ({ id: c.id, spec: c.spec }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="stampede report">
<title>${h(p.title)}</title>
<style>${CSS}</style>
${vendorScripts()
  .map((s) => `<script>${s}</script>`)
  .join('\n')}
</head>
<body>
<main>
${p.body}
${p.charts.map(chartSection).join('\n')}
${p.tail ?? ''}
${sections.map((x) => `<hr>\n${x.body}\n${x.charts.map(chartSection).join('\n')}`).join('\n')}
<footer>Built by <code>stampede report</code> from the run directory's summary.json and raw.ndjson; rebuild it at any time with the same command. Charts: vega-lite (inlined, works offline).</footer>
</main>
${jsonIsland('stampede-specs', specs)}
${jsonIsland('stampede-config', EMBED_CONFIG)}
<script>${BOOT_SCRIPT}</script>
</body>
</html>
`;
}
