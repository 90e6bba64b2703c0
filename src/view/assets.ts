/**
 * The viewer page: HTML, CSS and a dependency-free script, served by the viewer itself (no CDN: it must work on a
 * machine without internet). The script is plain browser JavaScript kept as a string so `tsc` ships it in the build.
 *
 * Rules the script keeps (and the browser test checks): every datum from the server is put into the page with
 * `textContent` or as a class/data attribute, never parsed as HTML; the only markup parsed is the SVG the server
 * rendered from the machine definitions, through DOMParser in XML mode, and the CSP forbids inline script anyway.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clusterchart viewer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>clusterchart</h1>
  <span class="label">cluster</span> <strong id="cluster">…</strong>
  <span id="live" class="badge">connecting…</span>
</header>
<section id="timeline" aria-label="timeline">
  <button id="prev" type="button" title="previous event">&#9664;</button>
  <input id="slider" type="range" min="0" max="0" value="0" step="1" aria-label="history position">
  <button id="next" type="button" title="next event">&#9654;</button>
  <button id="follow" type="button" title="follow new events">Live</button>
  <div id="position"></div>
  <div id="event"></div>
</section>
<div id="problem" role="alert" hidden></div>
<main>
  <section id="side">
    <h2>Nodes <span id="selection" class="hint">click a row to highlight one node</span></h2>
    <table id="nodes">
      <thead><tr><th>node</th><th>name</th><th>gen</th><th>roles</th><th>metadata</th><th>log server</th><th>worker</th></tr></thead>
      <tbody id="nodes-body"></tbody>
    </table>
    <h2>History</h2>
    <ol id="events"></ol>
  </section>
  <section id="charts" aria-label="statecharts"></section>
</main>
</body>
</html>
`;

export const APP_CSS = `
:root { --ink: #1f2933; --muted: #627083; --line: #d5dbe3; --accent: #c98a00; --accent-bg: #fff1c2; --pick: #b34700; --pick-bg: #ffc078; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #f4f6f9; }
header { display: flex; align-items: baseline; gap: 10px; padding: 10px 18px; background: #1f2933; color: #fff; }
header h1 { margin: 0 14px 0 0; font-size: 18px; font-weight: 600; }
header .label { color: #aab4c0; }
.badge { margin-left: auto; padding: 2px 10px; border-radius: 10px; background: #3e4c59; font-size: 12px; }
.badge.on { background: #2f9e44; }
#timeline { display: grid; grid-template-columns: auto 1fr auto auto; gap: 6px 10px; align-items: center; padding: 10px 18px; background: #fff; border-bottom: 1px solid var(--line); }
#timeline input { width: 100%; }
#timeline button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
#follow.on { background: #2f9e44; border-color: #2f9e44; color: #fff; }
#position { grid-column: 1 / -1; color: var(--muted); }
#event { grid-column: 1 / -1; font-family: ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
#problem { margin: 10px 18px 0; padding: 8px 12px; border: 1px solid #e03131; background: #fff5f5; color: #c92a2a; white-space: pre-wrap; }
main { display: grid; grid-template-columns: minmax(560px, 36%) minmax(0, 1fr); gap: 16px; padding: 16px 18px; align-items: start; }
h2 { font-size: 15px; margin: 0 0 8px; }
.hint { font-weight: normal; color: var(--muted); font-size: 12px; margin-left: 6px; }
#side { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
table { width: 100%; border-collapse: collapse; margin-bottom: 16px; font-size: 13px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td { overflow-wrap: anywhere; }
td.state, td.none { overflow-wrap: normal; white-space: nowrap; }
td.roles { overflow-wrap: normal; }
td.name { min-width: 5.5em; }
.role { white-space: nowrap; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #f1f5fb; }
tr.removed td { color: var(--muted); text-decoration: line-through; }
tr.selected { background: var(--pick-bg) !important; }
td.none { color: #b6bfca; }
#events { margin: 0; padding-left: 0; list-style: none; max-height: 320px; overflow: auto; font-size: 12px; }
#events li { padding: 3px 6px; border-bottom: 1px solid #eef1f5; cursor: pointer; overflow-wrap: anywhere; }
#events li.at { background: var(--accent-bg); font-weight: 600; }
#events li.future { color: #aab4c0; }
#events .pos { display: inline-block; min-width: 3.5em; color: var(--muted); }
#charts { min-width: 0; display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.chart { flex: 1 1 100%; min-width: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.chart h3 { margin: 0; font-size: 15px; }
.chart .description { margin: 2px 0 8px; color: var(--muted); font-size: 12px; }
.figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.figure .current > path, .figure .current > polygon { fill: var(--accent-bg); stroke: var(--accent); stroke-width: 2.5px; }
.figure .current > text { font-weight: 700; }
.figure .selected > path, .figure .selected > polygon { fill: var(--pick-bg); stroke: var(--pick); stroke-width: 3.5px; }
.legend { margin: 8px 0 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 6px; font-size: 12px; }
.legend li { padding: 2px 8px; border-radius: 10px; background: var(--accent-bg); border: 1px solid #f0d27a; overflow-wrap: anywhere; }
.legend li.empty { background: #f1f3f5; border-color: var(--line); color: var(--muted); }
.legend .state { font-weight: 600; margin-right: 4px; }
`;

export const APP_JS = `'use strict';
(function () {
  var byId = function (id) { return document.getElementById(id); };
  var ui = {
    cluster: byId('cluster'), live: byId('live'), slider: byId('slider'), prev: byId('prev'), next: byId('next'),
    follow: byId('follow'), position: byId('position'), event: byId('event'), problem: byId('problem'),
    nodes: byId('nodes-body'), events: byId('events'), charts: byId('charts'), selection: byId('selection')
  };
  var ROLE_COLUMNS = ['metadata-membership', 'log-server', 'worker'];
  var HISTORY_BEFORE = 30;
  var HISTORY_AFTER = 10;
  // The slider's value is the number of events applied: 0 is the empty cluster, count the head.
  var count = 0;
  var cluster = null;
  var following = true;
  var selected = null;
  var charts = [];
  var lastView = null;
  var entries = new Map();
  var stateRequest = 0;
  var historyRequest = 0;

  function el(tag, value, className) {
    var node = document.createElement(tag);
    if (value !== undefined && value !== null) node.textContent = String(value);
    if (className) node.className = className;
    return node;
  }

  function json(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url + ' answered ' + response.status);
      return response.json();
    });
  }

  function showProblem(problem) {
    ui.problem.hidden = !problem;
    ui.problem.textContent = problem || '';
  }

  function remember(list) { list.forEach(function (entry) { entries.set(entry.revision, entry); }); }

  function loadCharts() {
    return json('/api/charts').then(function (list) {
      var parser = new DOMParser();
      list.forEach(function (chart) {
        var card = el('article', null, 'chart');
        card.dataset.machine = chart.name;
        card.append(el('h3', chart.name), el('p', chart.description, 'description'));
        var figure = el('div', null, 'figure');
        var parsed = parser.parseFromString(chart.svg, 'image/svg+xml').documentElement;
        if (parsed.nodeName === 'svg') figure.append(document.importNode(parsed, true));
        var legend = el('ul', null, 'legend');
        card.append(figure, legend);
        ui.charts.append(card);
        charts.push({ name: chart.name, states: chart.states, card: card, legend: legend });
      });
    });
  }

  function index() { return Number(ui.slider.value); }

  function renderPosition() {
    var at = index();
    var entry = entries.get(at - 1);
    ui.position.textContent = count === 0 ? 'no events yet'
      : at === 0 ? 'before the first event (' + count + ' events)'
      : 'event ' + at + ' of ' + count + (entry ? ' · position ' + entry.position + ' · revision ' + entry.revision : '') + (following ? ' · following live' : '');
    ui.event.textContent = entry ? (entry.at || '') + '  ' + entry.type + '  ' + entry.summary : '';
    ui.follow.classList.toggle('on', following);
    ui.prev.disabled = at === 0;
    ui.next.disabled = at >= count;
  }

  function renderHistory() {
    var current = index() - 1;
    var first = Math.max(0, current - HISTORY_BEFORE);
    var last = Math.min(count - 1, Math.max(current, 0) + HISTORY_AFTER);
    var missing = false;
    for (var r = first; r <= last; r++) if (!entries.has(r)) missing = true;
    if (missing) {
      var mine = ++historyRequest;
      json('/api/timeline?from=' + first + '&to=' + last).then(function (data) {
        remember(data.entries);
        if (mine === historyRequest) { drawHistory(first, last, current); renderPosition(); }
      }).catch(function (error) { showProblem('could not load the history: ' + error.message); });
    }
    drawHistory(first, last, current);
  }

  function drawHistory(first, last, current) {
    var items = [];
    for (var r = last; r >= first; r--) {
      var entry = entries.get(r);
      if (!entry) continue;
      var li = el('li', null, r === current ? 'at' : r > current ? 'future' : '');
      li.dataset.index = String(r + 1);
      li.append(el('span', entry.position, 'pos'), el('span', entry.summary));
      items.push(li);
    }
    ui.events.replaceChildren.apply(ui.events, items);
  }

  function setIndex(at) {
    at = Math.max(0, Math.min(count, at));
    ui.slider.max = String(count);
    ui.slider.value = String(at);
    following = at === count;
    renderPosition();
    renderHistory();
    if (cluster === null) return;
    var mine = ++stateRequest;
    json('/api/state?revision=' + (at - 1)).then(function (view) {
      if (view.entry) entries.set(view.entry.revision, view.entry);
      if (mine !== stateRequest) return;
      renderView(view);
      renderPosition();
    }).catch(function (error) { showProblem('could not load the state: ' + error.message); });
  }

  function subjectLabel(id) {
    var node = lastView && lastView.nodes.find(function (n) { return n.id === id; });
    return node ? id + ' ' + node.name : id;
  }

  function rolesCell(node) {
    var cell = el('td', node.removed ? 'removed' : null, 'roles');
    if (!node.removed) node.roles.forEach(function (role, i) { cell.append(el('span', role + (i < node.roles.length - 1 ? ',' : ''), 'role'), ' '); });
    return cell;
  }

  function renderView(view) {
    lastView = view;
    document.body.dataset.position = String(view.position);
    var rows = view.nodes.map(function (node) {
      var row = el('tr', null, (node.removed ? 'removed' : '') + (node.id === selected ? ' selected' : ''));
      row.dataset.nodeId = node.id;
      row.append(el('td', node.id), el('td', node.name, 'name'), el('td', node.generation === null ? '' : node.generation),
        rolesCell(node));
      ROLE_COLUMNS.forEach(function (machine) {
        var state = node.states[machine];
        row.append(el('td', state || '—', state ? 'state' : 'none'));
      });
      row.addEventListener('click', function () {
        selected = selected === node.id ? null : node.id;
        ui.selection.textContent = selected ? 'highlighting ' + subjectLabel(selected) + ' (click again to clear)' : 'click a row to highlight one node';
        renderView(lastView);
      });
      return row;
    });
    ui.nodes.replaceChildren.apply(ui.nodes, rows);
    charts.forEach(function (chart) {
      chart.card.querySelectorAll('.current, .selected').forEach(function (node) { node.classList.remove('current', 'selected'); });
      var occupancy = view.occupancy[chart.name] || {};
      var items = [];
      Object.keys(occupancy).forEach(function (value) {
        var subjects = occupancy[value];
        var id = chart.states[value];
        var target = id ? chart.card.querySelector('[id="' + CSS.escape(id) + '"]') : null;
        if (target) {
          target.classList.add('current');
          if (selected && subjects.indexOf(selected) >= 0) target.classList.add('selected');
        }
        var li = el('li');
        li.dataset.state = value;
        li.append(el('span', value, 'state'), el('span', subjects.map(subjectLabel).join(', ')));
        items.push(li);
      });
      if (items.length === 0) items.push(el('li', 'no node in this machine at this position', 'empty'));
      chart.legend.replaceChildren.apply(chart.legend, items);
    });
  }

  ui.slider.addEventListener('input', function () { setIndex(index()); });
  ui.prev.addEventListener('click', function () { setIndex(index() - 1); });
  ui.next.addEventListener('click', function () { setIndex(index() + 1); });
  ui.follow.addEventListener('click', function () { setIndex(count); });
  ui.events.addEventListener('click', function (event) {
    var item = event.target.closest('li');
    if (item && item.dataset.index) setIndex(Number(item.dataset.index));
  });

  loadCharts().then(function () {
    var stream = new EventSource('/api/stream');
    stream.addEventListener('open', function () { ui.live.textContent = 'live'; ui.live.classList.add('on'); });
    stream.addEventListener('error', function () { ui.live.textContent = 'reconnecting…'; ui.live.classList.remove('on'); });
    stream.addEventListener('timeline', function (message) {
      var data = JSON.parse(message.data);
      count = data.count;
      cluster = data.cluster;
      remember(data.recent);
      ui.cluster.textContent = data.cluster === null ? '(no cluster yet)' : data.cluster;
      showProblem(data.problem);
      setIndex(following ? count : Math.min(index(), count));
    });
    stream.addEventListener('append', function (message) {
      var data = JSON.parse(message.data);
      entries.set(data.entry.revision, data.entry);
      count = data.count;
      if (following) setIndex(count);
      else { ui.slider.max = String(count); renderPosition(); renderHistory(); }
    });
    stream.addEventListener('problem', function (message) { showProblem(JSON.parse(message.data).problem); });
  }).catch(function (error) { showProblem('could not load the charts: ' + error.message); });
})();
`;
