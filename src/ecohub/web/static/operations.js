// Operations: per data logger, whether it is connected, when its last packet came, what was
// stored, what was not and why — each reason kind explained in Chinese with what to do (the
// explanations are data in ecohub.ingest.reasons, served by the API).
import { api, cst, el, shell, showError, todayCst } from '/static/app.js';
import { dataTable, param, ready, setParam } from '/static/pages.js';

await shell('/operations', { signInRequired: true });
const $ = (id) => document.getElementById(id);
$('since').value = /^\d{4}-\d{2}-\d{2}$/.test(param('since') || '') ? param('since') : todayCst(0);
const DISPOSITIONS = { rejected: '拒收', quarantined: '隔离待登记', released: '已释放' };
let reasons = new Map();
let deviations = new Map();
let registered = new Set();

/** "crc 3, password 1" (the API's counts per reason kind) → the kinds explained. */
function rejectedCell(text) {
  if (!text) return '—';
  return el('ul', { class: 'reason', style: 'margin:0;padding-left:1.1rem' },
    text.split(', ').map((part) => {
      const [kind, count] = [part.slice(0, part.lastIndexOf(' ')), part.slice(part.lastIndexOf(' ') + 1)];
      const why = reasons.get(kind);
      return el('li', { title: why?.action || '' }, `${count} 条：`,
        why ? why.explanation : kind);
    }));
}

/** "crc.lowercase×14, header.order×2" (stored packets per deviation kind) → described. */
function deviationCell(text) {
  if (!text) return '—';
  return el('ul', { class: 'reason', style: 'margin:0;padding-left:1.1rem' },
    text.split(', ').map((part) => {
      const [kind, count] = part.split('×');
      return el('li', { title: kind }, `${count} 包：${deviations.get(kind) || kind}`);
    }));
}

async function drawStatus(since, mn) {
  const page = await api(`/ingest/status?since=${since}${mn ? `&mn=${encodeURIComponent(mn)}` : ''}`);
  $('status-sub').textContent = `${since} 0 时（北京时间）起`
    + (page.unregistered_rejected ? `；未登记或无法识别 MN 的报文 ${page.unregistered_rejected} 条（见下表）` : '');
  $('status').replaceChildren(dataTable('logger-status', '数采仪状态', [
    { key: 'mn', label: 'MN' },
    { key: 'object_name', label: '监测对象', render: (r) => `${r.object_name}（${r.object_code}）` },
    { key: 'connected', label: '连接状态', render: (r) => el('span', {
      class: r.connected ? 'good' : 'bad' }, r.connected ? `在线 ${r.peers}` : '未连接') },
    { key: 'last_received', label: '最后一包到达（北京时间）', render: (r) => cst(r.last_received) },
    { key: 'packets', label: '入库报文数', num: true },
    { key: 'readings', label: '入库数据条数', num: true },
    { key: 'rejected', label: '未入库报文及原因', render: (r) => rejectedCell(r.rejected) },
    { key: 'deviations', label: '已接受的协议偏差', render: (r) => deviationCell(r.deviations) },
    { key: 'clock_offset_s', label: '时钟偏差（秒）', num: true, decimals: 0 },
  ], page.items));
  return page.items;
}

async function drawRejected(since, mn) {
  const page = await api(`/ingest/rejected?since=${since}&limit=200${mn ? `&mn=${encodeURIComponent(mn)}` : ''}`);
  $('rejected-sub').textContent = `${since} 0 时起，最新在前，最多 200 条`;
  $('rejected').replaceChildren(dataTable('rejected-packets', '未入库报文', [
    { key: 'received_at', label: '到达时间（北京时间）', render: (r) => cst(r.received_at) },
    { key: 'mn', label: 'MN', render: (r) => r.mn || '（无法识别）' },
    { key: 'peer', label: '来源地址' },
    { key: 'disposition', label: '处理', render: (r) => DISPOSITIONS[r.disposition] || r.disposition },
    { key: 'explanation', label: '原因与处理办法', render: (r) => el('div', { class: 'reason' },
      el('div', {}, r.explanation), el('div', { class: 'action' }, `处理：${r.action}`),
      el('div', { class: 'action' }, `原文：${r.reason}`)) },
    { key: 'raw', label: '报文', render: (r) => el('code', { class: 'raw' }, r.raw) },
  ], page.items));
  return page.items;
}

async function load() {
  delete document.body.dataset.ready;
  const since = $('since').value;
  const mn = $('mn').value;
  try {
    if (!reasons.size) {
      const explained = await api('/ingest/reasons');
      reasons = new Map(explained.items.map((r) => [r.kind, r]));
      deviations = new Map(explained.deviations.map((d) => [d.kind, d.description]));
    }
    // status only for registered loggers; rejected packets for any MN
    const status = await drawStatus(since, registered.has(mn) ? mn : '');
    if (!registered.size) {
      registered = new Set(status.map((s) => s.mn));
      $('mn').append(...status.map((s) => el('option', { value: s.mn, selected: s.mn === param('mn') },
        `${s.mn}（${s.object_name}）`)));
      if ($('mn').value) await drawStatus(since, $('mn').value);
    }
  } catch (error) {
    showError($('status'), error);
  }
  try {
    await drawRejected(since, $('mn').value);
  } catch (error) {
    showError($('rejected'), error);
  }
  ready();
}

$('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  setParam('since', $('since').value);
  setParam('mn', $('mn').value);
  load();
});
await load();
