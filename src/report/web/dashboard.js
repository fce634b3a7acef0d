// The live dashboard of `gpufleet serve` (docs/API.md, "Dashboard"), served at `/`. It holds no
// data of its own: with the token a person enters (kept for this tab's session only) it asks the
// API for the sites, the queue, the jobs, the nodes and the events, follows the event stream (a
// long poll) and shows what changed without reloading. The server decides what a token sees: a
// tenant's token gets its own jobs and events only.
(function () {
  'use strict';
  const {el, fmt, table, plot} = window.gpufleetPages;
  const root = document.getElementById('gpufleet-root');
  const kTokenKey = 'gpufleet-token';
  const kHistory = 720;  // points kept per plot: an hour at one refresh each 5 s
  const kRows = 200;  // rows shown per table
  const width = () => Math.min(1100, Math.max(320, root.clientWidth - 20));
  let session = 0;  // bumped at each sign-in and sign-out: loops of an older one stop

  class SignedOut extends Error {}

  async function api(token, path) {
    const r = await fetch(path, {headers: {Authorization: 'Bearer ' + token}, cache: 'no-store'});
    if (r.status === 401) throw new SignedOut('the server does not know this token');
    let body = null;
    try {
      body = await r.json();
    } catch (e) {
      throw new Error(path + ': the server answered ' + r.status + ' without JSON');
    }
    if (!r.ok) throw new Error(path + ': ' + (body.error ? body.error.message : r.status));
    return body;
  }

  const clock = (iso) => (iso ? new Date(iso).toLocaleString('en-GB', {hour12: false}) : '-');
  const ago = (iso) => {
    if (!iso) return '-';
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    return s < 120 ? Math.round(s) + ' s' : s < 7200 ? Math.round(s / 60) + ' min'
                                                      : (s / 3600).toFixed(1) + ' h';
  };

  // --- signing in ---
  function signIn(message) {
    ++session;
    root.replaceChildren(el('h1', {}, 'gpufleet'));
    const form = el('form', {id: 'sign-in-form'}, [
      el('label', {for: 'token'}, 'Token'),
      el('input', {id: 'token', type: 'password', autocomplete: 'off', size: '48'}),
      ' ', el('button', {id: 'sign-in', type: 'submit'}, 'Show the fleet'),
      message ? el('p', {class: 'error', id: 'sign-in-error'}, message) : null,
      el('p', {class: 'note'}, 'A token of this server (gpufleet token new): an admin\'s shows ' +
          'everything, a tenant\'s its own jobs. It is kept for this tab until it closes.')]);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const token = document.getElementById('token').value.trim();
      if (token === '') return;
      sessionStorage.setItem(kTokenKey, token);
      show(token);
    });
    root.appendChild(form);
    document.getElementById('token').focus();
  }
  function signOut(message) {
    sessionStorage.removeItem(kTokenKey);
    signIn(message);
  }

  // --- the signed-in page ---
  function show(token) {
    const mine = ++session;
    const live = () => mine === session;
    root.replaceChildren();
    const status = el('span', {id: 'status', class: 'note'}, 'loading...');
    const out = el('button', {id: 'sign-out', type: 'button'}, 'Sign out');
    out.addEventListener('click', () => signOut(''));
    root.appendChild(el('header', {}, [el('h1', {}, 'gpufleet'), status, out]));

    const section = (id, title) => {
      const s = el('section', {id: id}, el('h2', {}, title));
      root.appendChild(s);
      return s;
    };
    const fleet = section('fleet', 'Fleet by site');
    const sitesBox = el('div');
    const plotsBox = el('div');
    fleet.append(sitesBox, plotsBox);
    const queue = section('queue', 'Queue');
    const queueBox = el('div');
    queue.appendChild(queueBox);
    const jobs = section('jobs', 'Jobs');
    const tenantFilter = el('select', {id: 'filter-tenant'}, el('option', {value: ''}, 'every tenant'));
    const stateFilter = el('select', {id: 'filter-state'}, [
      ['pending,starting,running,stopping', 'not over'], ['pending', 'pending'],
      ['starting', 'starting'], ['running', 'running'], ['stopping', 'stopping'],
      ['completed', 'completed'], ['failed', 'failed'], ['cancelled', 'cancelled'],
      ['', 'any state']].map(([v, t]) => el('option', {value: v}, t)));
    jobs.appendChild(el('div', {class: 'controls'}, [
      el('label', {for: 'filter-tenant'}, 'Tenant'), tenantFilter, ' ',
      el('label', {for: 'filter-state'}, 'State'), stateFilter]));
    const jobsBox = el('div');
    jobs.appendChild(jobsBox);
    const nodes = section('nodes', 'Nodes out of service');
    const nodesBox = el('div');
    nodes.appendChild(nodesBox);
    const events = section('events', 'Recent events');
    const eventsBox = el('div');
    events.appendChild(eventsBox);

    // What the plots show: one sample per refresh, the last kHistory.
    const history = {t: [], busy: {}, power: {}, budget: {}, pending: [], holding: []};
    let plotsOf = null;
    let forecastAsked = 0;
    const recent = [];
    let eventsAfter = 0;

    function samplePlots(sites, tenants) {
      history.t.push(Date.now() / 1000);
      for (const s of sites) {
        (history.busy[s.name] = history.busy[s.name] || []).push(s.gpus_busy);
        (history.power[s.name] = history.power[s.name] || []).push(s.it_power_mw);
        (history.budget[s.name] = history.budget[s.name] || []).push(s.power_budget_mw);
      }
      history.pending.push(tenants.reduce((n, t) => n + t.jobs_pending, 0));
      history.holding.push(tenants.reduce((n, t) => n + t.jobs_holding_gpus, 0));
      if (history.t.length > kHistory) {
        history.t.shift();
        history.pending.shift();
        history.holding.shift();
        for (const by of [history.busy, history.power, history.budget])
          for (const k of Object.keys(by)) by[k].shift();
      }
      const names = sites.map((s) => s.name);
      const power = [];
      names.forEach((name, i) => {
        const color = window.gpufleetPages.palette[i % window.gpufleetPages.palette.length];
        power.push({label: name + ' IT', values: history.power[name], color});
        if (history.budget[name].some((b) => b !== null))
          power.push({label: name + ' budget', values: history.budget[name], color, dash: [8, 4]});
      });
      const lines = {
        busy: names.map((name) => ({label: name, values: history.busy[name]})),
        power: power,
        queue: [{label: 'jobs waiting', values: history.pending},
                {label: 'jobs holding GPUs', values: history.holding, dash: [6, 4]}],
      };
      const x = history.t.slice();
      if (plotsOf === null) {
        const common = {x, xName: 'time', xLabel: 'time', time: true, width, height: 220};
        plotsOf = {
          busy: plot(plotsBox, Object.assign({id: 'plot-gpus-by-site', title: 'GPUs busy by site',
                                              unit: 'GPUs', lines: lines.busy, stacked: true}, common)),
          power: plot(plotsBox, Object.assign({id: 'plot-power', title:
                                               'IT power by site against its budget', unit: 'MW',
                                               lines: lines.power}, common)),
          queue: plot(queueBox, Object.assign({id: 'plot-queue', title: 'Jobs waiting and running',
                                               unit: 'jobs', lines: lines.queue}, common)),
        };
        queueBox.appendChild(el('div', {id: 'queue-table'}));
      } else {
        for (const k of Object.keys(plotsOf)) plotsOf[k].update(x, lines[k]);
      }
    }

    function showSites(sites) {
      sitesBox.replaceChildren(table(
          ['site', 'nodes up', 'nodes', 'GPUs up', 'GPUs busy', 'GPUs free', 'IT power (MW)',
           'budget (MW)', 'of budget'],
          sites.map((s) => {
            const k = (f) => ({value: s[f], key: 'sites.' + s.name + '.' + f});
            return [s.name, k('nodes_up'), k('nodes'), k('gpus_up'), k('gpus_busy'), k('gpus_free'),
                    k('it_power_mw'), k('power_budget_mw'),
                    s.power_budget_mw ? (100 * s.it_power_mw / s.power_budget_mw).toFixed(1) + ' %'
                                      : '-'];
          }), {id: 'sites'}));
    }

    function showQueue(pending) {
      const box = document.getElementById('queue-table');
      const rows = pending.jobs.map((j) => [
        j.id, j.name, j.tenant, j.gpus, ago(j.submitted_at),
        clock(j.forecast ? j.forecast.start : null),
        j.reason || '-']);
      box.replaceChildren(
          el('p', {class: 'note'}, pending.next_after === null
              ? rows.length + ' jobs waiting, oldest first'
              : 'the oldest ' + rows.length + ' waiting jobs'),
          table(['job', 'name', 'tenant', 'GPUs', 'waiting', 'forecast start', 'why it waits'], rows,
                {id: 'queue-jobs'}));
    }

    function showTenants(tenants) {
      const chosen = tenantFilter.value;
      const names = tenants.map((t) => t.name);
      const have = [...tenantFilter.options].slice(1).map((o) => o.value);
      if (names.join('\n') !== have.join('\n')) {
        tenantFilter.replaceChildren(el('option', {value: ''}, 'every tenant'),
                                     ...names.map((n) => el('option', {value: n}, n)));
        tenantFilter.value = names.includes(chosen) ? chosen : '';
      }
    }

    function showJobs(list) {
      jobsBox.replaceChildren(
          el('p', {class: 'note'}, list.next_after === null ? list.jobs.length + ' jobs'
                                                            : 'the first ' + list.jobs.length + ' jobs'),
          table(['job', 'name', 'tenant', 'state', 'GPUs', 'submitted', 'started', 'ended', 'nodes'],
                list.jobs.map((j) => [j.id, j.name, j.tenant, {value: j.state, key: 'job.' + j.id + '.state'},
                                      j.gpus, clock(j.submitted_at), clock(j.started_at),
                                      clock(j.ended_at), j.nodes.join(' ')]),
                {id: 'jobs-table'}));
    }

    function showNodes(list, sites) {
      const total = sites.reduce((n, s) => n + s.nodes, 0);
      const up = sites.reduce((n, s) => n + s.nodes_up, 0);
      const rows = list.nodes.slice(0, kRows).map((n) => [
        n.path, n.gpus, n.gpu_model, {value: n.state, key: 'node.' + n.path + '.state'},
        n.drain ? n.drain.reason : '-', n.drain ? clock(n.drain.since) : '-']);
      nodesBox.replaceChildren(
          el('p', {class: 'note'}, [
            el('span', {'data-value': 'nodes.total'}, fmt(total)), ' nodes, ',
            el('span', {'data-value': 'nodes.up'}, fmt(up)), ' with their agent up; ',
            el('span', {'data-value': 'nodes.not_up'}, fmt(list.nodes.length)),
            ' out of service (down, draining, drained or never registered)',
            list.nodes.length > kRows ? ' (the first ' + kRows + ' below)' : '']),
          table(['node', 'GPUs', 'GPU model', 'state', 'drain reason', 'drained since'], rows,
                {id: 'nodes-table'}));
    }

    function showEvents() {
      eventsBox.replaceChildren(table(['#', 'at', 'what', 'job', 'tenant', 'detail'],
          recent.map((e) => [String(e.seq), clock(e.at), e.kind, e.job === undefined ? '-' : e.job,
                             e.tenant || '-', e.detail || '-']), {id: 'events-table'}));
    }

    // One refresh: every section from the API at once.
    async function refresh() {
      const query = new URLSearchParams({limit: String(kRows)});
      if (tenantFilter.value) query.set('tenant', tenantFilter.value);
      if (stateFilter.value) query.set('state', stateFilter.value);
      // The server forecasts when asked (at most every 5 s); each job then carries the latest
      // forecast's start. Asking for one row keeps a large queue's forecast off the wire.
      const wantForecast = Date.now() - forecastAsked > 30000;
      if (wantForecast) forecastAsked = Date.now();
      const [sites, tenants, pending, list, down] = await Promise.all([
        api(token, '/v1/sites'), api(token, '/v1/tenants'),
        api(token, '/v1/jobs?state=pending&limit=' + kRows), api(token, '/v1/jobs?' + query),
        api(token, '/v1/nodes?state=draining,drained,down,absent'),
        wantForecast ? api(token, '/v1/forecast?limit=1') : null]);
      if (!live()) return;
      showSites(sites.sites);
      samplePlots(sites.sites, tenants.tenants);
      showTenants(tenants.tenants);
      showQueue(pending);
      showJobs(list);
      showNodes(down, sites.sites);
      status.textContent = 'live; updated ' + new Date().toLocaleTimeString('en-GB', {hour12: false});
      status.className = 'note';
      document.body.dataset.ready = 'true';
    }

    // Refreshes run one at a time; asking during one runs another after it.
    let running = false, again = false;
    async function scheduleRefresh() {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await refresh();
        } while (again && live());
      } catch (e) {
        if (!live()) return;
        if (e instanceof SignedOut) return signOut(e.message);
        status.textContent = 'not live: ' + e.message + ' (trying again)';
        status.className = 'error';
      } finally {
        running = false;
      }
    }
    tenantFilter.addEventListener('change', scheduleRefresh);
    stateFilter.addEventListener('change', scheduleRefresh);

    // The event stream: catch up with what is kept (keeping the latest 50), then long-poll; each
    // batch of news refreshes the page.
    async function follow() {
      let catchingUp = true;
      while (live()) {
        try {
          const page = await api(token, '/v1/events?limit=1000&after=' + eventsAfter +
                                            (catchingUp ? '' : '&wait=20'));
          if (!live()) return;
          eventsAfter = page.next_after;
          if (page.events.length > 0) {
            recent.unshift(...page.events.reverse());
            recent.length = Math.min(recent.length, 50);
            showEvents();
            if (!catchingUp) scheduleRefresh();
          }
          if (catchingUp && page.events.length < 1000) {
            catchingUp = false;
            showEvents();
          }
        } catch (e) {
          if (!live()) return;
          if (e instanceof SignedOut) return signOut(e.message);
          status.textContent = 'not live: ' + e.message + ' (trying again)';
          status.className = 'error';
          await new Promise((done) => setTimeout(done, 2000));
        }
      }
    }

    scheduleRefresh();
    follow();
    // Power and busy GPUs change without events too (a job's phase); sample them every 5 s.
    const tick = setInterval(() => (live() ? scheduleRefresh() : clearInterval(tick)), 5000);
  }

  const saved = sessionStorage.getItem(kTokenKey);
  if (saved) show(saved);
  else signIn('');
})();
