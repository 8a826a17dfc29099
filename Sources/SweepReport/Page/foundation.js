// The report page's foundation: its constants and state, element builders, number formats,
// scales, colours and axes. The page's script is this file, plots.js, details.js and page.js,
// in that order, inside one function (report.html).

const SVG_NS = 'http://www.w3.org/2000/svg';
const STATUS_ORDER = ['complete', 'pruned', 'diverged', 'failed', 'interrupted', 'running', 'pending'];
const STATUS_COLOURS = {
  complete: '#2f6fdb', pruned: '#8a94a3', diverged: '#d6336c', failed: '#9c36b5',
  interrupted: '#f08c00', running: '#0ca678', pending: '#adb5bd',
};
const FIT_COLOURS = ['#2f6fdb', '#e8590c', '#2b8a3e', '#ae3ec9', '#c92a2a', '#0c8599', '#5c940d', '#862e9c'];
const BEST_COLOUR = '#d9480f';
const PAGE_SIZE = 100;
const POLL_MILLISECONDS = 2000;

const state = {
  data: null, revision: null, sweep: null, sweeps: [],
  table: { key: 'rank', descending: false, page: 0, status: 'all' },
};

// ---- Elements -------------------------------------------------------------------------

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function html(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  return append(node, children);
}

function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  return append(node, children);
}

function tooltip(text) { return svg('title', { text }); }

// ---- Numbers and scales ---------------------------------------------------------------

function isNumber(value) { return typeof value === 'number' && Number.isFinite(value); }

function formatNumber(value, digits) {
  if (!isNumber(value)) return '—';
  const size = Math.abs(value);
  if (size !== 0 && (size < 1e-3 || size >= 1e6)) return value.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(value.toPrecision(digits || 4)));
}

function formatMetric(value) {
  if (!isNumber(value)) return '—';
  return Math.abs(value) < 1000 ? value.toFixed(4) : formatNumber(value, 6);
}

function niceTicks(low, high, count) {
  if (!(high > low)) return [low];
  const raw = (high - low) / Math.max(count, 1);
  let step = Math.pow(10, Math.floor(Math.log10(raw)));
  const error = raw / step;
  if (error >= 7.5) step *= 10; else if (error >= 3.5) step *= 5; else if (error >= 1.5) step *= 2;
  const ticks = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) {
    ticks.push(Math.abs(tick) < step * 1e-9 ? 0 : Number(tick.toPrecision(12)));
  }
  return ticks;
}

function paddedDomain(values, padding) {
  const finite = values.filter(isNumber);
  if (!finite.length) return [0, 1];
  let low = Math.min(...finite), high = Math.max(...finite);
  if (low === high) { const pad = Math.abs(low) * 0.05 || 0.5; return [low - pad, high + pad]; }
  const pad = (high - low) * (padding === undefined ? 0.05 : padding);
  return [low - pad, high + pad];
}

function linearScale(domain, range) {
  let [d0, d1] = domain;
  if (d0 === d1) { d0 -= 0.5; d1 += 0.5; }
  const scale = (value) => range[0] + (value - d0) / (d1 - d0) * (range[1] - range[0]);
  scale.ticks = (count) => niceTicks(Math.min(d0, d1), Math.max(d0, d1), count);
  scale.domain = [d0, d1];
  return scale;
}

function logScale(domain, range) {
  let [d0, d1] = domain.map((value) => Math.log10(Math.max(value, 1e-300)));
  if (d0 === d1) { d0 -= 0.5; d1 += 0.5; }
  const scale = (value) => range[0] + (Math.log10(Math.max(value, 1e-300)) - d0) / (d1 - d0) * (range[1] - range[0]);
  scale.ticks = () => {
    const ticks = [];
    for (let power = Math.floor(d0); power <= Math.ceil(d1); power++) {
      for (const factor of (d1 - d0 < 3 ? [1, 2, 5] : [1])) {
        const tick = factor * Math.pow(10, power);
        const position = Math.log10(tick);
        if (position >= d0 - 1e-9 && position <= d1 + 1e-9) ticks.push(tick);
      }
    }
    return ticks.length ? ticks : [Math.pow(10, d0)];
  };
  scale.domain = [Math.pow(10, d0), Math.pow(10, d1)];
  return scale;
}

// Viridis, from dark purple (0) to yellow (1), by its published key colours.
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
function viridis(fraction) {
  const t = Math.min(Math.max(isNumber(fraction) ? fraction : 0, 0), 1) * (VIRIDIS.length - 1);
  const index = Math.min(Math.floor(t), VIRIDIS.length - 2);
  const mix = t - index;
  const a = hexColour(VIRIDIS[index]), b = hexColour(VIRIDIS[index + 1]);
  return 'rgb(' + a.map((channel, i) => Math.round(channel + (b[i] - channel) * mix)).join(',') + ')';
}
function hexColour(text) { return [1, 3, 5].map((i) => parseInt(text.slice(i, i + 2), 16)); }

// A fixed jitter per trial, so categories of many points spread the same way on every draw.
function jitter(number) {
  const x = Math.sin(number * 12.9898) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

// ---- Data helpers ---------------------------------------------------------------------

// A note as a sentence: its first letter capitalised and a full stop.
function sentence(text) { return text.charAt(0).toUpperCase() + text.slice(1) + '.'; }

// What a plot without values says: 'yet' only while trials are still to run or finish (as
// Leaderboard.shortfall counts them); the summary says why in full (sweep.shortfall).
function noFiniteTrialText(data) {
  const waiting = !data.sweep.trial_count || ['pending', 'running', 'interrupted'].some((status) => data.sweep.status_counts[status]);
  return 'No complete trial with a finite ' + data.sweep.metric + (waiting ? ' yet.' : '.');
}

function trialsByNumber(data) {
  if (!data._byNumber) data._byNumber = new Map(data.trials.map((trial) => [trial.number, trial]));
  return data._byNumber;
}

function plottedTrials(data) {
  if (!data.plotted.numbers) return data.trials;
  const byNumber = trialsByNumber(data);
  return data.plotted.numbers.map((number) => byNumber.get(number)).filter(Boolean);
}

// 0 for the worst value drawn, 1 for the best, whichever the goal.
function goodness(data, low, high) {
  return (value) => {
    if (!(high > low)) return 1;
    const fraction = (value - low) / (high - low);
    return data.sweep.maximize ? fraction : 1 - fraction;
  };
}

function parameterText(parameter, coordinate) {
  if (coordinate === null || coordinate === undefined) return '—';
  if (parameter.kind === 'categorical') return parameter.labels[coordinate] !== undefined ? parameter.labels[coordinate] : String(coordinate);
  return formatNumber(coordinate, 4);
}

function valueText(trial) {
  if (isNumber(trial.value)) return formatMetric(trial.value);
  if (trial.status === 'complete') return trial.value_text || 'missing';
  return trial.status;
}

function trialSummary(data, trial) {
  const lines = ['trial ' + trial.number + ' (' + trial.status + ', rank ' + trial.rank + ')'];
  lines.push(data.sweep.metric + ': ' + valueText(trial));
  data.parameters.forEach((parameter, index) => {
    lines.push(parameter.name + ' = ' + parameterText(parameter, trial.parameters[index]));
  });
  if (trial.error) lines.push(trial.error);
  return lines.join('\n');
}

function metricTitle(data) {
  return data.sweep.metric + (data.sweep.maximize ? ' (higher is better)' : ' (lower is better)');
}

// ---- Axes -----------------------------------------------------------------------------

function leftAxis(root, scale, x, top, bottom, right, format, ticks) {
  for (const tick of (ticks || scale.ticks(5))) {
    const y = scale(tick);
    if (y < top - 0.5 || y > bottom + 0.5) continue;
    if (right !== null) root.append(svg('line', { class: 'gridline', x1: x, x2: right, y1: y, y2: y }));
    root.append(svg('text', { x: x - 6, y: y + 3.5, 'text-anchor': 'end', text: format(tick) }));
  }
  root.append(svg('line', { class: 'axis-line', x1: x, x2: x, y1: top, y2: bottom }));
}

function bottomAxis(root, scale, y, left, right, format, ticks) {
  for (const tick of (ticks || scale.ticks(8))) {
    const x = scale(tick);
    if (x < left - 0.5 || x > right + 0.5) continue;
    root.append(svg('line', { class: 'axis-line', x1: x, x2: x, y1: y, y2: y + 4 }));
    root.append(svg('text', { x, y: y + 16, 'text-anchor': 'middle', text: format(tick) }));
  }
  root.append(svg('line', { class: 'axis-line', x1: left, x2: right, y1: y, y2: y }));
}

function integerTicks(scale, count) {
  return scale.ticks(count).filter((tick) => Number.isInteger(tick));
}
