// Logging in and out, and who the user is: the login view (account,
// password, and 统一身份认证登录 when single sign-on is configured), and the
// header's name, organisations and roles with 退出登录.
//
// The login shows when a request is answered 401 (api.js): on the first
// data request when reading is not public, and when a session expires
// mid-work. In that second case the page stays as it is under the login,
// and the waiting requests go out again once the same user is back; if
// another account logs in, the page reloads for that account's view.
import { session as currentSession, login, logout, onAuthRequired } from './api.js';
import { grantTitles } from './roles.js';

const $ = (id) => document.getElementById(id);

export class Auth {
  /** app is the page's state (app.session and app.ready); config is /config.json. */
  constructor(app, config) {
    this.app = app;
    this.sso = Boolean(config.sso);
    this.publicRead = Boolean(config.public_read);
    this.user = null;
    this.waiting = null; // the promise the 401'd requests await
    this.done = null; // resolves it
  }

  /** start asks the server who is logged in and wires the login and logout. */
  async start() {
    $('login-sso').hidden = !this.sso;
    $('login-form').addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    $('login-cancel').addEventListener('click', () => this.cancel());
    $('login-open').addEventListener('click', () => this.show('voluntary'));
    $('logout').addEventListener('click', () => this.logout());
    onAuthRequired(() => this.required());
    this.trap();
    this.set(await currentSession());
  }

  /**
   * trap keeps the keyboard in the login while it shows, as a modal dialog
   * must: Tab and Shift+Tab cycle through its controls (from anywhere, as
   * after a click on the backdrop), and no key reaches the page under it.
   * Esc cancels only a voluntary login: a required one has no page to go
   * back to, and an expired one must not close the panels beneath.
   */
  trap() {
    const box = $('login');
    const controls = () => [...box.querySelectorAll('input, button, a[href]')]
      .filter((e) => !e.disabled && e.getClientRects().length > 0);
    document.addEventListener('keydown', (e) => {
      if (box.hidden || (e.key !== 'Tab' && e.key !== 'Escape')) return;
      e.preventDefault();
      e.stopPropagation();
      if (e.key === 'Escape') {
        if (this.why === 'voluntary') this.cancel();
        return;
      }
      const list = controls();
      const i = list.indexOf(document.activeElement);
      const next = e.shiftKey ? (i <= 0 ? list.length - 1 : i - 1) : (i + 1) % list.length;
      list[next]?.focus();
    }, true);
  }

  set(s) {
    this.user = s ? s.user : null;
    this.app.session = s;
    this.render();
  }

  /** render writes who is logged in into the header. */
  render() {
    const u = this.user;
    $('whoami').hidden = !u;
    $('logout').hidden = !u;
    // Logging in is offered to an anonymous reader of a public deployment.
    $('login-open').hidden = Boolean(u) || !this.publicRead;
    if (!u) return;
    const roles = grantTitles(u);
    $('whoami-name').textContent = u.name || u.login;
    $('whoami-roles').textContent = roles.length ? roles.join('；') : '无角色';
    $('whoami').title = `账号 ${u.login}${u.via === 'oidc' ? '（统一身份认证）' : ''}\n${roles.join('\n')}`;
  }

  /** required shows the login and resolves once the user has logged in. */
  required() {
    if (!this.waiting) {
      this.waiting = new Promise((resolve) => { this.done = resolve; });
      this.show(this.user ? 'expired' : 'first');
    }
    return this.waiting;
  }

  /**
   * show opens the login view: first (the page needs a login to load),
   * expired (the session ended; the page stays under it) or voluntary (an
   * anonymous reader chose to log in; it may cancel).
   */
  show(why) {
    this.why = why;
    const box = $('login');
    box.dataset.why = why;
    $('login-note').textContent = {
      first: '请使用本单位分配的账号登录。',
      expired: '登录已过期，请重新登录。页面上已填写的内容会保留。',
      voluntary: '登录后可办理本单位有权限的操作。',
    }[why];
    $('login-cancel').hidden = why !== 'voluntary';
    $('login-error').textContent = '';
    box.hidden = false;
    const user = $('login-user');
    if (why === 'expired' && this.user && !user.value) user.value = this.user.login;
    (user.value ? $('login-password') : user).focus();
  }

  hide() {
    $('login').hidden = true;
    $('login-password').value = '';
  }

  /**
   * cancel closes a voluntary login (取消 or Esc) and gives the focus back
   * to 登录, which opened it, as a closed dialog must (WCAG 2.4.3): the
   * hidden 取消 would otherwise leave it nowhere.
   */
  cancel() {
    this.hide();
    $('login-open').focus();
  }

  async submit() {
    const name = $('login-user').value.trim();
    const password = $('login-password').value;
    const error = $('login-error');
    if (!name || !password) {
      error.textContent = '请输入账号和密码';
      return;
    }
    const button = $('login-submit');
    button.disabled = true;
    error.textContent = '';
    try {
      const s = await login(name, password);
      const before = this.user;
      // Another account, or an anonymous page becoming a user's: what the
      // page shows and offers was the other one's, so it loads afresh.
      if (this.app.ready && (!before || before.login !== s.user.login)) {
        window.location.reload();
        return;
      }
      this.set(s);
      this.hide();
      const done = this.done;
      this.waiting = null;
      this.done = null;
      if (done) done();
    } catch (err) {
      error.textContent = err.message; // 账号或密码错误 (also for a locked account), or the address limiter's 429
      $('login-password').select();
    } finally {
      button.disabled = false;
    }
  }

  /** logout ends the session; the page reloads to the login (or to the public view). */
  async logout() {
    try {
      await logout();
    } catch (err) {
      console.error(err);
    }
    window.location.reload();
  }
}
