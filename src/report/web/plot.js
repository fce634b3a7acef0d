// What gpufleet's pages share (docs/REPORT.md "HTML report", docs/API.md "Dashboard"): building
// elements, formatting numbers, tables, and plots drawn with uPlot. Every plot has a title, axes
// with units, values under the cursor in its legend, and its data as a table on demand. Text
// from the data (tenants' job names) only ever becomes text nodes, never markup.
window.gpufleetPages = (function () {
  'use strict';
  const palette = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2',
                   '#97bbf5', '#9c6b4e', '#9498a0'];

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of [].concat(children || [])) {
      if (c === null || c === undefined) continue;
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
  // A table; a cell is a value, a node, or {value, key} (the cell then carries data-value=key, by
  // which the browser tests find the number shown).
  function table(header, rows, attrs) {
    const cell = (c) => {
      if (c instanceof Node) return el('td', {}, c);
      if (c !== null && typeof c === 'object') {
        return el('td', c.key ? {'data-value': c.key} : {}, c.node || fmt(c.value));
      }
      return el('td', {}, fmt(c));
    };
    return el('table', Object.assign({class: 'figures'}, attrs || {}), [
      el('thead', {}, el('tr', {}, header.map((h) => el('th', {}, h)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map(cell))))]);
  }

  // One plot in `parent`. spec: {id, title, unit, lines: [{label, values, color?, dash?, bars?}],
  // x (the x values), xName (the x column's name), xLabel (the x axis), time (x is Unix seconds,
  // shown as clock time), stacked (drawn as cumulative bands, each legend entry its own value),
  // asinh (a log-like y scale that holds 0), logX (base 2), logY (base 10), spanGaps (a line goes on over null values),
  // width(), rowsX() and rowsXName (the data table's
  // first column, when not x)}. Answers {update(x, lines)}: the dashboard
  // feeds its plots as the fleet changes.
  function plot(parent, spec) {
    const box = el('section', {class: 'plot', id: spec.id});
    if (spec.title) box.appendChild(el('h3', {}, spec.title));
    parent.appendChild(box);
    let lines = spec.lines;
    let x = spec.x;
    const stackedValues = () => {
      const shown = lines.map((l) => l.values.slice());
      if (spec.stacked) {
        for (let i = 1; i < shown.length; ++i)
          for (let j = 0; j < shown[i].length; ++j) shown[i][j] += shown[i - 1][j];
      }
      return [x].concat(shown);
    };
    const color = (l, i) => l.color || palette[i % palette.length];
    const uSeries = [{label: spec.xName}].concat(lines.map((l, i) => ({
      label: l.label,
      stroke: color(l, i),
      fill: spec.stacked ? color(l, i) + '55' : undefined,
      dash: l.dash,
      width: 1.5,
      spanGaps: !!spec.spanGaps,
      paths: l.bars ? uPlot.paths.bars({size: [0.8, 40]}) : undefined,
      value: (u, v, si, di) => (di === null || di === undefined ? '-' : fmt(lines[si - 1].values[di])),
    })));
    // A stacked band fills down to the one below it.
    const bands = spec.stacked ? lines.slice(1).map((_, i) => ({series: [i + 2, i + 1]})) : [];
    const options = {
      width: spec.width(), height: spec.height || 300, series: uSeries, bands: bands,
      scales: {x: spec.logX ? {time: false, distr: 3, log: 2} : {time: !!spec.time},
               y: spec.asinh ? {distr: 4, asinh: 1} : spec.logY ? {distr: 3, log: 10} : {}},
      axes: [{label: spec.xLabel}, {label: spec.unit, size: 70}],
      cursor: {drag: {x: true, y: false}},
    };
    const u = new uPlot(options, stackedValues(), box);
    // Clock time spans at least five minutes, so that the first samples of a live page sit at
    // its right edge rather than alone in a span uPlot guesses (a day for one point).
    const spanClock = () => {
      if (spec.time && x.length > 0) {
        u.setScale('x', {min: Math.min(x[0], x[x.length - 1] - 300), max: x[x.length - 1]});
      }
    };
    spanClock();
    // The data behind the plot, built each time it is opened (a 30-day run has ~700 rows).
    const details = el('details', {}, el('summary', {}, 'Data'));
    details.addEventListener('toggle', () => {
      while (details.childNodes.length > 1) details.removeChild(details.lastChild);
      if (!details.open) return;
      const rowsX = spec.rowsX ? spec.rowsX() : x;
      details.appendChild(table([spec.rowsXName || spec.xName].concat(lines.map((l) => l.label)),
          rowsX.map((v, i) => [v].concat(lines.map((l) => l.values[i]))), {class: 'data'}));
    });
    box.appendChild(details);
    return {
      update(newX, newLines) {
        x = newX;
        lines = newLines;
        u.setData(stackedValues());
        spanClock();
      },
    };
  }

  return {palette, el, fmt, get, table, plot};
})();
