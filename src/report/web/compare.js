// The page of `gpufleet compare --html` (docs/REPORT.md, "Comparing runs"): the comparison's
// table - each run's figures, and every run after the first against it (difference and ratio) -
// then the runs overlaid, one line each: GPUs busy and the fleet's IT power over simulated time,
// and the completed jobs' JCT and queue wait by percentile (the CDF on its side).
(function () {
  'use strict';
  const {el, fmt, table, plot} = window.gpufleetPages;
  const data = JSON.parse(document.getElementById('gpufleet-report').textContent);
  const comparison = data.comparison;
  const runs = data.runs;
  const root = document.getElementById('gpufleet-root');
  const letter = (i) => String.fromCharCode(65 + i);
  const width = () => Math.min(1100, Math.max(320, root.clientWidth - 20));

  root.appendChild(el('h1', {}, 'gpufleet comparison'));
  root.appendChild(table(['run', 'report'], comparison.runs.map((label, i) => [
    letter(i), label + (i === 0 ? ' (the baseline)' : '')]), {id: 'runs'}));
  for (const note of comparison.notes) root.appendChild(el('p', {class: 'note'}, 'note: ' + note));
  root.appendChild(el('p', {class: 'note'},
      'gpufleet ' + (root.dataset.version || '').replace(/^gpufleet /, '')));

  // --- the figures ---
  root.appendChild(el('h2', {}, 'Figures'));
  const others = comparison.runs.slice(1).map((_, i) => letter(i + 1));
  const ratio = (v) => (v === null ? '-' : v.toFixed(3) + 'x');
  const signed = (v) => (v === null ? '-' : (v > 0 ? '+' : '') + fmt(v));
  // Each cell carries "FIGURE|COLUMN" (data-value), for the browser test.
  root.appendChild(table(
      ['figure'].concat(comparison.runs.map((_, i) => letter(i)),
                        others.map((r) => r + ' - A'), others.map((r) => r + ' / A')),
      comparison.rows.map((row) => [row.name].concat(
          row.values.map((v, i) => ({value: v, key: row.name + '|' + letter(i)})),
          row.diff.map((v, i) => ({node: signed(v), key: row.name + '|' + others[i] + ' - A'})),
          row.ratio.map((v, i) => ({node: ratio(v), key: row.name + '|' + others[i] + ' / A'})))),
      {id: 'comparison'}));

  // --- the runs overlaid ---
  const plots = el('div', {id: 'gpufleet-plots'});
  root.appendChild(el('h2', {}, 'The runs overlaid'));
  root.appendChild(plots);
  const label = (i) => letter(i) + ': ' + comparison.runs[i];

  // The series of every run on one x axis (simulated days): the union of their interval starts,
  // a run's value where it has one, a gap elsewhere (runs of other intervals or lengths).
  const withSeries = runs.map((r, i) => ({i, s: r.series})).filter((r) => r.s !== null);
  const missing = runs.map((r, i) => i).filter((i) => runs[i].series === null);
  if (missing.length > 0) {
    plots.appendChild(el('p', {class: 'note'}, 'No time series in ' +
        missing.map(letter).join(', ') + ' (run gpufleet sim with --series or --html).'));
  }
  if (withSeries.length > 0) {
    const starts = [...new Set(withSeries.flatMap((r) => r.s.start_s))].sort((a, b) => a - b);
    const at = new Map(starts.map((t, k) => [t, k]));
    const aligned = (r, values) => {
      const out = new Array(starts.length).fill(null);
      r.s.start_s.forEach((t, k) => {
        out[at.get(t)] = values[k];
      });
      return out;
    };
    const overTime = (id, title, unit, valuesOf) => {
      const lines = withSeries.filter((r) => valuesOf(r.s) !== null)
          .map((r) => ({label: label(r.i), values: aligned(r, valuesOf(r.s))}));
      if (lines.length === 0) return;
      plot(plots, {id, title, unit, lines, width, spanGaps: true,
                   x: starts.map((t) => t / 86400), xName: 'day',
                   xLabel: 'simulated time (days)', rowsX: () => starts, rowsXName: 'start (s)'});
    };
    overTime('gpus-busy', 'GPUs busy, run by run', 'GPUs', (s) => s.gpus_busy);
    overTime('power', 'IT power of the fleet, run by run', 'MW',
             (s) => (s.it_power_w === null ? null : s.it_power_w.map((w) => w / 1e6)));
  }
  const percentiles = Array.from({length: 101}, (_, i) => i);
  for (const [key, what] of [['jct_s', 'Job completion time'], ['queue_s', 'Queue wait']]) {
    const lines = runs.map((r, i) => ({i, q: r.distributions ? r.distributions[key] : null}))
        .filter((r) => r.q && r.q.count > 0)
        .map((r) => ({label: label(r.i) + ' (' + r.q.count.toLocaleString('en-US') + ' jobs)',
                      values: r.q.p}));
    if (lines.length === 0) continue;
    plot(plots, {id: key + '-cdf', title: what + ' by percentile, run by run',
                 unit: 'seconds (asinh scale)', lines, width, asinh: true, x: percentiles,
                 xName: 'percentile', xLabel: 'percentile of the completed jobs'});
  }
  document.body.dataset.plots = String(plots.querySelectorAll('canvas').length);
  document.body.dataset.ready = 'true';
})();
