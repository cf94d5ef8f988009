// Surface water: each section's GB 3838-2002 class over the period, the class distribution, and
// a section's daily class and main factors. Classes and means come from the API.
import { api, el, shell, showError } from '/static/app.js';
import { chart, dataTable, defaultDay, param, ready, setParam } from '/static/pages.js';

await shell('/water', { signInRequired: true });
const $ = (id) => document.getElementById(id);
const to = defaultDay();
$('to').value = param('to', to);
const from = new Date(`${$('to').value}T00:00:00Z`);
from.setUTCDate(from.getUTCDate() - 6);
$('from').value = param('from', from.toISOString().slice(0, 10));
const CLASSES = ['I', 'II', 'III', 'IV', 'V', '劣V'];
const FACTORS = ['DO_mg_L', 'CODMn_mg_L', 'NH3-N_mg_L', 'TP_mg_L', 'COD_mg_L', 'BOD5_mg_L',
  'TN_mg_L', 'pH'];

async function drawSections(first, last) {
  const page = await api(`/assessments/water?from=${first}&to=${last}&published=true`);
  const rows = page.items;
  const factors = FACTORS.filter((f) => rows.some((r) => r[f] !== undefined && r[f] !== null));
  $('sections-sub').textContent = `${first} 至 ${last}（北京时间）`;
  $('sections').replaceChildren(dataTable('water-sections', '断面水质类别', [
    { key: 'city' }, { key: 'name', label: '断面' }, { key: 'water' },
    { key: 'label' }, { key: 'status' },
    { key: 'target_class', render: (r) => CLASSES[r.target_class - 1] || '—' },
    { key: 'complies', render: (r) => (r.complies === null ? '—' : el('span', {
      class: r.complies ? 'good' : 'bad' }, r.complies ? '达标' : '未达标')) },
    { key: 'main_pollutants', render: (r) => r.main_pollutants || '—' },
    ...factors.map((key) => ({ key, num: true })),
  ], rows, page));
  const counts = CLASSES.map((c) => rows.filter((r) => r.label === c).length);
  chart($('classes'), {
    tooltip: {}, grid: { left: 48, right: 16, top: 24, bottom: 32 },
    xAxis: { type: 'category', data: CLASSES.map((c) => `${c} 类`) },
    yAxis: { type: 'value', name: '断面数', minInterval: 1 },
    series: [{ type: 'bar', data: counts, itemStyle: { color: '#0b5cad' },
      label: { show: true, position: 'top' } }],
  });
  return rows;
}

async function drawTrend(first, last, code) {
  const page = await api(`/assessments/water/daily?from=${first}&to=${last}`
    + `&section=${encodeURIComponent(code)}&published=true`);
  const rows = page.items;
  $('trend-sub').textContent = rows[0] ? `${rows[0].name}，逐日类别与主要指标` : '';
  const factors = ['NH3-N_mg_L', 'CODMn_mg_L', 'TP_mg_L', 'DO_mg_L']
    .filter((f) => rows.some((r) => r[f] !== null && r[f] !== undefined));
  chart($('trend'), {
    tooltip: { trigger: 'axis' }, legend: { top: 0, type: 'scroll' },
    grid: { left: 48, right: 48, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: rows.map((r) => r.date) },
    yAxis: [{ type: 'value', name: 'mg/L' },
      { type: 'value', name: '类别', min: 1, max: 6, interval: 1, inverse: true,
        axisLabel: { formatter: (v) => CLASSES[v - 1] || '' } }],
    series: [
      { name: '水质类别', type: 'line', step: 'middle', yAxisIndex: 1, lineStyle: { width: 3 },
        data: rows.map((r) => r.water_class) },
      ...factors.map((f) => ({ name: page.columns[f]?.text || f, type: 'line',
        data: rows.map((r) => r[f]) })),
    ],
  });
}

async function load() {
  delete document.body.dataset.ready;
  const [first, last] = [$('from').value, $('to').value];
  try {
    const rows = await drawSections(first, last);
    const select = $('section');
    const chosen = select.value || param('section') || rows[0]?.code;
    select.replaceChildren(...rows.map((r) => el('option', { value: r.code,
      selected: r.code === chosen }, `${r.name}（${r.city}）`)));
    if (select.value) await drawTrend(first, last, select.value);
  } catch (error) {
    showError($('sections'), error);
  }
  ready();
}

$('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  for (const id of ['from', 'to', 'section']) setParam(id, $(id).value);
  load();
});
await load();
