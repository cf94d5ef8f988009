import { ApiError, shell, signIn } from '/static/app.js';

await shell('/login');
const form = document.getElementById('sign-in');
const message = document.getElementById('message');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  message.textContent = '';
  const data = new FormData(form);
  try {
    await signIn(data.get('username'), data.get('password'));
    const next = new URLSearchParams(location.search).get('next');
    // only a path of this site: a sign-in page must not send its user elsewhere
    location.assign(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
  } catch (error) {
    // the API's words stay beside the Chinese lead: they say whether the user is locked
    message.textContent = error instanceof ApiError && error.status === 401
      ? `登录失败：用户名或密码错误，或账号已锁定、停用（${error.message}）`
      : `登录失败：${error.message || error}`;
  }
});
