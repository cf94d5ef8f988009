// The cockpit: the region's headline figures of a day on one dark 1920×1080 screen, each with
// its change against the day before and the same day a year before. Every figure comes from
// GET /api/v1/overview/day (ecohub.analytics.overview); this only lays them out.
import { api, cst, el, shell, showError } from '/static/app.js';
import { chart, chip, defaultDay, ready, setParam } from '/static/pages.js';

await shell('/cockpit', { signInRequired: true });
const $ = (id) => document.getElementById(id);
const dayInput = $('day');
dayInput.value = defaultDay();
const INK = '#b8c7d9';
const AXIS = { axisLabel: { color: INK, fontSize: 14 }, axisLine: { lineStyle: { color: '#5d7591' } },
  splitLine: { lineStyle: { color: '#274666' } } };

const percent = (share) => (share === null || share === undefined ? '—' : (share * 100).toFixed(1));

/** A change as people read it: "+5" / "-3.2"; `worseUp`: a rise is bad (AQI, rejections). */
function change(label, now, before, { decimals = 0, worseUp = true, unit = '' } = {}) {
  if (now === null || now === undefined || before === null || before === undefined) {
    return el('div', { class: 'change' }, `${label} —`);
  }
  const delta = now - before;
  const text = `${delta > 0 ? '+' : ''}${delta.toFixed(decimals)}${unit}`;
  const cls = delta === 0 ? null : (delta > 0) === worseUp ? 'up' : 'down';
  return el('div', { class: 'change' }, `${label} `, el('span', { class: cls }, text));
}

function kpi(id, title, value, unit, ...extra) {
  return el('article', { class: 'kpi', id }, el('h2', {}, title),
    el('div', { class: 'value' }, value ?? '—', unit ? el('small', {}, unit) : null), ...extra);
}

function draw(o) {
  const { day: air, previous, last_year: lastYear } = o.air;
  const good = o.good_days;
  $('when').textContent = `评价日 ${o.day}（北京时间）· 数采仪与报文为今日 ${o.loggers.today} 实时统计 · 更新于 ${cst(new Date())}`;
  $('kpis').replaceChildren(
    kpi('kpi-aqi', '全部城市平均 AQI', [air.mean_aqi ?? '—', chip(air.category, air.colour)], null,
      change('较前日', air.mean_aqi, previous.mean_aqi),
      change('较去年同日', air.mean_aqi, lastYear.mean_aqi)),
    kpi('kpi-good', '优良天数比例（年初至今）', good ? percent(good.good_share) : null, '%',
      el('div', { class: 'change' }, `去年同期 ${good ? percent(good.good_share_last) : '—'}%`),
      change('同比', good?.change_pp ?? null, 0, { decimals: 1, worseUp: false, unit: ' 个百分点' })),
    kpi('kpi-outlets', '排放口超标（对照许可限值）', o.exceedances.day.outlets_exceeded, '个',
      el('div', { class: 'change' }, `超标因子 ${o.exceedances.day.exceeded} 项（有数据 ${o.exceedances.day.with_data} / 限值 ${o.exceedances.day.limits} 项）`),
      change('较前日', o.exceedances.day.outlets_exceeded, o.exceedances.previous.outlets_exceeded),
      el('div', { class: 'change' }, `今日（实时）${o.exceedances.today.outlets_exceeded} 个`)),
    kpi('kpi-over', '空气质量超标城市（AQI>100）', air.over_100, `/ ${air.cities} 个`,
      change('较前日', air.over_100, previous.over_100),
      change('较去年同日', air.over_100, lastYear.over_100)),
    kpi('kpi-worst', '污染最重城市', air.worst?.city ?? '—', null,
      air.worst ? el('div', { class: 'change' }, `AQI ${air.worst.aqi} `,
        chip(air.worst.category, air.worst.colour),
        ` 首要污染物 ${air.worst.primary?.join('、') || '—'}`) : null),
    kpi('kpi-water', '水质 I–III 类断面比例', percent(o.water.day.share_i_iii), '%',
      el('div', { class: 'change' }, `${o.water.day.class_i_iii} / ${o.water.day.classed} 个断面`),
      change('较前日', o.water.day.share_i_iii === null ? null : o.water.day.share_i_iii * 100,
        o.water.previous.share_i_iii === null ? null : o.water.previous.share_i_iii * 100,
        { decimals: 1, worseUp: false, unit: ' 个百分点' })),
    kpi('kpi-online', '数采仪在线率（今日）', percent(o.loggers.online_rate), '%',
      el('div', { class: 'change' }, `今日有数据 ${o.loggers.sending} / 登记 ${o.loggers.registered} 台，当前连接 ${o.loggers.connected} 台`)),
    kpi('kpi-rejected', '今日未入库报文', o.rejected.today, '条',
      change('较昨日', o.rejected.today, o.rejected.yesterday),
      el('div', { class: 'change' }, el('a', { href: '/operations', style: 'color:#9cc8ff' }, '查看原因 ›'))),
  );
  const ranked = o.ranking.filter((r) => r.aqi !== null).reverse();
  chart($('ranking'), {
    grid: { left: 80, right: 48, top: 8, bottom: 24 },
    xAxis: { type: 'value', ...AXIS },
    yAxis: { type: 'category', data: ranked.map((r) => r.city), ...AXIS },
    series: [{ type: 'bar', barMaxWidth: 28,
      label: { show: true, position: 'right', color: '#e8eef5', fontSize: 14 },
      data: ranked.map((r) => ({ value: r.aqi, itemStyle: { color: r.colour_rgb } })) }],
  });
  chart($('trend'), {
    grid: { left: 48, right: 24, top: 16, bottom: 28 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: o.trend.map((t) => t.date.slice(5)), ...AXIS },
    yAxis: { type: 'value', name: 'AQI', nameTextStyle: { color: INK }, ...AXIS },
    series: [{ type: 'line', name: '平均 AQI', symbolSize: 12, lineStyle: { color: '#9cc8ff', width: 3 },
      label: { show: true, color: '#e8eef5', fontSize: 14 },
      data: o.trend.map((t) => ({ value: t.mean_aqi, itemStyle: { color: t.colour || '#9cc8ff' } })) }],
  });
  chart($('categories'), {
    grid: { left: 84, right: 36, top: 8, bottom: 24 },
    xAxis: { type: 'value', minInterval: 1, ...AXIS },
    yAxis: { type: 'category', inverse: true, data: air.by_category.map((c) => c.category), ...AXIS },
    series: [{ type: 'bar', barMaxWidth: 24,
      label: { show: true, position: 'right', color: '#e8eef5', fontSize: 14 },
      data: air.by_category.map((c) => ({ value: c.cities, itemStyle: { color: c.colour } })) }],
  });
  $('standards').textContent = `评价依据：${o.standards || '—'}。平均 AQI 为各城市日 AQI 的算术平均，类别按 HJ 633 表 1；优良天数比例为各城市比例的平均；水质按 GB 3838-2002 单因子评价。`;
}

async function load() {
  delete document.body.dataset.ready;
  try {
    draw(await api(`/overview/day?day=${dayInput.value}`));
  } catch (error) {
    showError($('kpis'), error);
  }
  ready();
}

dayInput.addEventListener('change', () => {
  if (!dayInput.value) return;
  setParam('day', dayInput.value);
  load();
});
await load();
