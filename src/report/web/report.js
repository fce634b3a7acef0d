// gpufleet's HTML report (docs/REPORT.md, "HTML report"): draws a `gpufleet sim` report, embedded
// in the page as JSON, with plot.js and uPlot (embedded too: the page works offline).
(function () {
  'use strict';
  const report = JSON.parse(document.getElementById('gpufleet-report').textContent);
  const series = report.series || null;
  const root = document.getElementById('gpufleet-root');
  const {palette, el, fmt, get, table} = window.gpufleetPages;

  // --- the inputs and the summary ---
  root.appendChild(el('h1', {}, 'gpufleet report'));
  const run = report.run || {};
  root.appendChild(el('h2', {}, 'Inputs'));
  root.appendChild(table(['input', 'value'], [
    ['fleet', run.fleet], ['fleet fingerprint', run.fleet_fingerprint],
    ['workload', run.workload], ['workload fingerprint', run.workload_fingerprint],
    ['policy', run.policy], ['dispatch', run.dispatch || 'best-fit'], ['seed', run.seed],
    ['until (s)', run.until_s === null ? 'every job done' : run.until_s],
    ['gpufleet', document.getElementById('gpufleet-root').dataset.version]],
    {class: 'inputs', id: 'inputs'}));
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
  // Each single figure's cell carries its JSON path (data-value), for the browser test.
  root.appendChild(table(['figure', 'value'], figures.map(([name, path]) => [
    name, Array.isArray(path) ? path.map((p) => fmt(get(report, p))).join(' / ')
                              : {value: get(report, path), key: path}]),
    {class: 'summary', id: 'summary'}));
  if (Array.isArray(report.tenants) && report.tenants.length > 0) {
    root.appendChild(el('h2', {}, 'Tenants'));
    root.appendChild(table(
        ['tenant', 'submitted', 'completed', 'GPU-hours', 'queue wait p95 (s)', 'JCT p50 (s)'],
        report.tenants.map((t) => [t.name, t.submitted, t.completed, t.gpu_hours,
                                   get(t, 'queue_s.p95'), get(t, 'jct_s.p50')]),
        {class: 'tenants', id: 'tenants'}));
  }

  // Inference services (docs/MODELS.md, "Serving in the simulator"): their replicas as placed,
  // their requests as served as the replicas ran, beside the autoscaler's plan, and their energy.
  if (Array.isArray(report.services) && report.services.length > 0) {
    root.appendChild(el('h2', {}, 'Services'));
    const pct = (x) => (x === undefined || x === null ? '' : (100 * x).toFixed(1) + '%');
    root.appendChild(table(
        ['service', 'replicas asked', 'placed', 'never placed', 'placement wait p99 (s)',
         'GPU-hours', 'requests', 'within SLO as run', 'if placed when asked',
         'IT J per output token', 'cost (USD)', 'USD per million output tokens'],
        report.services.map((s) => [s.name, s.replicas, s.placed, s.never_placed,
                                    get(s, 'placement_wait_s.p99'), s.gpu_hours,
                                    get(s, 'requests.requests'), pct(get(s, 'requests.attainment')),
                                    pct(get(s, 'requests.attainment_if_placed_when_asked')),
                                    get(s, 'requests.it_joules_per_output_token'),
                                    get(s, 'requests.cost_usd'),
                                    get(s, 'requests.usd_per_million_output_tokens')]),
        {class: 'services', id: 'services'}));
  }

  // Providers (their sites' GPU-hours and cost) and outages (docs/MODELS.md, "Outages").
  if (Array.isArray(report.providers) && report.providers.length > 1) {
    root.appendChild(el('h2', {}, 'Providers'));
    root.appendChild(table(
        ['provider', 'kind', 'sites', 'GPU-hours', 'electricity (USD)', 'rent (USD)',
         'purchase over its life (USD)', 'egress (GB)', 'egress (USD)', 'cost (USD)'],
        report.providers.map((p) => [p.name, p.kind, p.sites.join(', '), p.gpu_hours,
                                     p.electricity_usd, p.rent_usd, p.capex_usd, p.egress_gb,
                                     p.egress_usd, p.cost_usd]),
        {class: 'providers', id: 'providers'}));
  }
  // Elastic sites (docs/MODELS.md, "Elastic renting"): the nodes rented as the queue needed them.
  if (Array.isArray(report.elastic) && report.elastic.length > 0) {
    root.appendChild(el('h2', {}, 'Elastic sites'));
    const pct = (x) => (x === undefined || x === null ? '' : (100 * x).toFixed(1) + '%');
    root.appendChild(table(
        ['site', 'nodes asked for', 'acquired', 'given back', 'peak held', 'node-hours held',
         'GPU-hours held', 'busy'],
        report.elastic.map((e) => [e.site, e.nodes_asked, e.nodes_acquired, e.nodes_released,
                                   e.peak_nodes, e.node_hours, e.gpu_hours, pct(e.busy)]),
        {class: 'elastic', id: 'elastic'}));
  }
  if (Array.isArray(report.outages) && report.outages.length > 0) {
    root.appendChild(el('h2', {}, 'Outages'));
    const pct = (x) => (x === undefined || x === null ? '' : (100 * x).toFixed(1) + '%');
    root.appendChild(table(
        ['outage', 'at (s)', 'for (s)', 'GPUs down', 'jobs interrupted', 'GPU-hours lost',
         'training GPU-hours lost', 'restart delay p50 / max (s)', 'not restarted',
         'checkpoints copied', 'services within SLO during it'],
        report.outages.map((o) => [o.target, o.at_s, o.for_s, o.gpus, o.jobs_interrupted,
                                   o.lost_gpu_hours, fmt(o.training_gpu_hours_lost),
                                   fmt(get(o, 'restart_delay_s.p50')) + ' / ' +
                                       fmt(get(o, 'restart_delay_s.max')),
                                   o.not_restarted, o.checkpoint_copies,
                                   (o.services || []).map((s) => s.name + ' ' + pct(s.attainment))
                                       .join(', ')]),
        {class: 'outages', id: 'outages'}));
  }

  // --- the plots ---
  const plots = el('div', {id: 'gpufleet-plots'});
  root.appendChild(el('h2', {}, 'Over time'));
  root.appendChild(plots);
  if (!series) {
    plots.appendChild(el('p', {class: 'note'},
        'This report has no time series: run gpufleet sim with --series (or --html) to get one.'));
    document.body.dataset.ready = 'true';
    return;
  }
  const days = series.start_s.map((s) => s / 86400);
  const width = () => Math.min(1100, Math.max(320, root.clientWidth - 20));

  // One plot of the time series (x: simulated days) or, with opts.x, of the distributions.
  function plot(id, title, unit, lines, opts) {
    opts = opts || {};
    window.gpufleetPages.plot(plots, {
      id, title, unit, lines, stacked: opts.stacked, asinh: opts.asinh, width,
      x: opts.x || days, xName: opts.xName || 'day',
      xLabel: opts.xLabel || 'simulated time (days)',
      rowsX: opts.x ? undefined : () => series.start_s, rowsXName: opts.x ? undefined : 'start (s)'});
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
  document.body.dataset.ready = 'true';
})();
