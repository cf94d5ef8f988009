// Air quality: the cities' daily ranking by AQI (HJ 633), the comprehensive-index ranking of
// the month (HJ 663), good days to date against the year before, primary pollutants, and an AQI
// calendar per city. Anonymous viewers get the public daily report only (public endpoints).
import { api, el, shell, showError, todayCst } from '/static/app.js';
import { chart, chip, dataTable, defaultDay, format, param, ready, setParam } from '/static/pages.js';

const who = await shell('/air');
const signedIn = who.kind !== 'anonymous';
const $ = (id) => document.getElementById(id);
const dayInput = $('day');
dayInput.value = defaultDay();
dayInput.max = todayCst(0);

const CONCENTRATIONS = ['PM2.5_ug_m3', 'PM10_ug_m3', 'O3_max_8h_ug_m3', 'NO2_ug_m3', 'SO2_ug_m3',
  'CO_mg_m3'];

function downloads(day) {
  const month = day.slice(0, 7);
  const link = (href, text) => el('a', { class: 'button', href, download: '' }, text);
  $('downloads').replaceChildren(
    link(`/api/v1/reports/air-daily?day=${day}&format=pdf`, '日报 PDF'),
    link(`/api/v1/reports/air-daily?day=${day}&format=xlsx`, '日报 Excel'),
    link(`/api/v1/reports/air-monthly?month=${month}&format=pdf`, '月报 PDF'),
    link(`/api/v1/reports/air-monthly?month=${month}&format=xlsx`, '月报 Excel'));
}

async function drawDaily(day) {
  const page = signedIn
    ? await api(`/assessments/air?from=${day}&to=${day}&table=daily_ranking&published=true`)
    : await api(`/assessments/public/air/city-daily?day=${day}`);
  const columns = [
    { key: 'rank', label: '排名', num: true },
    { key: 'city', label: '城市' },
    { key: 'aqi', label: 'AQI', num: true },
    { key: 'primary', label: '首要污染物' },
    { key: 'category', label: '空气质量类别', render: (r) => chip(r.category, r.colour_rgb) },
    ...(signedIn ? CONCENTRATIONS.map((key) => ({ key, num: true })) : []),
  ];
  $('daily-sub').textContent = `${day}（北京时间自然日），按日 AQI 由低到高`;
  $('daily').replaceChildren(dataTable('daily-ranking', `${day} 城市空气质量日排名`, columns,
    page.items, page));
  $('daily-standards').textContent = standardsText(page, page.items);
  return page.items;
}

function standardsText(page, rows) {
  if (page.standards_text) return `评价依据：${page.standards_text}。`;
  const editions = [...new Set(rows.map((r) => r.edition))];
  const stages = [...new Set(rows.map((r) => r.stage).filter(Boolean))];
  const stage = stages.map((s) => (s === 'final' ? '最终阶段' : '过渡阶段')).join('、');
  return editions.length ? `评价依据：HJ 633-${editions.join('/')}`
    + (stage ? `，GB 3095-2026 ${stage}` : '') + '。' : '';
}

async function drawPeriod(day) {
  const first = `${day.slice(0, 8)}01`;
  const page = await api(`/assessments/air?from=${first}&to=${day}&table=ranking&published=true`);
  const rows = page.items.filter((r) => r.period === 'month');
  const subs = ['sub_PM2.5', 'sub_PM10', 'sub_O3', 'sub_NO2', 'sub_SO2', 'sub_CO'];
  $('period-sub').textContent = `${first} 至 ${day}，综合指数越小空气质量越好`;
  $('period').replaceChildren(dataTable('period-ranking', `${first} 至 ${day} 综合指数排名`, [
    { key: 'rank', num: true }, { key: 'city' }, { key: 'composite_index', num: true },
    ...subs.map((key) => ({ key, num: true })),
    { key: 'valid', label: '时段有效' },
  ], rows, page));
  const rule = page.ranking_rule;
  $('period-standards').textContent = `评价依据：${page.standards_text}。`
    + (rule ? `排名规则：${rule}。` : '')
    + (rows.some((r) => r.valid === false) ? '“时段有效”为否：有效天数不足 GB 3095 表 4 的统计要求，排名仅供参考。' : '');
}

async function drawGoodDays(day) {
  const page = await api(`/assessments/air/good-days?day=${day}&published=true`);
  const rows = page.items;
  $('good').replaceChildren(dataTable('good-days', '优良天数比例', [
    { key: 'city' }, { key: 'good_days', num: true }, { key: 'valid_aqi_days', num: true },
    { key: 'good_share', num: true }, { key: 'good_share_last', num: true },
    { key: 'change_pp', num: true, render: (r) => el('span', {
      class: r.change_pp > 0 ? 'good' : r.change_pp < 0 ? 'bad' : null,
    }, r.change_pp > 0 ? `+${format(r.change_pp, page.columns.change_pp)}`
      : format(r.change_pp, page.columns.change_pp)) },
  ], rows, page));
  const region = rows.at(-1);
  $('good-standards').textContent = region
    ? `统计时段：${region.from} 至 ${region.to}，去年同期 ${region.from_last} 至 ${region.to_last}；`
      + `两期同口径，均按 ${page.standards_text || '—'} 评价。`
      + '“全部城市”为各城市比例的算术平均。' : '';
  const cities = rows.map((r) => r.city);
  const percent = (v) => (v === null ? null : +(v * 100).toFixed(1));
  chart($('good-chart'), {
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null ? '—' : `${v.toFixed(1)}%`) },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 32 },
    xAxis: { type: 'category', data: cities },
    yAxis: { type: 'value', name: '%', max: 100 },
    series: [
      { name: '年初至今', type: 'bar', data: rows.map((r) => percent(r.good_share)),
        itemStyle: { color: '#1b6e3a' } },
      { name: '去年同期', type: 'bar', data: rows.map((r) => percent(r.good_share_last)),
        itemStyle: { color: '#8795a1' } },
    ],
  });
}

async function drawCity(day, city, year) {
  const last = String(year) === day.slice(0, 4) ? day : `${year}-12-31`;
  const page = await api(`/assessments/air?from=${year}-01-01&to=${last}&table=city_daily`
    + `&city=${encodeURIComponent(city)}&published=true`);
  const rows = page.items.filter((r) => r.aqi !== null);
  $('calendar-sub').textContent = `${city}，${year} 年（至 ${last}）`;
  const seen = new Map(rows.map((r) => [r.category, r.colour_rgb]));
  chart($('calendar'), {
    tooltip: { formatter: (p) => `${p.value[0]}<br>AQI ${p.value[1]}（${p.data.category}）` },
    calendar: { range: String(year), cellSize: ['auto', 18], top: 30, left: 40, right: 16,
      dayLabel: { nameMap: 'ZH', firstDay: 1 }, monthLabel: { nameMap: 'ZH' },
      yearLabel: { show: false }, itemStyle: { color: '#f3f5f7', borderColor: '#fff' } },
    series: [{ type: 'heatmap', coordinateSystem: 'calendar',
      data: rows.map((r) => ({ value: [r.date, r.aqi], category: r.category,
        itemStyle: { color: r.colour_rgb } })) }],
  });
  $('calendar-legend').replaceChildren('颜色为 HJ 633 空气质量类别：',
    ...[...seen].flatMap(([category, colour]) => [chip(category, colour), ' ']),
    rows.length ? '' : '该年没有有效的日 AQI。');
  const counts = new Map();
  for (const r of rows) for (const p of r.primary || []) counts.set(p, (counts.get(p) || 0) + 1);
  $('primary-sub').textContent = `${city}，${year} 年`;
  chart($('primary-chart'), {
    tooltip: { trigger: 'item', formatter: '{b}：{c} 天（{d}%）' },
    legend: { bottom: 0 },
    series: [{ type: 'pie', radius: ['35%', '65%'], label: { formatter: '{b}\n{d}%' },
      data: [...counts].map(([name, value]) => ({ name, value })) }],
    title: counts.size ? undefined : { text: '所选时段没有首要污染物（AQI 均不大于 50）',
      left: 'center', top: 'middle', textStyle: { fontSize: 14, color: '#4a5866' } },
  });
}

async function section(id, draw) {
  try { return await draw(); } catch (error) { showError($(id), error); return null; }
}

async function drawAll() {
  delete document.body.dataset.ready;
  const day = dayInput.value;
  downloads(day);
  const daily = await section('daily', () => drawDaily(day));
  if (signedIn) {
    const cities = (daily || []).map((r) => r.city);
    const select = $('city');
    const chosen = select.value || param('city') || cities[0];
    select.replaceChildren(...cities.map((c) => el('option', { value: c, selected: c === chosen }, c)));
    const year = $('year');
    const thisYear = Number(day.slice(0, 4));
    const wanted = year.value || param('year') || thisYear;
    year.replaceChildren(...[thisYear, thisYear - 1, thisYear - 2].map((y) => el('option', {
      value: y, selected: String(y) === String(wanted) }, `${y} 年`)));
    await Promise.all([
      section('period', () => drawPeriod(day)),
      section('good', () => drawGoodDays(day)),
      select.value ? section('calendar', () => drawCity(day, select.value, year.value)) : null,
    ]);
  }
  ready();
}

$('signed-in').hidden = !signedIn;
$('public-note').hidden = signedIn;
$('city-label').hidden = $('year-label').hidden = !signedIn;
dayInput.addEventListener('change', () => {
  if (!dayInput.value) return;
  setParam('day', dayInput.value);
  drawAll();
});
for (const id of ['city', 'year']) {
  $(id).addEventListener('change', async () => {
    delete document.body.dataset.ready;
    setParam(id, $(id).value);
    await section('calendar', () => drawCity(dayInput.value, $('city').value, $('year').value));
    ready();
  });
}
await drawAll();
