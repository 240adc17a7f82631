/** The page's only stylesheet: readable printed or on screen, no external fonts. */
export const CSS = `
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; --warn: #9a6700; --warn-bg: #fff8c5; --bad: #cf222e; --bad-bg: #ffebe9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; background: var(--bg); border: 1px solid var(--line); vertical-align: middle; margin-left: 8px; }
.meta { color: var(--muted); margin: 0; }
.meta span + span::before { content: " · "; }
.banner { margin: 16px 0; padding: 10px 14px; border-radius: 6px; border: 1px solid; }
.banner.incomplete { color: var(--bad); background: var(--bad-bg); border-color: #ffcecb; }
.callout { margin: 16px 0; padding: 10px 14px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); }
.banner.note { color: var(--warn); background: var(--warn-bg); border-color: #eed888; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
details { margin: 12px 0; }
summary { cursor: pointer; font-weight: 600; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: var(--bg); font-weight: 600; }
td.key, th.key { text-align: left; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
td.text { text-align: left; white-space: normal; max-width: 560px; word-break: break-all; }
td.unit { text-align: left; color: var(--muted); }
details.fold summary { font-weight: normal; }
details.fold pre { margin: 4px 0; white-space: pre-wrap; word-break: break-all; font-size: 12px; max-height: 320px; overflow-y: auto; }
table.params td.text { max-width: 720px; }
td.up { color: var(--bad); } td.down { color: #1a7f37; }
tr.group td { background: #fafbfc; font-weight: 600; text-align: left; }
.table-wrap { overflow-x: auto; }
section.chart { margin-top: 28px; }
.vis { overflow-x: auto; min-height: 40px; }
.vis.failed { color: var(--bad); }
.caption { color: var(--muted); margin: 6px 0 0; max-width: 860px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
`;
