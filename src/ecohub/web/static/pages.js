// Helpers the data pages share: tables laid out from the API's column labels (meta.columns:
// Chinese header with unit, digits), category chips in the HJ 633 colours the API gives,
// charts, and the page's query parameters. No standard's figure is computed here: values come
// rounded from the API (`published=true`); this only formats them.
import { el, todayCst } from '/static/app.js';

/** A query parameter of the page's URL, or `fallback`. */
export function param(name, fallback = null) {
  return new URLSearchParams(location.search).get(name) || fallback;
}

/** The day a page shows by default: `?day=` or yesterday (China Standard Time). */
export function defaultDay() {
  const day = param('day');
  return /^\d{4}-\d{2}-\d{2}$/.test(day || '') ? day : todayCst(-1);
}

/** Replace `?name=value` in the address without reloading (bookmarkable views). */
export function setParam(name, value) {
  const url = new URL(location.href);
  url.searchParams.set(name, value);
  history.replaceState(null, '', url);
}

/** A value as the API published it: `digits` decimals, a share as percent, lists joined. */
export function format(value, spec = {}) {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.length ? value.join('、') : '—';
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (typeof value === 'number') {
    if (spec.percent) return (value * 100).toFixed(spec.decimals ?? 1);
    if (spec.decimals !== null && spec.decimals !== undefined) {
      return value.toFixed(spec.decimals);
    }
  }
  return String(value);
}

/** Black or white text, whichever reads better on a background colour (#RRGGBB). */
export function inkOn(colour) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? '#000000' : '#ffffff';
}

/** An AQI category in its HJ 633 colour (the colour the API gives with the category). */
export function chip(category, colour) {
  if (!category) return '—';
  return el('span', { class: 'chip', style: colour
    ? `background:${colour};color:${inkOn(colour)}` : null }, category);
}

/**
 * A data table. `columns`: [{key, label, num, render(row)}]; a label defaults to the API's
 * meta.columns header. Wrapped in a focusable region so the keyboard can scroll it.
 */
export function dataTable(id, caption, columns, rows, meta = {}) {
  const labels = meta.columns || {};
  const head = columns.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : null },
    labels[c.key]?.text || c.label || c.key));
  const body = rows.map((row) => el('tr', {}, columns.map((c) => el('td', {
    class: c.num ? 'num' : null, 'data-key': c.key,
  }, c.render ? c.render(row) : format(row[c.key], labels[c.key] || c)))));
  const table = el('table', { class: 'data', id },
    el('caption', { class: 'sr-only' }, caption),
    el('thead', {}, el('tr', {}, head)),
    el('tbody', {}, body.length ? body : el('tr', {}, el('td', { colspan: columns.length,
      class: 'note' }, '所选时段没有数据。'))));
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    table);
}

const charts = new Set();
addEventListener('resize', () => charts.forEach((chart) => chart.resize()));

/** An ECharts chart in `container` (replacing any before); `echarts` is the vendored global. */
export function chart(container, option, theme) {
  echarts.getInstanceByDom(container)?.dispose();
  const made = echarts.init(container, theme, { renderer: 'svg' });
  made.setOption({ textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    animation: false, ...option });
  charts.add(made);
  return made;
}

/** The page's data are drawn: tests and the benchmark wait for this. */
export function ready() {
  document.body.dataset.ready = '1';
}
