// Pollution sources: each outlet's factors against their permit limits on the day
// (GET /api/v1/compliance/outlets: worst hourly value, hours over the limit), and whether each
// source's and outlet's data logger sent data (GET /api/v1/objects + /ingest/status).
import { api, cst, el, me, shell, showError } from '/static/app.js';
import { dataTable, defaultDay, param, ready, setParam } from '/static/pages.js';

await shell('/sources', { signInRequired: true });
const $ = (id) => document.getElementById(id);
$('day').value = param('day') || defaultDay();
const TYPES = { pollution_source: '污染源', outlet: '排放口' };

const STATUS_CLASS = { exceeded: 'bad', compliant: 'good' };

async function drawCompliance(day) {
  const page = await api(`/compliance/outlets?day=${day}`);
  const rows = page.items;
  const over = new Set(rows.filter((r) => r.exceeded).map((r) => r.object_code));
  $('exceed-sub').textContent = `${day}：超标排放口 ${over.size} 个，超标因子 ${rows.filter((r) => r.exceeded).length} 项`;
  // exceeded first, then no data, then compliant: what needs action on top
  const order = { exceeded: 0, no_data: 1, compliant: 2 };
  rows.sort((a, b) => order[a.status] - order[b.status]);
  $('exceed').replaceChildren(dataTable('outlet-compliance', '排放口超标情况', [
    { key: 'name', label: '排放口', render: (r) => `${r.name}（${r.object_code}）` },
    { key: 'source_code', label: '污染源' },
    { key: 'factor_name', label: '因子' },
    { key: 'limit', label: '许可限值', num: true, render: (r) => `${r.limit} ${r.unit}` },
    { key: 'worst_value', label: '当日最大小时值', num: true,
      render: (r) => (r.worst_value === null ? '—' : `${r.worst_value} ${r.unit}`) },
    { key: 'worst_at', label: '出现时段（北京时间）', render: (r) => cst(r.worst_at) },
    { key: 'hours', label: '有效小时数', num: true },
    { key: 'hours_exceeded', label: '超标小时数', num: true },
    { key: 'status_name', label: '判定', render: (r) => el('span', {
      class: STATUS_CLASS[r.status] || null }, r.status_name) },
    { key: 'standard', label: '限值依据' },
  ], rows));
}

async function load() {
  delete document.body.dataset.ready;
  const day = $('day').value;
  const who = await me();
  try {
    await drawCompliance(day);
  } catch (error) {
    showError($('exceed'), error);
  }
  try {
    if (!(who.permissions || []).includes('ingest.read')) {
      $('online').replaceChildren(el('p', { class: 'note' },
        '当前账号无权查看数采仪状态（需运维或数据管理权限）。'));
    } else {
      const lists = await Promise.all(Object.keys(TYPES).map((type) => api(`/objects?type=${type}`)));
      const objects = new Map(lists.flatMap((l) => l.items).map((o) => [o.code, o]));
      const status = await api(`/ingest/status?since=${day}`);
      const rows = status.items.filter((s) => objects.has(s.object_code))
        .map((s) => ({ ...s, object: objects.get(s.object_code) }));
      const sending = rows.filter((r) => r.last_received).length;
      $('online-sub').textContent = `${day} 0 时（北京时间）起；有数据 ${sending} / ${rows.length} 台`;
      $('online').replaceChildren(dataTable('source-loggers', '污染源数采仪在线情况', [
        { key: 'object_name', label: '监测对象', render: (r) => `${r.object_name}（${r.object_code}）` },
        { key: 'type', label: '类型', render: (r) => TYPES[r.object.object_type] || r.object.object_type },
        { key: 'mn', label: 'MN' },
        { key: 'connected', label: '连接状态', render: (r) => el('span', {
          class: r.connected ? 'good' : 'bad' }, r.connected ? '在线' : '未连接') },
        { key: 'last_received', label: '最后一包到达（北京时间）', render: (r) => cst(r.last_received) },
        { key: 'readings', label: '入库数据条数', num: true },
        { key: 'rejected', label: '未入库报文', render: (r) => (r.rejected
          ? el('a', { href: `/operations?mn=${encodeURIComponent(r.mn)}&since=${day}` }, r.rejected) : '—') },
      ], rows));
    }
  } catch (error) {
    showError($('online'), error);
  }
  ready();
}

$('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  setParam('day', $('day').value);
  load();
});
await load();
