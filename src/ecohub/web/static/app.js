// The shell every page shares: the API client (session cookie + CSRF), the header with its
// navigation and the viewer, China Standard Time, and small DOM helpers. Pages import it:
//   import { api, shell, el, cst } from '/static/app.js';

const API = '/api/v1';
const CSRF_KEY = 'ecohub.csrf';

export const NAV = [
  ['/', '一张图'],
  ['/air', '空气质量'],
  ['/water', '水环境'],
  ['/sources', '污染源'],
  ['/operations', '运维'],
  ['/quality', '数据质量'],
  ['/cockpit', '驾驶舱'],
];

/** An API failure: the HTTP status and the problem+json detail (in the API's words). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** GET (or other method with `body`) `/api/v1` + path; JSON in and out, the session's CSRF. */
export async function api(path, { method = 'GET', body, raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    const csrf = sessionStorage.getItem(CSRF_KEY);
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(API + path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

let viewer = null;

/** Who is looking: the API's /auth/me (anonymous in the public view). Cached per page load. */
export async function me() {
  viewer ??= await api('/auth/me');
  return viewer;
}

export async function signIn(username, password) {
  const session = await api('/auth/login', { method: 'POST', body: { username, password } });
  sessionStorage.setItem(CSRF_KEY, session.csrf_token);
  viewer = null;
  return session;
}

export async function signOut() {
  try { await api('/auth/logout', { method: 'POST' }); } finally {
    sessionStorage.removeItem(CSRF_KEY);
    viewer = null;
  }
}

/** Create an element: el('td', {class: 'num', title: '…'}, 'text', child, …). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const CST_PARTS = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** An instant shown in China Standard Time: 2026-12-01 08:00. */
export function cst(instant) {
  if (!instant) return '—';
  const parts = Object.fromEntries(
    CST_PARTS.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** Today's date in China Standard Time, as YYYY-MM-DD (what the API's `day` parameters take). */
export function todayCst(offsetDays = 0) {
  const now = new Date(Date.now() + offsetDays * 86400000);
  return cst(now).slice(0, 10);
}

/** A number as people read it: fixed decimals, '—' for none. */
export function num(value, decimals = 0) {
  return value === null || value === undefined || Number.isNaN(value)
    ? '—' : Number(value).toFixed(decimals);
}

/**
 * Render the page's header (title, navigation, viewer) into <header id="shell"> and return the
 * viewer. `signInRequired`: an anonymous viewer is sent to the sign-in page.
 */
export async function shell(active, { signInRequired = false } = {}) {
  const who = await me();
  if (signInRequired && who.kind === 'anonymous') {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return new Promise(() => {});
  }
  const header = document.getElementById('shell');
  const links = NAV.map(([href, label]) => el('a', {
    href, 'aria-current': href === active ? 'page' : null,
  }, label));
  const account = who.kind === 'anonymous'
    ? [el('span', { class: 'public-badge', title: '未登录：只显示公开数据' }, '公众视图'),
       el('a', { href: `/login?next=${encodeURIComponent(location.pathname)}`, class: 'button' },
          '登录')]
    : [el('span', { class: 'viewer' }, `${who.username}（${roleName(who.role)}）`),
       el('button', { type: 'button', id: 'sign-out', onclick: async () => {
         await signOut(); location.assign('/');
       } }, '退出')];
  header.replaceChildren(
    el('a', { href: '/', class: 'brand' }, '生态环境数据平台'),
    el('nav', { 'aria-label': '主导航' }, links),
    el('div', { class: 'account' }, account),
  );
  return who;
}

const ROLE_NAMES = {
  administrator: '管理员', data_manager: '处室数据管理员', operator: '运维人员',
  analyst: '分析人员', viewer: '浏览用户', enterprise: '企业用户',
};

export function roleName(role) {
  return ROLE_NAMES[role] || role || '';
}

/** Show a failure where the data would be: the API's own words, never a stack trace. */
export function showError(container, error) {
  const text = error instanceof ApiError
    ? (error.status === 401 ? '请先登录后查看。' : error.status === 403
      ? '当前账号无权查看此数据。' : `数据读取失败：${error.message}`)
    : `数据读取失败：${error.message || error}`;
  container.replaceChildren(el('p', { class: 'error', role: 'alert' }, text));
}
