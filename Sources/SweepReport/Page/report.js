// Draws a sweep's report from its data (SweepReport in Swift): embedded in the page by
// `sweep report`, or fetched and refreshed from `sweep dashboard`'s JSON endpoints.
// Plain SVG built by hand: no library, no network, so a saved report opens anywhere, offline.
'use strict';
(function () {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const STATUS_ORDER = ['complete', 'pruned', 'diverged', 'failed', 'interrupted', 'running', 'pending'];
  const STATUS_COLOURS = {
    complete: '#2f6fdb', pruned: '#8a94a3', diverged: '#d6336c', failed: '#9c36b5',
    interrupted: '#f08c00', running: '#1c7ed6', pending: '#adb5bd',
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

  // ---- Sections -------------------------------------------------------------------------

  function section(id, title, caption) {
    return html('section', { class: 'panel', id },
      html('h2', { text: title }), caption ? html('p', { class: 'caption', text: caption }) : null);
  }

  function empty(text) { return html('p', { class: 'empty', text }); }

  function statusChip(status, count) {
    return html('span', { class: 'chip', 'data-status': status },
      html('span', { class: 'swatch', style: 'background:' + (STATUS_COLOURS[status] || '#999') }),
      count + ' ' + status);
  }

  function summarySection(data) {
    const sweep = data.sweep;
    const byNumber = trialsByNumber(data);
    const best = data.best_trial !== undefined ? byNumber.get(data.best_trial) : null;
    const node = html('section', { id: 'summary' },
      html('h1', { text: 'Sweep ' + sweep.name }),
      html('div', { class: 'summary' },
        html('span', {}, 'status ', html('b', { text: sweep.status })),
        html('span', {}, 'method ', html('b', { text: sweep.method })),
        html('span', {}, 'ranked by ', html('b', { text: metricTitle(data) })),
        sweep.task ? html('span', {}, 'task ', html('b', { text: sweep.task })) : null,
        html('span', {}, 'data ', html('b', { text: sweep.data_source })),
        html('span', {}, 'trials ', html('b', { text: sweep.trial_count + (sweep.planned_trials > sweep.trial_count ? ' of ' + sweep.planned_trials : '') })),
        sweep.scoring_fits > 1 ? html('span', {}, 'fits per trial ', html('b', { text: String(sweep.scoring_fits) })) : null,
        html('span', {}, 'created ', html('b', { text: sweep.created.replace('T', ' ').replace('Z', ' UTC') }))),
      html('div', { class: 'chips' }, STATUS_ORDER.filter((status) => sweep.status_counts[status]).map((status) => statusChip(status, sweep.status_counts[status]))),
      best
        ? html('div', { class: 'headline', id: 'best-summary' }, 'Best: ', html('b', { text: 'trial ' + best.number }), ', ',
          sweep.metric + ' ', html('b', { text: formatMetric(best.value) }),
          isNumber(best.test_value) ? ', ' + sweep.test_metric + ' ' + formatMetric(best.test_value) : '',
          ' — ' + data.parameters.map((parameter, index) => parameter.name + ' ' + parameterText(parameter, best.parameters[index])).join(', '))
        : html('div', { class: 'headline', id: 'best-summary' }, 'No complete trial with a finite ' + sweep.metric + ' yet.'),
      html('nav', { class: 'toc' }, [['history', 'History'], ['parallel', 'Parallel coordinates'], ['effects', 'Parameter effects'],
        ['slices', 'Slices'], ['curves', 'Learning curves'], ['best-model', 'Best model'], ['trials', 'Trials'], ['spec', 'Spec']]
        .map(([id, label]) => html('a', { href: '#' + id, text: label }))));
    return node;
  }

  function samplingNote(data) {
    return data.plotted.rule ? ' ' + data.plotted.rule + '.' : '';
  }

  function historySection(data) {
    const node = section('history', 'Optimisation history',
      'Each trial\'s ' + data.sweep.metric + ' in trial order, and the best so far. Trials without a value (pruned, diverged, failed, still running) are marked in the band below the axis, never as numbers.' + samplingNote(data));
    const trials = plottedTrials(data);
    if (!trials.length) { node.append(empty('No trial has started yet.')); return node; }
    const width = 1200, height = 360;
    const left = 70, right = width - 24, top = 14, bottom = height - 82;
    const bandTop = bottom + 30, bandHeight = 18;
    const numbers = data.trials.map((trial) => trial.number);
    const lastNumber = Math.max(...numbers), firstNumber = Math.min(...numbers);
    const x = linearScale(firstNumber === lastNumber ? [firstNumber - 1, lastNumber + 1] : [firstNumber - 0.5, lastNumber + 0.5], [left, right]);
    const valued = trials.filter((trial) => isNumber(trial.value));
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot', 'data-plot': 'history' });
    const radius = trials.length > 1000 ? 2.2 : trials.length > 200 ? 3 : 4.5;
    if (valued.length) {
      const y = linearScale(paddedDomain(valued.map((trial) => trial.value).concat(data.best_so_far.map((step) => step.value))), [bottom, top]);
      leftAxis(root, y, left, top, bottom, right, (tick) => formatNumber(tick, 4));
      root.append(svg('text', { class: 'axis-title', x: 14, y: (top + bottom) / 2, transform: `rotate(-90 14 ${(top + bottom) / 2})`, 'text-anchor': 'middle', text: data.sweep.metric }));
      const group = svg('g', { class: 'points' });
      for (const trial of valued) {
        const isBest = trial.number === data.best_trial;
        group.append(svg('circle', {
          class: 'mark point' + (isBest ? ' best' : ''), 'data-trial': trial.number, cx: x(trial.number).toFixed(1), cy: y(trial.value).toFixed(1),
          r: isBest ? radius + 2 : radius, fill: STATUS_COLOURS.complete, 'fill-opacity': trials.length > 1000 ? 0.55 : 0.8,
        }, tooltip(trialSummary(data, trial))));
      }
      root.append(group);
      if (data.best_so_far.length) {
        let path = '';
        data.best_so_far.forEach((step, index) => {
          const px = x(step.trial).toFixed(1), py = y(step.value).toFixed(1);
          path += index === 0 ? `M${px},${py}` : `H${px}V${py}`;
        });
        path += `H${x(lastNumber).toFixed(1)}`;
        root.append(svg('path', { class: 'best-line', d: path }, tooltip('best so far')));
      }
    } else {
      root.append(svg('text', { x: (left + right) / 2, y: (top + bottom) / 2, 'text-anchor': 'middle', class: 'axis-title', text: 'No complete trial with a finite ' + data.sweep.metric + ' yet' }));
    }
    bottomAxis(root, x, bottom, left, right, (tick) => String(tick), integerTicks(x, 10));
    const hasBand = trials.some((trial) => !isNumber(trial.value));
    if (hasBand) {
      root.append(svg('rect', { class: 'status-band', x: left, y: bandTop, width: right - left, height: bandHeight }));
      root.append(svg('text', { x: left - 6, y: bandTop + 13, 'text-anchor': 'end', text: 'no value' }));
    }
    const band = svg('g', { class: 'status-marks' });
    const markWidth = Math.max(1.5, Math.min(6, (right - left) / Math.max(trials.length, 1) * 0.8));
    for (const trial of trials) {
      if (isNumber(trial.value)) continue;
      const label = trial.status === 'complete' ? (trial.value_text || 'missing') : trial.status;
      band.append(svg('rect', {
        class: 'mark status-mark', 'data-trial': trial.number, 'data-status': trial.status,
        x: (x(trial.number) - markWidth / 2).toFixed(1), y: bandTop + 2, width: markWidth.toFixed(1), height: bandHeight - 4,
        fill: trial.status === 'complete' ? '#495057' : (STATUS_COLOURS[trial.status] || '#999'),
      }, tooltip('trial ' + trial.number + ': ' + label + (trial.epochs_text ? ' (' + trial.epochs_text + ' epochs)' : '') + (trial.error ? '\n' + trial.error : ''))));
    }
    root.append(band);
    root.append(svg('text', { class: 'axis-title', x: (left + right) / 2, y: hasBand ? bandTop + bandHeight + 22 : bottom + 36, 'text-anchor': 'middle', text: 'trial number' }));
    node.append(root);
    const counts = {};
    for (const trial of trials) if (!isNumber(trial.value)) counts[trial.status] = (counts[trial.status] || 0) + 1;
    node.append(html('div', { class: 'legend' },
      html('span', {}, html('span', { class: 'swatch', style: 'background:' + STATUS_COLOURS.complete }), ' complete'),
      html('span', {}, html('span', { class: 'line-sample', style: 'border-color:' + BEST_COLOUR }), 'best so far'),
      STATUS_ORDER.filter((status) => counts[status]).map((status) =>
        html('span', {}, html('span', { class: 'swatch', style: 'background:' + (status === 'complete' ? '#495057' : STATUS_COLOURS[status]) }),
          ' ' + counts[status] + ' ' + (status === 'complete' ? 'complete without a finite value' : status)))));
    return node;
  }

  // One vertical axis per searched setting and one for the metric.
  function parameterScale(parameter, top, bottom) {
    if (parameter.kind === 'categorical') {
      const count = Math.max(parameter.labels.length, 1);
      const scale = (index) => count === 1 ? (top + bottom) / 2 : bottom - index / (count - 1) * (bottom - top);
      scale.tickValues = parameter.labels.map((_, index) => index);
      scale.label = (index) => parameter.labels[index];
      scale.spread = Math.min(24, (bottom - top) / Math.max(count, 2) * 0.5);
      return scale;
    }
    const domain = [parameter.minimum, parameter.maximum];
    const scale = parameter.kind === 'log' ? logScale(domain, [bottom, top]) : linearScale(domain, [bottom, top]);
    scale.tickValues = parameter.kind === 'log' ? scale.ticks() : scale.ticks(5);
    scale.label = (value) => formatNumber(value, 3);
    return scale;
  }

  function shortened(text, length) {
    return text.length > length ? text.slice(0, length - 1) + '…' : text;
  }

  function parallelSection(data) {
    const node = section('parallel', 'Parallel coordinates',
      'One axis per searched setting and one for the metric; one line per complete trial, coloured from the worst value (dark) to the best (yellow). The best trial is drawn thick.' + samplingNote(data));
    const trials = plottedTrials(data).filter((trial) => isNumber(trial.value));
    if (!data.parameters.length) { node.append(empty('The sweep searches no setting.')); return node; }
    if (!trials.length) { node.append(empty('No complete trial with a finite ' + data.sweep.metric + ' yet.')); return node; }
    const width = 1200, height = 400, top = 40, bottom = height - 50, left = 70, right = width - 90;
    const missingY = bottom + 26;
    const count = data.parameters.length + 1;
    const xOf = (index) => left + (count === 1 ? 0 : index * (right - left) / (count - 1));
    const valueDomain = paddedDomain(trials.map((trial) => trial.value), 0.02);
    const metricScale = linearScale(valueDomain, [bottom, top]);
    metricScale.tickValues = metricScale.ticks(6);
    metricScale.label = (value) => formatNumber(value, 4);
    const scales = data.parameters.map((parameter) => parameterScale(parameter, top, bottom)).concat([metricScale]);
    const names = data.parameters.map((parameter) => parameter.name).concat([data.sweep.metric]);
    const good = goodness(data, Math.min(...trials.map((t) => t.value)), Math.max(...trials.map((t) => t.value)));
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot', 'data-plot': 'parallel' });
    const ordered = trials.slice().sort((a, b) => good(a.value) - good(b.value) || (a.number === data.best_trial) - (b.number === data.best_trial));
    const lines = svg('g', { class: 'lines' });
    for (const trial of ordered) {
      let path = '';
      let pen = 'M';
      scales.forEach((scale, index) => {
        const coordinate = index < data.parameters.length ? trial.parameters[index] : trial.value;
        let y = coordinate === null || coordinate === undefined ? missingY : scale(coordinate);
        // Lines through a category spread a little, so that its many trials show as a band.
        if (coordinate !== null && coordinate !== undefined && scale.spread) y += jitter(trial.number * 7 + index) * scale.spread;
        path += `${pen}${xOf(index).toFixed(1)},${y.toFixed(1)}`;
        pen = 'L';
      });
      lines.append(svg('path', {
        class: 'line' + (trial.number === data.best_trial ? ' best' : ''), 'data-trial': trial.number, d: path,
        stroke: trial.number === data.best_trial ? BEST_COLOUR : viridis(good(trial.value)),
      }, tooltip(trialSummary(data, trial))));
    }
    root.append(lines);
    scales.forEach((scale, index) => {
      const x = xOf(index);
      const axis = svg('g', { class: 'axis', 'data-axis': names[index] });
      axis.append(svg('line', { class: 'axis-line', x1: x, x2: x, y1: top, y2: bottom }));
      for (const tick of scale.tickValues) {
        const y = scale(tick);
        if (y < top - 0.5 || y > bottom + 0.5) continue;
        axis.append(svg('line', { class: 'axis-line', x1: x - 3, x2: x + 3, y1: y, y2: y }));
        axis.append(svg('text', { x: x + 5, y: y + 3.5, text: shortened(scale.label(tick), 16), class: 'tick-label', 'paint-order': 'stroke', stroke: '#fff', 'stroke-width': 3 }));
      }
      if (index < data.parameters.length && data.parameters[index].conditional) {
        axis.append(svg('text', { x: x + 5, y: missingY + 3.5, text: 'n/a', 'paint-order': 'stroke', stroke: '#fff', 'stroke-width': 3 }));
      }
      const scaleNote = index < data.parameters.length && data.parameters[index].kind === 'log' ? ' (log)' : '';
      axis.append(svg('text', { class: 'axis-title', x, y: top - 16, 'text-anchor': 'middle', text: shortened(names[index], 22) + scaleNote }));
      root.append(axis);
    });
    node.append(root);
    node.append(html('div', { class: 'legend' },
      html('span', {}, 'colour: worst ', html('span', { class: 'swatch', style: 'width:80px;background:linear-gradient(90deg,' + VIRIDIS.join(',') + ')' }), ' best'),
      html('span', {}, html('span', { class: 'line-sample', style: 'border-color:' + BEST_COLOUR + ';border-top-width:3px' }), 'best trial'),
      withoutValueNote(data)));
    return node;
  }

  function withoutValueNote(data) {
    const trials = plottedTrials(data).filter((trial) => !isNumber(trial.value));
    if (!trials.length) return null;
    const counts = {};
    for (const trial of trials) {
      const key = trial.status === 'complete' ? 'complete without a finite value' : trial.status;
      counts[key] = (counts[key] || 0) + 1;
    }
    return html('span', { text: 'not drawn, having no value: ' + Object.entries(counts).map(([status, count]) => count + ' ' + status).join(', ') });
  }

  function effectsSection(data) {
    const effects = data.effects;
    const node = section('effects', 'Parameter effects', effects.title + '.');
    if (effects.kind === 'main_effects') {
      const rows = effects.main_effects || [];
      const values = [];
      for (const row of rows) for (const level of row.levels) values.push(level.mean, level.lower, level.upper);
      if (!values.some(isNumber)) { node.append(empty('No complete trial with a finite ' + data.sweep.metric + ' yet.')); }
      const domain = paddedDomain(values, 0.04);
      const grid = html('div', { class: 'two-columns' });
      const longest = Math.max(4, ...rows.map((row) => Math.max(...row.levels.map((level) => level.label.length))));
      const labelLength = Math.min(34, longest);
      for (const row of rows) {
        const width = 580, labelWidth = Math.max(60, Math.round(labelLength * 6.4) + 12), rowHeight = 22, top = 8;
        const height = top + rowHeight * row.levels.length + 30;
        const x = linearScale(domain, [labelWidth, width - 56]);
        const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot', 'data-plot': 'effect', 'data-setting': row.setting });
        const bestMean = row.levels.filter((level) => isNumber(level.mean)).map((level) => level.mean)
          .reduce((best, mean) => best === null || (data.sweep.maximize ? mean > best : mean < best) ? mean : best, null);
        row.levels.forEach((level, index) => {
          const y = top + rowHeight * index + rowHeight / 2;
          root.append(svg('text', { x: labelWidth - 8, y: y + 4, 'text-anchor': 'end', text: shortened(level.label, labelLength) }, tooltip(level.label)));
          root.append(svg('text', { x: width - 4, y: y + 4, 'text-anchor': 'end', text: level.trials + ' trials' }));
          if (isNumber(level.lower) && isNumber(level.upper)) {
            root.append(svg('line', { class: 'interval', x1: x(level.lower), x2: x(level.upper), y1: y, y2: y }));
          }
          if (isNumber(level.mean)) {
            root.append(svg('circle', { class: 'mark level-mean' + (level.mean === bestMean ? ' best-level' : ''), cx: x(level.mean), cy: y, r: 4.5 },
              tooltip(row.setting + ' = ' + level.label + ': mean ' + formatMetric(level.mean) +
                (isNumber(level.lower) ? ', 95% interval ' + formatMetric(level.lower) + ' … ' + formatMetric(level.upper) : '') + ' over ' + level.trials + ' trials')));
          } else {
            root.append(svg('text', { x: labelWidth + 4, y: y + 4, text: 'no complete trial with a value' }));
          }
        });
        bottomAxis(root, x, top + rowHeight * row.levels.length + 4, labelWidth, width - 56, (tick) => formatNumber(tick, 4), x.ticks(5));
        grid.append(html('div', {},
          html('h3', { text: row.setting + (isNumber(row.effect) ? ': effect ' + (row.effect >= 0 ? '+' : '') + formatNumber(row.effect, 3) : '') }),
          root));
      }
      node.append(grid);
      node.append(html('p', { class: 'caption', text: 'Dot: the mean ' + data.sweep.metric + ' of the complete trials with that value; line: its 95% t interval over those trials; effect: best value\'s mean minus the worst\'s.' + (effects.note ? ' ' + effects.note + '.' : '') }));
    } else if (effects.kind === 'importance') {
      const rows = effects.importance || [];
      const width = 1200, labelWidth = 220, rowHeight = 26, top = 6;
      const height = top + rowHeight * rows.length + 30;
      const high = Math.max(1e-9, ...rows.map((row) => row.importance + (row.standard_deviation || 0)));
      const x = linearScale([0, Math.min(1, high * 1.05)], [labelWidth, width - 70]);
      const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot', 'data-plot': 'importance' });
      rows.forEach((row, index) => {
        const y = top + rowHeight * index;
        root.append(svg('text', { x: labelWidth - 8, y: y + rowHeight / 2 + 4, 'text-anchor': 'end', text: row.setting }));
        root.append(svg('rect', { class: 'mark bar', x: labelWidth, y: y + 4, width: Math.max(0, x(row.importance) - labelWidth), height: rowHeight - 8 },
          tooltip(row.setting + ': importance ' + formatNumber(row.importance, 3) + ' (± ' + formatNumber(row.standard_deviation, 2) + ' over the trees)')));
        root.append(svg('text', { x: x(row.importance) + 6, y: y + rowHeight / 2 + 4, text: formatNumber(row.importance, 3) }));
      });
      bottomAxis(root, x, top + rowHeight * rows.length + 2, labelWidth, width - 70, (tick) => formatNumber(tick, 2), x.ticks(5));
      node.append(root);
      if (effects.note) node.append(html('p', { class: 'caption', text: 'An estimate: ' + effects.note + '.' }));
    } else {
      node.append(empty(effects.note ? 'No effects yet: ' + effects.note + '.' : 'No effects yet.'));
    }
    return node;
  }

  function slicesSection(data) {
    const node = section('slices', 'Slices',
      'The metric against each searched setting, one point per complete trial, coloured by trial number (early dark, late yellow): where the search went and what paid.' + samplingNote(data));
    const trials = plottedTrials(data).filter((trial) => isNumber(trial.value));
    if (!data.parameters.length) { node.append(empty('The sweep searches no setting.')); return node; }
    if (!trials.length) { node.append(empty('No complete trial with a finite ' + data.sweep.metric + ' yet.')); return node; }
    const y = linearScale(paddedDomain(trials.map((trial) => trial.value)), [0, 0]);
    const lastNumber = Math.max(...data.trials.map((trial) => trial.number));
    const grid = html('div', { class: 'slices' });
    const radius = trials.length > 1000 ? 2 : 3.2;
    data.parameters.forEach((parameter, index) => {
      const width = 400, height = 280, left = 54, right = width - 12, top = 10, bottom = height - 50;
      const yScale = linearScale(y.domain, [bottom, top]);
      const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot', 'data-plot': 'slice', 'data-setting': parameter.name });
      leftAxis(root, yScale, left, top, bottom, right, (tick) => formatNumber(tick, 3), yScale.ticks(5));
      let x, ticks, label;
      if (parameter.kind === 'categorical') {
        const count = Math.max(parameter.labels.length, 1);
        const band = (right - left) / count;
        x = (coordinate, number) => left + band * (coordinate + 0.5) + (number === undefined ? 0 : jitter(number) * band * 0.5);
        ticks = parameter.labels.map((_, i) => i);
        label = (i) => shortened(parameter.labels[i], Math.max(4, Math.floor(band / 6.5)));
        for (const tick of ticks) root.append(svg('text', { x: x(tick), y: bottom + 16, 'text-anchor': 'middle', text: label(tick) }));
        root.append(svg('line', { class: 'axis-line', x1: left, x2: right, y1: bottom, y2: bottom }));
      } else {
        const domain = [parameter.minimum, parameter.maximum];
        const scale = parameter.kind === 'log' ? logScale(domain, [left + 6, right - 6]) : linearScale(domain, [left + 6, right - 6]);
        x = (coordinate) => scale(coordinate);
        bottomAxis(root, scale, bottom, left, right, (tick) => formatNumber(tick, 3), parameter.kind === 'log' ? scale.ticks() : scale.ticks(5));
      }
      root.append(svg('text', { class: 'axis-title', x: (left + right) / 2, y: height - 10, 'text-anchor': 'middle', text: parameter.name + (parameter.kind === 'log' ? ' (log)' : '') }));
      const points = svg('g', { class: 'points' });
      for (const trial of trials) {
        const coordinate = trial.parameters[index];
        if (coordinate === null || coordinate === undefined) continue;
        points.append(svg('circle', {
          class: 'mark point' + (trial.number === data.best_trial ? ' best' : ''), 'data-trial': trial.number,
          cx: x(coordinate, trial.number).toFixed(1), cy: yScale(trial.value).toFixed(1), r: radius,
          fill: viridis(lastNumber > 1 ? (trial.number - 1) / (lastNumber - 1) : 1), 'fill-opacity': 0.85,
        }, tooltip(trialSummary(data, trial))));
      }
      root.append(points);
      grid.append(html('div', {}, root));
    });
    node.append(grid);
    return node;
  }

  function fitName(fit) { return fit === 0 ? 'final fit' : 'fit ' + fit; }

  function curveChart(data, curve, kind) {
    const width = 300, height = 210, left = 44, right = width - 8, top = 22, bottom = height - 34;
    const trainKey = kind === 'loss' ? 'train_loss' : 'train_metric';
    const validationKey = kind === 'loss' ? 'validation_loss' : 'validation_metric';
    const values = [];
    let lastEpoch = 1;
    for (const fit of curve.fits) {
      values.push(...fit[trainKey], ...fit[validationKey]);
      lastEpoch = Math.max(lastEpoch, ...fit.epochs);
    }
    if (curve.stopped_at && curve.stopped_at.planned_epochs) lastEpoch = Math.max(lastEpoch, curve.stopped_at.planned_epochs);
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot', 'data-plot': 'curve-' + kind });
    if (!values.some(isNumber)) {
      root.append(svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', text: 'no finite ' + kind + ' recorded' }));
      return root;
    }
    const x = linearScale([1, Math.max(lastEpoch, 2)], [left, right]);
    const y = linearScale(paddedDomain(values), [bottom, top]);
    leftAxis(root, y, left, top, bottom, right, (tick) => formatNumber(tick, 3), y.ticks(5));
    bottomAxis(root, x, bottom, left, right, (tick) => String(tick), integerTicks(x, 6));
    root.append(svg('text', { class: 'axis-title', x: (left + right) / 2, y: height - 4, 'text-anchor': 'middle', text: 'epoch' }));
    root.append(svg('text', { class: 'axis-title', x: left, y: 11, text: kind === 'loss' ? 'loss' : data.sweep.epoch_metric }));
    curve.fits.forEach((fit, fitIndex) => {
      const colour = fit.fit === 0 ? '#212529' : FIT_COLOURS[(fit.fit - 1) % FIT_COLOURS.length];
      for (const [key, style] of [[trainKey, 'train'], [validationKey, 'validation']]) {
        let path = '', pen = 'M';
        fit[key].forEach((value, i) => {
          if (!isNumber(value)) { pen = 'M'; return; }
          path += `${pen}${x(fit.epochs[i]).toFixed(1)},${y(value).toFixed(1)}`;
          pen = 'L';
        });
        if (path) root.append(svg('path', { class: 'curve ' + style, d: path, stroke: colour, 'data-fit': fit.fit }, tooltip(fitName(fit.fit) + ', ' + style + ' ' + (kind === 'loss' ? 'loss' : data.sweep.epoch_metric))));
      }
      if (curve.stopped_at && fitIndex === curve.fits.length - 1) {
        const epochs = fit.epochs;
        let value = null;
        for (let i = epochs.length - 1; i >= 0 && value === null; i--) {
          if (isNumber(fit[validationKey][i])) value = fit[validationKey][i];
          else if (isNumber(fit[trainKey][i])) value = fit[trainKey][i];
        }
        const cx = x(curve.stopped_at.epoch), cy = value === null ? (top + bottom) / 2 : y(value);
        const size = 5;
        root.append(svg('path', { class: 'stop-mark', 'data-status': curve.status, d: `M${cx - size},${cy - size}L${cx + size},${cy + size}M${cx - size},${cy + size}L${cx + size},${cy - size}` },
          tooltip(curve.status + ' at epoch ' + curve.stopped_at.epoch + (curve.stopped_at.planned_epochs ? ' of ' + curve.stopped_at.planned_epochs : '') + ' in ' + fitName(curve.stopped_at.fit))));
        root.append(svg('text', { x: Math.min(cx + 8, right - 50), y: Math.max(cy - 8, top + 10), fill: STATUS_COLOURS[curve.status], style: 'fill:' + STATUS_COLOURS[curve.status], text: curve.status }));
      }
    });
    return root;
  }

  function curvesSection(data) {
    const node = section('curves', 'Learning curves',
      'Train (dashed) and validation (solid) loss and ' + data.sweep.epoch_metric + ' per epoch, one colour per fit (cross-validation folds; the final fit on every non-test row in black), for the best trials, and the pruned and diverged trials marked ✕ where they stopped.');
    if (!data.curves.length) { node.append(empty('No finished trial yet.')); return node; }
    const grid = html('div', { class: 'curves' });
    for (const curve of data.curves) {
      const stop = curve.stopped_at
        ? ' — ' + curve.status + ' at epoch ' + curve.stopped_at.epoch + (curve.stopped_at.planned_epochs ? '/' + curve.stopped_at.planned_epochs : '') + ' in ' + fitName(curve.stopped_at.fit)
        : '';
      const trial = trialsByNumber(data).get(curve.trial);
      const card = html('div', { class: 'curve-card', 'data-trial': curve.trial, 'data-status': curve.status },
        html('h3', { text: 'Trial ' + curve.trial + ' · rank ' + curve.rank + ' · ' + (trial ? valueText(trial) : curve.status) + stop }));
      if (!curve.fits.length) {
        card.append(empty(trial && trial.error ? 'No epoch finished: ' + trial.error + '.' : 'No epochs stored.'));
      } else {
        card.append(html('div', { class: 'pair' }, curveChart(data, curve, 'loss'), curveChart(data, curve, 'metric')));
        card.append(html('div', { class: 'legend' },
          curve.fits.map((fit) => html('span', {}, html('span', { class: 'swatch', style: 'background:' + (fit.fit === 0 ? '#212529' : FIT_COLOURS[(fit.fit - 1) % FIT_COLOURS.length]) }), ' ' + fitName(fit.fit))),
          html('span', {}, html('span', { class: 'line-sample dashed' }), 'train'),
          html('span', {}, html('span', { class: 'line-sample' }), 'validation')));
      }
      grid.append(card);
    }
    node.append(grid);
    return node;
  }

  function bestModelSection(data) {
    const model = data.best_model;
    const node = section('best-model', 'Best model on the test rows',
      model.trial !== undefined
        ? 'Trial ' + model.trial + '\'s network run on the ' + (model.test_rows || 'held-out') + ' test rows of the split it was trained with (never seen in training or model choice).'
        : 'The best trial\'s network run on the held-out test rows.');
    if (model.note) { node.append(empty(model.note.charAt(0).toUpperCase() + model.note.slice(1) + '.')); return node; }
    if (model.classification) {
      const matrix = model.classification;
      const table = html('table', { class: 'confusion' });
      table.append(html('tr', {}, html('th', { text: 'actual ↓ / predicted →' }), matrix.labels.map((label) => html('th', { text: label })), html('th', { text: 'recall' })));
      matrix.counts.forEach((row, actual) => {
        const total = row.reduce((a, b) => a + b, 0);
        table.append(html('tr', {}, html('th', { text: matrix.labels[actual] }),
          row.map((count, predicted) => {
            const share = total ? count / total : 0;
            const colour = actual === predicted ? `rgba(47,111,219,${(0.08 + 0.75 * share).toFixed(2)})` : `rgba(214,51,108,${(share * 0.9).toFixed(2)})`;
            return html('td', { class: 'cell', style: 'background:' + colour + (share > 0.55 ? ';color:#fff' : ''), title: count + ' rows of class ' + matrix.labels[actual] + ' predicted as ' + matrix.labels[predicted], text: String(count) });
          }),
          html('td', { class: 'score', text: formatNumber(matrix.recall[actual], 3) })));
      });
      table.append(html('tr', {}, html('th', { text: 'precision' }), matrix.precision.map((value) => html('td', { class: 'score', text: formatNumber(value, 3) })), html('td', {})));
      node.append(html('div', { class: 'model-grid' }, table,
        html('div', { class: 'metric-box' }, html('b', { text: formatMetric(matrix.accuracy) }), 'test accuracy over ' + model.test_rows + ' rows',
          html('p', { class: 'caption', text: 'Rows: the true class; columns: the predicted one. Precision: of the rows predicted as a class, the share that are it; recall: of the rows of a class, the share found.' }))));
    } else if (model.regression) {
      const fit = model.regression;
      const width = 560, height = 440, left = 64, right = width - 14, top = 12, bottom = height - 46;
      const domain = paddedDomain(fit.actual.concat(fit.predicted));
      const x = linearScale(domain, [left, right]), y = linearScale(domain, [bottom, top]);
      const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot', 'data-plot': 'predicted-actual' });
      leftAxis(root, y, left, top, bottom, right, (tick) => formatNumber(tick, 3), y.ticks(6));
      bottomAxis(root, x, bottom, left, right, (tick) => formatNumber(tick, 3), x.ticks(6));
      root.append(svg('line', { class: 'diagonal', x1: x(domain[0]), y1: y(domain[0]), x2: x(domain[1]), y2: y(domain[1]) }));
      const points = svg('g', { class: 'points' });
      fit.actual.forEach((actual, i) => {
        points.append(svg('circle', { class: 'mark point', cx: x(actual).toFixed(1), cy: y(fit.predicted[i]).toFixed(1), r: fit.actual.length > 1000 ? 2 : 3, fill: STATUS_COLOURS.complete, 'fill-opacity': 0.6 },
          tooltip('actual ' + formatNumber(actual, 4) + ', predicted ' + formatNumber(fit.predicted[i], 4))));
      });
      root.append(points);
      root.append(svg('text', { class: 'axis-title', x: (left + right) / 2, y: height - 6, 'text-anchor': 'middle', text: 'actual' }));
      root.append(svg('text', { class: 'axis-title', x: 14, y: (top + bottom) / 2, transform: `rotate(-90 14 ${(top + bottom) / 2})`, 'text-anchor': 'middle', text: 'predicted' }));
      node.append(html('div', { class: 'model-grid scatter' }, root,
        html('div', { class: 'metric-box' },
          html('b', { text: formatMetric(fit.rmse) }), 'test RMSE', html('br'), html('br'),
          html('b', { text: formatMetric(fit.mae) }), 'test MAE',
          html('p', { class: 'caption', text: 'Over ' + fit.rows + ' test rows' + (fit.actual.length < fit.rows ? ' (' + fit.actual.length + ' drawn)' : '') + '. The dashed line is a perfect prediction.' }))));
    }
    return node;
  }

  function tableColumns(data) {
    const columns = [
      { key: 'rank', label: 'rank', value: (t) => t.rank },
      { key: 'number', label: 'trial', value: (t) => t.number },
      { key: 'status', label: 'status', text: true, value: (t) => t.status, cell: (t) => html('span', { class: 'status', style: 'background:' + (STATUS_COLOURS[t.status] || '#999'), text: t.status }) },
    ];
    data.parameters.forEach((parameter, index) => {
      columns.push({
        key: 'p' + index, label: parameter.name, text: parameter.kind === 'categorical',
        value: (t) => t.parameters[index] === null || t.parameters[index] === undefined ? null
          : parameter.kind === 'categorical' ? parameterText(parameter, t.parameters[index]) : t.parameters[index],
        cell: (t) => parameterText(parameter, t.parameters[index]),
      });
    });
    columns.push({
      key: 'value', label: data.sweep.metric, value: (t) => isNumber(t.value) ? t.value : null, better: data.sweep.maximize ? 'high' : 'low',
      cell: (t) => isNumber(t.value) ? formatMetric(t.value) : html('span', { class: 'status-word', text: valueText(t) }),
    });
    if (data.sweep.scoring_fits > 1) {
      columns.push({ key: 'interval', label: '±95%', value: (t) => t.interval ? (t.interval[1] - t.interval[0]) / 2 : null, cell: (t) => t.interval ? formatNumber((t.interval[1] - t.interval[0]) / 2, 3) : '' });
      columns.push({ key: 'versus', label: '≈best', text: true, value: (t) => t.versus_best || null, cell: (t) => t.versus_best || '' });
    }
    columns.push({ key: 'test', label: data.sweep.test_metric, value: (t) => isNumber(t.test_value) ? t.test_value : null, cell: (t) => isNumber(t.test_value) ? formatMetric(t.test_value) : '' });
    columns.push({ key: 'epochs', label: 'epochs', value: (t) => t.epochs === undefined ? null : t.epochs, cell: (t) => t.epochs_text || (t.epochs === undefined ? '' : String(t.epochs)) });
    columns.push({ key: 'seconds', label: 'seconds', value: (t) => isNumber(t.seconds) ? t.seconds : null, cell: (t) => isNumber(t.seconds) ? t.seconds.toFixed(2) : '' });
    columns.push({ key: 'error', label: 'message', text: true, value: (t) => t.error || null, cell: (t) => t.error ? shortened(t.error, 80) : '' });
    return columns;
  }

  function sortedTrials(data, columns) {
    const column = columns.find((c) => c.key === state.table.key) || columns[0];
    const direction = state.table.descending ? -1 : 1;
    const trials = data.trials.filter((t) => state.table.status === 'all' || t.status === state.table.status);
    return trials.slice().sort((a, b) => {
      const va = column.value(a), vb = column.value(b);
      // Trials without a value go last whichever the direction.
      if (va === null && vb === null) return a.rank - b.rank;
      if (va === null) return 1;
      if (vb === null) return -1;
      const order = typeof va === 'string' ? va.localeCompare(vb, undefined, { numeric: true }) : va - vb;
      return order !== 0 ? order * direction : a.rank - b.rank;
    });
  }

  function trialsSection(data) {
    const node = section('trials', 'Trials', 'Every trial; click a column to sort by it (again to reverse). Trials without a value sort last.');
    const holder = html('div', {});
    node.append(holder);
    const draw = () => {
      const columns = tableColumns(data);
      const rows = sortedTrials(data, columns);
      const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
      state.table.page = Math.min(state.table.page, pages - 1);
      const shown = rows.slice(state.table.page * PAGE_SIZE, (state.table.page + 1) * PAGE_SIZE);
      const statusSelect = html('select', { 'aria-label': 'status', onchange: (event) => { state.table.status = event.target.value; state.table.page = 0; draw(); } },
        html('option', { value: 'all', text: 'all statuses' }),
        STATUS_ORDER.filter((status) => data.sweep.status_counts[status]).map((status) => html('option', { value: status, text: status, selected: state.table.status === status })));
      const pager = html('div', { class: 'pager' }, statusSelect,
        rows.length ? 'rows ' + (state.table.page * PAGE_SIZE + 1) + '–' + (state.table.page * PAGE_SIZE + shown.length) + ' of ' + rows.length : 'no rows',
        pages > 1 ? [
          html('button', { type: 'button', class: 'previous', disabled: state.table.page === 0, onclick: () => { state.table.page--; draw(); }, text: '‹ previous' }),
          html('button', { type: 'button', class: 'next', disabled: state.table.page >= pages - 1, onclick: () => { state.table.page++; draw(); }, text: 'next ›' }),
        ] : null);
      const head = html('tr', {}, columns.map((column) => html('th', {
        class: (column.text ? 'text ' : '') + (column.key === state.table.key ? 'sorted' + (state.table.descending ? ' descending' : '') : ''),
        'data-key': column.key, title: 'sort by ' + column.label,
        onclick: () => {
          if (state.table.key === column.key) state.table.descending = !state.table.descending;
          else { state.table.key = column.key; state.table.descending = column.better === 'high'; }
          state.table.page = 0;
          draw();
        },
        text: column.label,
      })));
      const body = html('tbody', {}, shown.map((trial) => html('tr', { 'data-trial': trial.number, class: trial.number === data.best_trial ? 'best-row' : null },
        columns.map((column) => html('td', { class: column.text ? 'text' : null }, column.cell ? column.cell(trial) : String(column.value(trial)))))));
      holder.replaceChildren(pager, html('div', { class: 'table-wrap' }, html('table', { class: 'trials' }, html('thead', {}, head), body)));
    };
    draw();
    return node;
  }

  function specSection(data) {
    return append(section('spec', 'Spec', 'The sweep\'s spec as stored: run it again with sweep run to resume or reproduce it.'),
      [html('pre', { class: 'spec', text: data.spec_text })]);
  }

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
})();
