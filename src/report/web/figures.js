// A page of figures (`gpufleet plan ... --html`, `gpufleet experiment ... --html`; docs/REPORT.md,
// "HTML pages of plan and experiment"): the command describes its tables and plots in order
// (report/figures_page.h), embedded as JSON with the command's own output as the record; this
// draws them with plot.js.
(function () {
  'use strict';
  const {el, table, plot} = window.gpufleetPages;
  const page = JSON.parse(document.getElementById('gpufleet-report').textContent);
  const root = document.getElementById('gpufleet-root');
  const width = () => Math.min(1100, Math.max(320, root.clientWidth - 20));

  root.appendChild(el('h1', {}, page.title));
  root.appendChild(el('p', {class: 'note'}, [el('code', {}, page.command), ' - ' +
      (root.dataset.version || '')]));
  for (const b of page.blocks) {
    if (b.kind === 'note') {
      root.appendChild(el('p', {class: 'note'}, b.text));
      continue;
    }
    root.appendChild(el('h2', {}, b.title));
    if (b.kind === 'figures') {
      root.appendChild(table(['figure', 'value'],
          b.rows.map(([name, value]) => [name, {value, key: b.id + '.' + name}]),
          {id: b.id, class: 'summary'}));
    } else if (b.kind === 'table') {
      root.appendChild(table(b.header, b.rows, {id: b.id}));
    } else if (b.kind === 'plot') {
      plot(root, {id: b.id, title: '', unit: b.unit, x: b.x, xName: b.x_name,
                    xLabel: b.x_label, width, logX: b.log_x, logY: b.log_y, asinh: b.asinh_y,
                    spanGaps: true,
                    lines: b.lines.map((l) => ({label: l.label, values: l.values,
                                                dash: l.dashed ? [6, 4] : undefined}))});
    }
  }
  document.body.dataset.plots = String(root.querySelectorAll('section.plot canvas').length);
  document.body.dataset.ready = 'true';
})();
