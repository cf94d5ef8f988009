// The one map (一张图): every monitored object the viewer may see, coloured by what it is judged
// on (/api/v1/map/objects — the public view /api/v1/public/map/objects), region outlines
// (/api/v1/map/regions), a detail panel with 24-hour and 30-day charts and their limits, and live
// updates from /api/v1/events. No online basemap: a background colour, the outlines, and an
// operator's PMTiles file if the server has one (/api/v1/map/config).
import { api, cst, el, num, shell, showError } from '/static/app.js';

const TYPES = [
  ['air_station', '空气站'], ['water_station', '水质站'], ['noise_station', '噪声站'],
  ['pollution_source', '污染源'], ['outlet', '排放口'],
];
const CLUSTER_COLOURS = {
  air_station: '#3b6ea8', water_station: '#1e8a9c', noise_station: '#7a5aa6',
  pollution_source: '#8a5a2b', outlet: '#a0522d',
};
const FONT = ['Noto Sans CJK SC'];
const HOUR = 3600e3;

// The viewer, then the data, are asked for while MapLibre loads and starts (its worker, the
// canvas, the empty style): on software WebGL its start is a large part of the page's time.
const whoAsked = shell('/');
const publicView = (viewer) => viewer.kind === 'anonymous'
  || !(viewer.permissions || []).includes('data.read');
const dataAsked = whoAsked.then((viewer) => Promise.all([
  api(publicView(viewer) ? '/public/map/objects' : '/map/objects'), api('/map/regions'),
  api('/map/config')]));
dataAsked.catch(() => {});  // shown where it is awaited
const maplibregl = await import('/static/vendor/maplibre-gl.mjs');
maplibregl.prewarm();
const mapStarted = startMap();
const who = await whoAsked;
performance.mark('ecohub:who');
const isPublic = publicView(who);
const statusLine = document.getElementById('map-status');
const panel = document.getElementById('panel');
const features = new Map();   // code → GeoJSON feature
let legendTypes = [];
let openCode = null;

const objectsPath = (codes) => {
  const base = isPublic ? '/public/map/objects' : '/map/objects';
  return codes ? `${base}?${codes.map((c) => `code=${encodeURIComponent(c)}`).join('&')}` : base;
};

function toFeature(row) {
  return {
    type: 'Feature', id: undefined,
    geometry: { type: 'Point', coordinates: [row.longitude, row.latitude] },
    properties: { ...row, offline: row.online === false },
  };
}

let map;
try {
  const [state, regions, config] = await dataAsked;
  performance.mark('ecohub:data');
  legendTypes = state.legend;
  for (const row of state.items) {
    if (row.longitude !== null && row.latitude !== null) features.set(row.code, toFeature(row));
  }
  map = await mapStarted;
  performance.mark('ecohub:map-loaded');
  await drawMap(map, regions, config);
  drawControls(regions);
  performance.mark('ecohub:layers');
  window.ecohubMap = map;
  map.once('idle', () => {
    performance.mark('ecohub:idle');
    chartsLoaded();  // the panel's charts: loaded once the map is drawn, not before it
    window.ecohubTiming = { ready: performance.now() };
    document.body.dataset.ready = '1';
  });
  listen();
  setInterval(() => refresh(null), 60e3);  // loggers go offline without sending anything
} catch (error) {
  showError(document.getElementById('map'), error);
  document.body.dataset.ready = 'error';
}

let echartsLoading = null;
function chartsLoaded() {
  echartsLoading ??= window.echarts ? Promise.resolve()
    : loadScript('/static/vendor/echarts.min.js');
  return echartsLoading;
}

function collection(type) {
  // what the layers draw and a click needs, nothing more: the worker gets a small copy (the
  // panel reads the whole row from `features`)
  return { type: 'FeatureCollection',
    features: [...features.values()].filter((f) => f.properties.object_type === type)
      .map(({ geometry, properties: p }) => ({ type: 'Feature', geometry,
        properties: { code: p.code, name: p.name, colour: p.colour, status: p.status,
          offline: p.offline } })) };
}

function startMap() {
  // Anhui until the objects are known (drawMap fits the view to them)
  const m = new maplibregl.Map({
    container: 'map', attributionControl: { compact: false },
    style: { version: 8, sources: {}, layers: [  // no `glyphs`: the system's fonts (Noto CJK)
      { id: 'background', type: 'background', paint: { 'background-color': '#dfe7ee' } }] },
    bounds: [[114.8, 29.4], [119.7, 34.7]], maxZoom: 18, fadeDuration: 0,
  });
  m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  m.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  return new Promise((resolve) => m.on('load', () => resolve(m)));
}

async function drawMap(m, regions, config) {
  if (config.basemap && window.pmtiles === undefined) await loadScript('/static/vendor/pmtiles.js');
  if (config.basemap && window.pmtiles) {
    const protocol = new window.pmtiles.Protocol();
    maplibregl.addProtocol('pmtiles', protocol.tile);
    m.addSource('basemap', { type: 'raster', url: `pmtiles://${location.origin}${config.basemap}`,
      tileSize: 256, attribution: '底图：运维方提供' });
    m.addLayer({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  const bounds = new maplibregl.LngLatBounds();
  for (const f of features.values()) bounds.extend(f.geometry.coordinates);
  if (!bounds.isEmpty()) m.fitBounds(bounds, { padding: 60, maxZoom: 11, animate: false });
  m.addSource('regions', { type: 'geojson', data: regions });
  m.addLayer({ id: 'regions-fill', type: 'fill', source: 'regions',
    paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.55 } });
  m.addLayer({ id: 'regions-line', type: 'line', source: 'regions',
    paint: { 'line-color': '#5b6f82', 'line-width': 1.2,
      'line-dasharray': regions.schematic ? [3, 2] : [1, 0] } });
  m.addSource('region-labels', { type: 'geojson', data: { type: 'FeatureCollection',
    features: regions.features.map((f) => ({ type: 'Feature', properties: f.properties,
      geometry: { type: 'Point', coordinates: labelPoint(f.geometry) } })) } });
  m.addLayer({ id: 'regions-label', type: 'symbol', source: 'region-labels',
    layout: { 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': 13,
      'text-allow-overlap': false },
    paint: { 'text-color': '#4a5866', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 } });
  for (const [type] of TYPES) {
    m.addSource(type, { type: 'geojson', data: collection(type), cluster: true,
      clusterMaxZoom: 10, clusterRadius: 36,
      clusterProperties: { exceeded: ['+', ['case',
        ['in', ['get', 'status'], ['literal', ['exceeded', 'class_4', 'class_5', 'class_6',
          'aqi_3', 'aqi_4', 'aqi_5', 'aqi_6']]], 1, 0]] } });
    m.addLayer({ id: `${type}-clusters`, type: 'circle', source: type,
      filter: ['has', 'point_count'],
      paint: { 'circle-color': CLUSTER_COLOURS[type], 'circle-opacity': 0.85,
        'circle-radius': ['step', ['get', 'point_count'], 14, 20, 18, 100, 24],
        'circle-stroke-color': ['case', ['>', ['get', 'exceeded'], 0], '#d7191c', '#ffffff'],
        'circle-stroke-width': 3 } });
    m.addLayer({ id: `${type}-cluster-count`, type: 'symbol', source: type,
      filter: ['has', 'point_count'],
      layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-font': FONT,
        'text-size': 12, 'text-allow-overlap': true },
      paint: { 'text-color': '#ffffff' } });
    m.addLayer({ id: `${type}-offline`, type: 'circle', source: type,
      filter: ['all', ['!', ['has', 'point_count']], ['==', ['get', 'offline'], true]],
      paint: { 'circle-radius': 11, 'circle-color': 'rgba(0,0,0,0)',
        'circle-stroke-color': '#1d2733', 'circle-stroke-width': 2,
        'circle-stroke-opacity': 0.7 } });
    m.addLayer({ id: `${type}-points`, type: 'circle', source: type,
      filter: ['!', ['has', 'point_count']],
      paint: { 'circle-color': ['get', 'colour'], 'circle-radius': 7,
        'circle-stroke-color': '#1d2733', 'circle-stroke-width': 1 } });
    m.addLayer({ id: `${type}-labels`, type: 'symbol', source: type,
      filter: ['!', ['has', 'point_count']],
      layout: { 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': 12,
        'text-offset': [0, 1.1], 'text-anchor': 'top', 'text-allow-overlap': false,
        'text-optional': true },
      paint: { 'text-color': '#1d2733', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 } });
    m.on('click', `${type}-points`, (e) => openPanel(e.features[0].properties.code));
    m.on('click', `${type}-clusters`, async (e) => {
      const cluster = e.features[0];
      const zoom = await m.getSource(type).getClusterExpansionZoom(cluster.properties.cluster_id);
      m.easeTo({ center: cluster.geometry.coordinates, zoom });
    });
    for (const layer of [`${type}-points`, `${type}-clusters`]) {
      m.on('mouseenter', layer, () => { m.getCanvas().style.cursor = 'pointer'; });
      m.on('mouseleave', layer, () => { m.getCanvas().style.cursor = ''; });
    }
  }
  return m;
}

function labelPoint(geometry) {
  // the middle of the bounding box of the largest polygon's outer ring: one label per region
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const ring = polygons.map((p) => p[0]).sort((a, b) => b.length - a.length)[0];
  const xs = ring.map((c) => c[0]);
  const ys = ring.map((c) => c[1]);
  return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    document.head.append(el('script', { src, onload: resolve, onerror: reject }));
  });
}

function setVisible(type, visible) {
  for (const suffix of ['clusters', 'cluster-count', 'points', 'labels']) {
    map.setLayoutProperty(`${type}-${suffix}`, 'visibility', visible ? 'visible' : 'none');
  }
  const offline = document.getElementById('layer-offline');
  map.setLayoutProperty(`${type}-offline`, 'visibility',
    visible && (!offline || offline.checked) ? 'visible' : 'none');
}

function drawControls(regions) {
  const fieldset = document.getElementById('layers');
  const counts = {};
  for (const f of features.values()) counts[f.properties.object_type] = (counts[f.properties.object_type] || 0) + 1;
  for (const [type, name] of TYPES) {
    if (!counts[type]) { setVisible(type, false); continue; }
    fieldset.append(el('label', {},
      el('input', { type: 'checkbox', id: `layer-${type}`, checked: true,
        onchange: (e) => setVisible(type, e.target.checked) }),
      name, el('span', { class: 'count' }, String(counts[type]))));
  }
  if (!isPublic) {
    fieldset.append(el('label', {},
      el('input', { type: 'checkbox', id: 'layer-offline', checked: true, onchange: (e) => {
        for (const [type] of TYPES) {
          const shown = document.getElementById(`layer-${type}`)?.checked;
          map.setLayoutProperty(`${type}-offline`, 'visibility',
            e.target.checked && shown ? 'visible' : 'none');
        }
      } }), el('span', { class: 'ring', 'aria-hidden': 'true' }), '设备离线（黑圈）'));
  }
  fieldset.append(el('label', {},
    el('input', { type: 'checkbox', id: 'layer-regions', checked: true, onchange: (e) => {
      for (const id of ['regions-fill', 'regions-line', 'regions-label']) {
        map.setLayoutProperty(id, 'visibility', e.target.checked ? 'visible' : 'none');
      }
    } }), regions.schematic ? '区域（示意）' : '行政区域'));

  const legend = document.getElementById('legend');
  legend.append(el('h2', { class: 'visually-plain' }, '图例'));
  for (const entry of legendTypes) {
    if (!counts[entry.object_type]) continue;
    legend.append(el('h3', {}, entry.type_name, ' ', el('small', {}, `（${entry.standard}）`)),
      el('ul', {}, entry.entries.map((e) => el('li', {},
        el('span', { class: 'swatch', style: `background:${e.colour}` }), e.name))));
  }
  if (regions.schematic) {
    legend.append(el('p', { class: 'note' }, '区域轮廓：示意（非真实行政边界），由登记的城市生成；',
      '导入真实边界：ecohub map import FILE.geojson --crs wgs84|gcj02'));
  }
  statusLine.textContent = `共 ${features.size} 个监测对象` + (isPublic ? '（公众视图：仅公开空气站）' : '');

  const input = document.getElementById('search');
  const results = document.getElementById('search-results');
  const matches = () => {
    const q = input.value.trim();
    if (!q) return [];
    return [...features.values()].map((f) => f.properties)
      .filter((p) => p.name.includes(q) || p.code.toLowerCase().includes(q.toLowerCase()))
      .slice(0, 8);
  };
  input.addEventListener('input', () => {
    results.replaceChildren(...matches().map((p) => el('li', {},
      el('button', { type: 'button', onclick: () => openPanel(p.code, { fly: true }) },
        p.name, el('span', { class: 'code' }, `${p.type_name} ${p.code}`)))));
  });
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const first = matches()[0];
    if (first) openPanel(first.code, { fly: true });
    else statusLine.textContent = `未找到“${input.value.trim()}”`;
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden) closePanel();
  });
}

// ------------------------------------------------------------------------------------ live
function listen() {
  const source = new EventSource('/api/v1/events');
  window.ecohubLive = { events: 0 };
  source.addEventListener('readings', async (event) => {
    window.ecohubLive.events += 1;
    const { objects } = JSON.parse(event.data);
    await refresh(objects.length > 50 ? null : objects);
  });
  window.addEventListener('pagehide', () => source.close());
}

async function refresh(codes) {
  try {
    const state = await api(objectsPath(codes));
    const touched = new Set();
    for (const row of state.items) {
      if (row.longitude === null || row.latitude === null) continue;
      features.set(row.code, toFeature(row));
      touched.add(row.object_type);
    }
    for (const type of touched) map.getSource(type)?.setData(collection(type));
    if (openCode && (!codes || codes.includes(openCode))) await openPanel(openCode, { quiet: true });
    window.ecohubLive.updated = Date.now();
  } catch (error) {
    statusLine.textContent = `实时更新失败：${error.message}`;
  }
}

// ------------------------------------------------------------------------------------ panel
function closePanel() {
  panel.hidden = true;
  openCode = null;
  map.resize();
  document.getElementById('search').focus();
}

async function openPanel(code, { fly = false, quiet = false } = {}) {
  const feature = features.get(code);
  if (!feature) return;
  const p = feature.properties;
  openCode = code;
  const started = performance.now();
  delete panel.dataset.ready;
  const body = el('div', { id: 'panel-body' });
  panel.replaceChildren(
    el('button', { type: 'button', class: 'close', onclick: closePanel, 'aria-label': '关闭详情' }, '关闭'),
    el('h2', { id: 'panel-title' }, p.name),
    el('p', { class: 'sub' }, `${p.type_name} · ${p.code}${p.city ? ' · ' + p.city : ''}`),
    el('div', { class: 'state', id: 'panel-state' },
      el('span', { class: 'swatch', style: `background:${p.colour}` }),
      el('div', {}, el('strong', {}, p.status_name), ' ', p.value_text || '',
        el('div', { class: 'note' },
          [p.period_start ? `时段 ${cst(p.period_start)}（北京时间）` : null,
           p.standard ? `依据 ${p.standard}` : null,
           p.online === true ? '设备在线' : p.online === false ? '设备离线' : null]
            .filter(Boolean).join(' · ')))),
    body);
  panel.hidden = false;
  // The map moves to the object once the panel is drawn: on software WebGL every frame of the
  // move costs the main thread a read-back of the canvas, which the charts would wait behind.
  const move = () => {
    if (openCode !== code) return;
    map.resize();  // the panel took part of the map's width: keep the object in view
    if (fly) map.flyTo({ center: feature.geometry.coordinates, zoom: Math.max(map.getZoom(), 11.5) });
    else if (!quiet) map.easeTo({ center: feature.geometry.coordinates, duration: 300 });
  };
  if (!quiet) panel.focus();
  if (isPublic) {
    body.append(el('p', { class: 'note' }, '公众视图只显示公开的实时空气质量。',
      el('a', { href: `/login?next=/` }, '登录'), '后可查看监测曲线与对象档案。'));
    panel.dataset.ready = '1';
    move();
    return;
  }
  try {
    await drawDetail(p, body);
  } catch (error) {
    showError(body, error);
  }
  if (openCode === code) {
    panel.dataset.ready = '1';
    window.ecohubTiming = { ...window.ecohubTiming, panel: performance.now() - started };
    move();
  }
}

async function drawDetail(p, body) {
  const anchor = new Date(p.period_start || p.last_received || Date.now());
  const to = new Date(Math.floor(anchor.getTime() / HOUR) * HOUR + HOUR);
  const from = new Date(to.getTime() - 30 * 24 * HOUR);
  const iso = (d) => d.toISOString().replace('.000Z', 'Z');
  performance.mark('panel:asked');
  const [record, limits, readings] = await Promise.all([
    api(`/objects/${encodeURIComponent(p.code)}`),
    api(`/map/limits?object=${encodeURIComponent(p.code)}`),
    api(`/readings?object=${encodeURIComponent(p.code)}&kind=hour&from=${iso(from)}` +
        `&to=${iso(to)}&limit=50000`),
    chartsLoaded(),
  ]);
  performance.mark('panel:data');
  const byFactor = new Map();
  for (const r of readings.items) {
    if (!['Avg', 'Rtd'].includes(r.statistic)) continue;
    const key = r.factor;
    if (!byFactor.has(key)) byFactor.set(key, []);
    byFactor.get(key).push(r);
  }
  // latest values
  const rows = [...byFactor.entries()].map(([factor, list]) => {
    const last = list[list.length - 1];
    return el('tr', {}, el('td', {}, factorName(factor, limits)),
      el('td', { class: 'num' }, num(last.value, last.value < 10 ? 3 : 1)),
      el('td', {}, last.unit || ''), el('td', {}, cst(last.period_start).slice(5)),
      el('td', {}, flagText(last)));
  });
  body.append(el('h3', {}, '最新小时值'),
    rows.length ? el('table', { class: 'data' },
      el('thead', {}, el('tr', {}, ['因子', '数值', '单位', '时段', '标记'].map((h) =>
        el('th', {}, h)))), el('tbody', {}, rows))
      : el('p', { class: 'note' }, '近 30 天无小时数据。'));
  // charts
  const charts = [];
  for (const [factor, list] of [...byFactor.entries()].slice(0, 6)) {
    const factorLimits = limits.items.filter((l) => l.factor === factor);
    const unit = list[0].unit || '';
    const day = el('div', { class: 'chart', 'data-chart': `${factor}-30d` });
    const hours = el('div', { class: 'chart', 'data-chart': `${factor}-24h` });
    body.append(el('h3', {}, `${factorName(factor, limits)}（${unit}）`), hours, day);
    const lastTime = new Date(list[list.length - 1].period_start).getTime();
    const recent = list.filter((r) => new Date(r.period_start).getTime() > lastTime - 24 * HOUR);
    const hourLimits = factorLimits.filter((l) => l.averaging === 'hour');
    charts.push(chart(hours, '最近 24 小时（小时均值，北京时间）', unit, recent.map(point),
      hourLimits.length ? hourLimits : factorLimits.map((l) => ({ ...l, label: `${l.label}（参考）` }))));
    charts.push(chart(day, '最近 30 天（有效小时值的日均，仅供浏览）', unit, dailyMeans(list, true),
      factorLimits.filter((l) => l.averaging === 'day').length
        ? factorLimits.filter((l) => l.averaging === 'day') : factorLimits));
  }
  if (charts.length) {
    body.append(el('p', { class: 'qc-key' },
      '点的标记：● 正常　', el('span', { class: 'flag-suspect' }, '▲ 可疑'), '　',
      el('span', { class: 'flag-invalid' }, '✕ 无效'), '　',
      el('span', { class: 'flag-reviewed' }, '◆ 已人工审核'), '；虚线为标准限值。'));
  }
  // registry record
  const o = record.object;
  const attrs = Object.entries(o.attributes || {}).map(([k, v]) => `${k}=${v}`).join('，');
  body.append(el('h3', {}, '对象档案'), el('table', { class: 'data' }, el('tbody', {},
    [['编码', o.code], ['类型', o.type_name], ['城市', [o.city, o.county].filter(Boolean).join(' ')],
     ['所属部门', o.department], ['经纬度（WGS 84）', o.longitude === null ? '—'
       : `${num(o.longitude, 5)}, ${num(o.latitude, 5)}`], ['属性', attrs || '—'],
     ['数采仪', record.devices.map((d) => `${d.mn}（${d.factors.join('、')}）`).join('；') || '—']]
      .map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v || '—'))))));
  performance.mark('panel:charts');
  // the content below may have brought a scroll bar: redraw the charts it narrowed, only those
  for (const c of charts) {
    const box = c.getDom();
    if (box.clientWidth !== c.getWidth() || box.clientHeight !== c.getHeight()) c.resize();
  }
  performance.mark('panel:resized');
}

function factorName(factor, limits) {
  return limits.items.find((l) => l.factor === factor)?.factor_name || factor;
}

function flagText(r) {
  const parts = [];
  if (r.device_flag && r.device_flag !== 'N') parts.push(`设备 ${r.device_flag}`);
  if (r.review) parts.push(r.review === 'accept' ? '已审核通过' : '审核剔除');
  else if (r.qc_valid === false) parts.push('质控无效');
  else if (r.qc_flag === 3) parts.push('质控可疑');
  return parts.join('，') || '正常';
}

function point(r) {
  const invalid = r.review === 'reject' || (r.review == null && r.qc_valid === false);
  const suspect = !invalid && r.qc_flag === 3 && r.review == null;
  const reviewed = r.review != null;
  return {
    value: [r.period_start, r.value],
    symbol: invalid ? 'path://M2,0 L10,8 L18,0 L20,2 L12,10 L20,18 L18,20 L10,12 L2,20 L0,18 L8,10 L0,2 Z'
      : suspect ? 'triangle' : reviewed ? 'diamond' : 'circle',
    symbolSize: invalid || suspect || reviewed ? 9 : 4,
    itemStyle: { color: invalid ? '#a4161a' : suspect ? '#e08a00' : reviewed ? '#0b5cad' : '#2f6690' },
    flag: flagText(r),
  };
}

function dailyMeans(list, daily) {
  const days = new Map();
  for (const r of list) {
    const invalid = r.review === 'reject' || (r.review == null && r.qc_valid === false);
    if (invalid || r.value === null) continue;
    const day = cst(r.period_start).slice(0, 10);
    const d = days.get(day) || { sum: 0, n: 0 };
    d.sum += r.value; d.n += 1;
    days.set(day, d);
  }
  return [...days.entries()].map(([day, d]) => ({
    value: [`${day}T12:00:00+08:00`, d.sum / d.n], symbol: 'circle', symbolSize: 5,
    flag: `${d.n} 个有效小时`, daily }));
}

function chart(container, title, unit, data, limitLines) {
  const instance = window.echarts.init(container, null, { renderer: 'canvas' });
  const values = data.map((d) => d.value[1]).concat(limitLines.map((l) => l.limit));
  instance.setOption({
    animation: false,
    title: { text: title, textStyle: { fontSize: 12, fontWeight: 'normal' }, left: 0, top: 0 },
    grid: { left: 48, right: 80, top: 28, bottom: 28 },
    tooltip: { trigger: 'item', formatter: (item) =>
      `${cst(item.value[0])}<br>${num(item.value[1], item.value[1] < 10 ? 3 : 1)} ${unit}<br>${item.data.flag || ''}` },
    xAxis: { type: 'time', splitNumber: 4, axisLabel: { fontSize: 10, hideOverlap: true,
      formatter: (v) => (data[0]?.daily ? cst(v).slice(5, 10) : cst(v).slice(5, 16)) } },
    yAxis: { type: 'value', scale: false,
      max: values.length ? Math.ceil(Math.max(...values) * 1.15) : null },
    series: [{
      type: 'line', data, showSymbol: true, connectNulls: false, lineStyle: { width: 1.5 },
      markLine: { silent: true, symbol: 'none', data: limitLines.map((l) => ({
        yAxis: l.limit, name: l.label,
        lineStyle: { color: l.bound === 'min' ? '#1b6e3a' : '#a4161a', type: 'dashed' },
        label: { formatter: `${l.label} ${num(l.limit, l.limit < 10 ? 2 : 0)}`, fontSize: 10,
          position: 'insideEndTop' } })) },
    }],
  });
  container.dataset.points = String(data.length);
  container.dataset.limits = limitLines.map((l) => l.limit).join(',');
  return instance;
}
