// The report's details: learning curves, the best model on the test rows, the trials table and
// the spec.

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
  // Without a best trial the sweep's shortfall says why, up to date where the dashboard keeps this section.
  const note = model.trial === undefined && data.sweep.shortfall ? data.sweep.shortfall : model.note;
  if (note) { node.append(empty(sentence(note))); return node; }
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
  // None for a sweep that keeps no test rows.
  if (data.sweep.test_metric) columns.push({ key: 'test', label: data.sweep.test_metric, value: (t) => isNumber(t.test_value) ? t.test_value : null, cell: (t) => isNumber(t.test_value) ? formatMetric(t.test_value) : '' });
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
