/**
 * The page's own script: embeds every chart and exposes `window.__stampedeRendered`, a
 * promise of per-chart outcomes, so tests (and anyone scripting a browser) know when the
 * page is done. A chart that fails says so in place and on the console instead of
 * leaving a silent gap.
 */
export const EMBED_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eaeef2' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, labelFontWeight: 600 },
  view: { stroke: '#d0d7de' },
};

export const BOOT_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('stampede-specs').textContent);
  var config = JSON.parse(document.getElementById('stampede-config').textContent);
  var options = {
    renderer: 'svg',
    config: config,
    actions: { export: true, source: false, compiled: false, editor: false }
  };
  window.__stampedeRendered = Promise.all(specs.map(function (c) {
    var el = document.getElementById('chart-' + c.id);
    return vegaEmbed(el, c.spec, options).then(
      function () { return { id: c.id, ok: true }; },
      function (err) {
        el.textContent = 'This chart failed to render: ' + (err && err.message);
        el.classList.add('failed');
        console.error('stampede: chart ' + c.id + ' failed: ' + (err && err.message));
        return { id: c.id, ok: false, error: String(err && err.message) };
      });
  }));
})();
`;
