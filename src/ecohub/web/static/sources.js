// Pollution sources: whether each source's and outlet's data logger sent data on the day, and
// when its last packet came (GET /api/v1/objects + /ingest/status). The outlets' exceedances
// against permit limits wait for GET /api/v1/compliance/outlets (not on this version).
import { api, cst, el, me, shell, showError } from '/static/app.js';
import { dataTable, defaultDay, param, ready, setParam } from '/static/pages.js';

await shell('/sources', { signInRequired: true });
const $ = (id) => document.getElementById(id);
$('day').value = param('day') || defaultDay();
const TYPES = { pollution_source: '污染源', outlet: '排放口' };

async function load() {
  delete document.body.dataset.ready;
  const day = $('day').value;
  const who = await me();
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
