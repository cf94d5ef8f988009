// Data quality: completeness, timeliness, validity, consistency and the weighted score per
// department (or object, factor), with the API's explanation of low scores.
import { api, el, shell, showError } from '/static/app.js';
import { chart, dataTable, defaultDay, param, ready, setParam } from '/static/pages.js';

await shell('/quality', { signInRequired: true });
const $ = (id) => document.getElementById(id);
$('to').value = param('to', defaultDay());
$('from').value = param('from', $('to').value);
$('by').value = param('by', 'department');
const GROUP = { department: [['department', '处室']],
  object: [['object_name', '监测对象'], ['department', '处室']],
  factor: [['factor_name', '监测因子'], ['factor', '因子编码']] };
const DIMENSIONS = [['completeness', '完整率 (%)'], ['timeliness', '及时率 (%)'],
  ['validity', '有效率 (%)'], ['consistency', '一致率 (%)'], ['score', '综合评分 (%)']];

async function load() {
  delete document.body.dataset.ready;
  const [from, to, by] = [$('from').value, $('to').value, $('by').value];
  try {
    const page = await api(`/quality/scores?from=${from}&to=${to}&by=${by}`);
    const rows = page.items;
    $('scores-sub').textContent = `${from} 至 ${to}（北京时间）`;
    $('scores').replaceChildren(dataTable('quality-scores', '数据质量评分', [
      ...GROUP[by].map(([key, label]) => ({ key, label })),
      { key: 'expected', label: '应收时段数', num: true },
      { key: 'received', label: '实收时段数', num: true },
      { key: 'readings', label: '数据条数', num: true },
      ...DIMENSIONS.map(([key, label]) => ({ key, label, num: true, percent: true, decimals: 1,
        render: key === 'score' ? (r) => el('strong', { class: r.score !== null && r.score < 0.8
          ? 'bad' : null }, r.score === null ? '—' : (r.score * 100).toFixed(1)) : undefined })),
    ], rows));
    $('why').replaceChildren(page.notes.length
      ? el('ul', {}, page.notes.map((n) => el('li', {}, n)))
      : el('p', { class: 'note' }, '没有需要说明的低分。'));
    const names = rows.map((r) => r[GROUP[by][0][0]]);
    chart($('chart'), {
      tooltip: { trigger: 'axis' }, legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 48 },
      xAxis: { type: 'category', data: names, axisLabel: { interval: 0 } },
      yAxis: { type: 'value', max: 100 },
      series: DIMENSIONS.map(([key, label]) => ({ name: label.replace(' (%)', ''), type: 'bar',
        data: rows.map((r) => (r[key] === null ? null : +(r[key] * 100).toFixed(1))) })),
    });
  } catch (error) {
    showError($('scores'), error);
  }
  ready();
}

$('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  for (const id of ['from', 'to', 'by']) setParam(id, $(id).value);
  load();
});
await load();
