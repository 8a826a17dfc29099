// Drawing the whole report, and live mode (sweep dashboard): polling the JSON endpoints and
// redrawing when a trial finishes.

function render(data) {
  state.data = data;
  const main = document.getElementById('report');
  const parts = [summarySection, historySection, parallelSection, effectsSection, slicesSection, curvesSection, bestModelSection, trialsSection, specSection];
  const nodes = [];
  for (const part of parts) {
    try {
      nodes.push(part(data));
    } catch (error) {
      console.error('sweep report: the ' + part.name + ' failed: ' + (error && error.stack || error));
      nodes.push(html('section', { class: 'panel' }, empty('This part could not be drawn: ' + error)));
    }
  }
  main.replaceChildren(...nodes);
  document.title = 'sweep · ' + data.sweep.name;
  document.body.dataset.revision = data.revision;
}

// ---- Live mode (sweep dashboard) -----------------------------------------------------

function showNotice(message) {
  const notice = document.getElementById('notice');
  if (message) {
    notice.hidden = false;
    notice.replaceChildren(...message.split('`').map((part, i) => i % 2 ? html('code', { text: part }) : document.createTextNode(part)));
  } else {
    notice.hidden = true;
    notice.replaceChildren();
  }
  document.body.dataset.state = message ? 'notice' : 'ok';
}

function liveControls(status) {
  const holder = document.getElementById('live-controls');
  const select = html('select', { 'aria-label': 'sweep', onchange: (event) => { chooseSweep(event.target.value); } },
    state.sweeps.map((sweep) => html('option', { value: sweep.name, text: sweep.name + ' (' + sweep.trials + ' trials, ' + sweep.status + ')', selected: sweep.name === state.sweep })));
  const parts = [html('span', { class: 'database', text: state.database || '' })];
  if (state.sweeps.length > 1) parts.push(select);
  parts.push(html('span', {}, html('span', { class: 'live-dot' + (status.stale ? ' stale' : '') }), status.text));
  holder.replaceChildren(...parts);
}

function chooseSweep(name) {
  state.sweep = name;
  state.revision = null;
  state.table.page = 0;
  const url = new URL(window.location.href);
  url.searchParams.set('sweep', name);
  window.history.replaceState(null, '', url);
  poll(false);
}

async function fetchJSON(path) {
  const response = await fetch(path, { cache: 'no-store' });
  const body = await response.json();
  return body;
}

let timer = null;
async function poll(schedule) {
  if (timer) { clearTimeout(timer); timer = null; }
  const time = new Date().toLocaleTimeString();
  try {
    const list = await fetchJSON('api/sweeps');
    if (list.database) state.database = list.database;
    if (list.state !== 'ok') {
      showNotice(list.message);
      state.sweeps = [];
      liveControls({ text: 'waiting · checked ' + time, stale: true });
      document.getElementById('report').replaceChildren();
      state.revision = null;
    } else if (!list.sweeps.length) {
      showNotice(list.message || 'The database holds no sweep yet; start one with `sweep run sweeps/phone-price.json`.');
      state.sweeps = [];
      liveControls({ text: 'waiting · checked ' + time, stale: true });
    } else {
      state.sweeps = list.sweeps;
      const wanted = new URL(window.location.href).searchParams.get('sweep');
      if (!state.sweep) state.sweep = list.sweeps.some((s) => s.name === wanted) ? wanted : list.sweeps[list.sweeps.length - 1].name;
      const report = await fetchJSON('api/sweeps/' + encodeURIComponent(state.sweep) + (state.revision ? '?revision=' + encodeURIComponent(state.revision) : ''));
      if (report.state && report.state !== 'ok') {
        showNotice(report.message);
        liveControls({ text: 'waiting · checked ' + time, stale: true });
      } else {
        showNotice(null);
        if (!report.unchanged) {
          state.revision = report.revision;
          render(report);
        }
        liveControls({ text: 'live · updated ' + time, stale: false });
      }
    }
  } catch (error) {
    showNotice('The dashboard does not answer (' + error.message + '); is `sweep dashboard` still running? Retrying.');
    liveControls({ text: 'no answer · ' + time, stale: true });
  }
  if (schedule !== false || !timer) timer = setTimeout(() => poll(true), POLL_MILLISECONDS);
}

function start() {
  const embedded = document.getElementById('report-data');
  const data = embedded ? JSON.parse(embedded.textContent) : null;
  if (data) {
    render(data);
  } else {
    poll(true);
  }
}

window.sweepReport = { state, render };
start();
