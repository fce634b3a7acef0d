// gpufleet's HTML report (docs/REPORT.md, "HTML report"): draws a `gpufleet sim` report, embedded
// in the page as JSON, with uPlot (embedded too: the page works offline). Every plot has a title,
// axes with units, values under the cursor in its legend, and its data as a table on demand.
(function () {
  'use strict';
  const report = JSON.parse(document.getElementById('gpufleet-report').textContent);
  const series = report.series || null;
  const root = document.getElementById('gpufleet-root');
  const palette = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2',
                   '#97bbf5', '#9c6b4e', '#9498a0'];

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of [].concat(children || [])) {
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return '-';
    if (typeof v !== 'number') return String(v);
    if (Math.abs(v) >= 1000 || Number.isInteger(v)) return Math.round(v).toLocaleString('en-US');
    return v.toPrecision(digits || 4);
  }
  function get(obj, path) {
    return path.split('.').reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
  }
  function table(header, rows, cls) {
    return el('table', {class: cls || 'figures'}, [
      el('thead', {}, el('tr', {}, header.map((h) => el('th', {}, h)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, fmt(c))))))]);
  }

  // --- the inputs and the summary ---
  root.appendChild(el('h1', {}, 'gpufleet report'));
  const run = report.run || {};
  root.appendChild(el('h2', {}, 'Inputs'));
  root.appendChild(table(['input', 'value'], [
    ['fleet', run.fleet], ['fleet fingerprint', run.fleet_fingerprint],
    ['workload', run.workload], ['workload fingerprint', run.workload_fingerprint],
    ['policy', run.policy], ['seed', run.seed],
    ['until (s)', run.until_s === null ? 'every job done' : run.until_s],
    ['gpufleet', document.getElementById('gpufleet-root').dataset.version]], 'inputs'));
  root.appendChild(el('h2', {}, 'Summary'));
  const figures = [
    ['jobs submitted', 'jobs.submitted'], ['jobs completed', 'jobs.completed'],
    ['jobs rejected', 'jobs.rejected'], ['jobs pending at the end', 'jobs.pending_at_end'],
    ['queue wait p50 / p95 / p99 (s)', ['jobs.queue_s.p50', 'jobs.queue_s.p95', 'jobs.queue_s.p99']],
    ['JCT p50 / p95 / p99 (s)', ['jobs.jct_s.p50', 'jobs.jct_s.p95', 'jobs.jct_s.p99']],
    ['GPUs', 'gpus.total'], ['GPU utilization', 'gpus.utilization'],
    ['GPU-hours held', 'gpus.allocated_gpu_hours'], ['preemptions', 'jobs.preemptions'],
    ['interruptions', 'jobs.interruptions'], ['GPU-hours lost', 'jobs.lost_gpu_hours'],
    ['goodput', 'jobs.goodput'], ['IT energy (MWh)', 'energy.it_mwh'],
    ['facility energy (MWh)', 'energy.total_mwh'], ['cost (USD)', 'cost.total_usd'],
    ['makespan (s)', 'makespan_s']];
  root.appendChild(table(['figure', 'value'], figures.map(([name, path]) => [
    name, Array.isArray(path) ? path.map((p) => fmt(get(report, p))).join(' / ')
                              : get(report, path)]), 'summary'));
  if (Array.isArray(report.tenants) && report.tenants.length > 0) {
    root.appendChild(el('h2', {}, 'Tenants'));
    root.appendChild(table(
        ['tenant', 'submitted', 'completed', 'GPU-hours', 'queue wait p95 (s)', 'JCT p50 (s)'],
        report.tenants.map((t) => [t.name, t.submitted, t.completed, t.gpu_hours,
                                   get(t, 'queue_s.p95'), get(t, 'jct_s.p50')]), 'tenants'));
  }

  // --- the plots ---
  const plots = el('div', {id: 'gpufleet-plots'});
  root.appendChild(el('h2', {}, 'Over time'));
  root.appendChild(plots);
  if (!series) {
    plots.appendChild(el('p', {class: 'note'},
        'This report has no time series: run gpufleet sim with --series (or --html) to get one.'));
    return;
  }
  const days = series.start_s.map((s) => s / 86400);
  const width = () => Math.min(1100, Math.max(320, root.clientWidth - 20));

  // One plot: `lines` are {label, values, color?, dash?, bars?}; stacked lines are drawn as
  // cumulative bands, their legend showing each one's own value.
  function plot(id, title, unit, lines, opts) {
    opts = opts || {};
    const box = el('section', {class: 'plot', id: id});
    box.appendChild(el('h3', {}, title));
    plots.appendChild(box);
    const shown = lines.map((l) => l.values.slice());
    if (opts.stacked) {
      for (let i = 1; i < shown.length; ++i)
        for (let j = 0; j < shown[i].length; ++j) shown[i][j] += shown[i - 1][j];
    }
    const uSeries = [{label: 'day'}].concat(lines.map((l, i) => ({
      label: l.label,
      stroke: l.color || palette[i % palette.length],
      fill: opts.stacked ? (l.color || palette[i % palette.length]) + '55' : undefined,
      dash: l.dash,
      width: 1.5,
      paths: l.bars ? uPlot.paths.bars({size: [0.8, 40]}) : undefined,
      value: (u, v, si, di) => (di === null || di === undefined ? '-' : fmt(lines[si - 1].values[di])),
    })));
    // A stacked band fills down to the one below it.
    const bands = opts.stacked ? lines.slice(1).map((_, i) => ({series: [i + 2, i + 1]})) : [];
    const x = opts.x || days;
    uSeries[0].label = opts.xName || 'day';
    const options = {
      width: width(), height: 300, series: uSeries, bands: bands,
      // asinh: a log-like scale that holds 0 (waits of jobs that started at once).
      scales: {x: {time: false}, y: opts.asinh ? {distr: 4, asinh: 1} : {}},
      axes: [{label: opts.xLabel || 'simulated time (days)'}, {label: unit, size: 70}],
      cursor: {drag: {x: true, y: false}},
    };
    new uPlot(options, [x].concat(shown), box);
    // The data behind the plot, built when first opened (a 30-day run has ~700 rows).
    const rowsX = opts.x || series.start_s;
    const details = el('details', {}, el('summary', {}, 'Data'));
    details.addEventListener('toggle', function once() {
      details.removeEventListener('toggle', once);
      details.appendChild(table([opts.x ? opts.xName : 'start (s)'].concat(lines.map((l) => l.label)),
          rowsX.map((v, i) => [v].concat(lines.map((l) => l.values[i]))), 'data'));
    });
    box.appendChild(details);
  }
  const named = (obj) => Object.entries(obj || {}).map(([label, values]) => ({label, values}));

  plot('gpus-by-tenant', 'GPUs busy by tenant', 'GPUs', named(series.gpus_busy_by_tenant),
       {stacked: true});
  plot('gpus-by-site', 'GPUs busy by site', 'GPUs', named(series.gpus_busy_by_site),
       {stacked: true});
  plot('gpus', 'GPUs busy and up', 'GPUs', [
    {label: 'busy', values: series.gpus_busy},
    {label: 'on healthy nodes', values: series.gpus_up, dash: [6, 4]}]);
  const sites = Object.entries(series.sites || {});
  if (sites.length > 0) {
    const power = [];
    sites.forEach(([name, s], i) => {
      const c = palette[i % palette.length];
      power.push({label: name + ' IT', values: s.it_power_w.map((w) => w / 1e6), color: c});
      power.push({label: name + ' facility', values: s.facility_power_w.map((w) => w / 1e6),
                  color: c, dash: [2, 2]});
      if (s.budget_w > 0)
        power.push({label: name + ' budget', values: s.it_power_w.map(() => s.budget_w / 1e6),
                    color: c, dash: [8, 4]});
    });
    plot('power', 'Power by site against its budget', 'MW', power);
    plot('cap', 'GPU power cap by site (1: none)', 'fraction of full power',
         sites.map(([name, s]) => ({label: name, values: s.gpu_cap})));
    plot('pue', 'PUE by site', 'facility / IT', sites.map(([name, s]) => ({label: name, values: s.pue})));
  }
  plot('queue', 'The queue', 'jobs and GPUs', [
    {label: 'jobs waiting', values: series.queue_jobs},
    {label: 'GPUs they ask for', values: series.queue_gpus, dash: [6, 4]}]);
  plot('nodes', 'Nodes down', 'nodes', [{label: 'down', values: series.nodes_down}]);
  const events = Object.entries(series.interruptions || {})
      .filter(([, v]) => v.some((x) => x > 0))
      .map(([label, values]) => ({label: 'interrupted: ' + label, values, bars: true}));
  if (series.preemptions.some((x) => x > 0))
    events.push({label: 'preempted', values: series.preemptions, bars: true});
  if (events.length > 0)
    plot('interruptions', 'Interruptions and preemptions per interval', 'job runs', events,
         {stacked: true});
  // Distributions of the completed jobs: each percentile's value, by tenant and by job size (the
  // CDF on its side, so that every group shares the percentile axis).
  const dist = report.distributions;
  if (dist) {
    const percentiles = Array.from({length: 101}, (_, i) => i);
    const groups = (by) => Object.entries(by || {}).filter(([, q]) => q.count > 0)
        .map(([label, q]) => ({label: label + ' (' + q.count.toLocaleString('en-US') + ')', values: q.p}));
    for (const [key, what] of [['jct_s', 'Job completion time'], ['queue_s', 'Queue wait']]) {
      if (!dist[key] || dist[key].all.count === 0) continue;
      for (const [by, whom] of [['by_tenant', 'tenant'], ['by_size', 'job size (GPUs)']]) {
        plot(key + '-' + by, what + ' by percentile, by ' + whom, 'seconds (asinh scale)',
             groups(dist[key][by]),
             {x: percentiles, xName: 'percentile', xLabel: 'percentile of the completed jobs',
              asinh: true});
      }
    }
  }
  document.body.dataset.plots = String(plots.querySelectorAll('canvas').length);
})();
