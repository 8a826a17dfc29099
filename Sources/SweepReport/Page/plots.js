// The report's summary and its plots over trials: optimisation history, parallel coordinates,
// parameter effects and slices.

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
      : html('div', { class: 'headline', id: 'best-summary' }, sweep.shortfall ? sentence(sweep.shortfall) : noFiniteTrialText(data)),
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
    root.append(svg('text', { x: (left + right) / 2, y: (top + bottom) / 2, 'text-anchor': 'middle', class: 'axis-title', text: noFiniteTrialText(data).slice(0, -1) }));
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
    valued.length ? html('span', {}, html('span', { class: 'swatch', style: 'background:' + STATUS_COLOURS.complete }), ' complete') : null,
    valued.length ? html('span', {}, html('span', { class: 'line-sample', style: 'border-color:' + BEST_COLOUR }), 'best so far') : null,
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
  if (!trials.length) { node.append(empty(noFiniteTrialText(data))); return node; }
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
  const titles = names.map((name, index) =>
    shortened(name, 22) + (index < data.parameters.length && data.parameters[index].kind === 'log' ? ' (log)' : ''));
  // Titles wider than the space between axes (about 6.3 units a character, 11px bold) alternate
  // between two rows, so that neighbours do not run into each other.
  const spacing = count === 1 ? width : (right - left) / (count - 1);
  const staggered = titles.some((title, index) => index > 0 && (title.length + titles[index - 1].length) / 2 * 6.3 > spacing - 6);
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
    axis.append(svg('text', { class: 'axis-title', x, y: top - (staggered && index % 2 === 1 ? 30 : 16), 'text-anchor': 'middle', text: titles[index] }));
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
    if (!values.some(isNumber)) { node.append(empty(noFiniteTrialText(data))); return node; }
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
  if (!trials.length) { node.append(empty(noFiniteTrialText(data))); return node; }
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
