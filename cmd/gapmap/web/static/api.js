// The gapmap API, with its Chinese error messages passed on to the page.
//
// This is the one place that talks to the server: it adds the session's
// CSRF token to every request that changes something, and turns a 401 into
// "log in again" (onAuthRequired): the request waits for the login and is
// then sent once more, so a session that expires mid-work loses nothing the
// user typed.

/** APIError is a failed request: message is what the user reads, status the HTTP status (0: no answer). */
export class APIError extends Error {
  constructor(message, status = 0, code = '') {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// SAFE methods change nothing, so the server does not ask them for the token.
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

const state = {
  csrf: '', // the session's CSRF token (POST/GET /api/v1/session)
  authRequired: null, // async () => void: resolves once the user is logged in again
};

/** setCSRF keeps the token the session answer carries ('' after logout). */
export function setCSRF(token) {
  state.csrf = token || '';
}

/**
 * onAuthRequired installs fn, which a request answered 401 awaits before it
 * is sent once more; fn shows the login and resolves after it (or never,
 * when the page reloads instead). Without fn, a 401 is an APIError.
 */
export function onAuthRequired(fn) {
  state.authRequired = fn;
}

/**
 * request sends init to path and returns the parsed body (null for 204).
 * init.auth === false: a 401 is the answer itself (the session routes),
 * not a reason to log in.
 */
async function request(path, init = {}) {
  const { auth = true, ...opts } = init;
  for (let attempt = 0; ; attempt++) {
    const method = (opts.method || 'GET').toUpperCase();
    const headers = new Headers(opts.headers);
    // Read at each attempt: a login in between brings a new token.
    if (!SAFE.has(method) && state.csrf) headers.set('X-CSRF-Token', state.csrf);
    let res;
    try {
      res = await fetch(path, { ...opts, method, headers, credentials: 'same-origin' });
    } catch (err) {
      throw new APIError(`无法连接 gapmap 服务（${path}）：${err.message}`);
    }
    if (res.status === 401 && auth && state.authRequired && attempt === 0) {
      await state.authRequired();
      continue;
    }
    const type = res.headers.get('Content-Type') || '';
    const body = res.status === 204 ? null : type.includes('json') ? await res.json() : await res.text();
    if (!res.ok) throw errorOf(res.status, body, path);
    return body;
  }
}

/**
 * errorOf is the APIError of a failed answer. A 4xx message is the
 * server's own Chinese sentence (a 403 names the missing role), shown as it
 * is; a 5xx also says which request failed, for the person who reports it.
 */
export function errorOf(status, body, path) {
  const e = body && body.error;
  const msg = e && e.message ? e.message : `HTTP ${status}`;
  return new APIError(status >= 500 || !(e && e.message) ? `${msg}（${path}）` : msg, status, (e && e.code) || '');
}

/** get fetches JSON from path with the query q (empty values left out). */
export const get = (path, q = {}) => request(withQuery(path, q));

const send = (method) => (path, body) => request(path, {
  method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
});

/** post sends body as JSON. */
export const post = send('POST');

/** put sends body as JSON with PUT. */
export const put = send('PUT');

/** del deletes path. */
export const del = (path) => request(path, { method: 'DELETE' });

/** JOB_STATES are the job states as the page shows them. */
const JOB_STATES = { queued: '排队中', running: '运行中', succeeded: '已完成', failed: '已失败', cancelled: '已取消' };

/** jobText is one line about a job: its state, stage and, where counted, done/total. */
export function jobText(job) {
  const p = job.progress || {};
  const count = p.done == null ? '' : p.total == null ? `（已处理 ${p.done}）` : `（${p.done}/${p.total}）`;
  return `${JOB_STATES[job.state] || job.state}：${p.stage || ''}${count}`;
}

/**
 * runJob starts the heavy work at path as a job (Prefer: respond-async),
 * polls it every pollMs, tells onJob each state it sees, and returns the
 * body the synchronous call would have answered. A failed job is an
 * APIError with its Chinese message; a cancelled one an APIError whose
 * code is 'cancelled'.
 */
export async function runJob(path, body, onJob = () => {}, pollMs = 500) {
  let { job } = await request(path, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' }, body: JSON.stringify(body),
  });
  for (;;) {
    onJob(job);
    if (job.state === 'succeeded') return job.result;
    if (job.state === 'failed' || job.state === 'cancelled') {
      const e = job.error || {};
      throw new APIError(e.message || jobText(job), 0, e.code || job.state);
    }
    await new Promise((resolve) => { setTimeout(resolve, pollMs); });
    ({ job } = await request(`/api/v1/jobs/${job.id}`));
  }
}

/** cancelJob asks the server to stop job id; the poll of runJob then sees it cancelled. */
export const cancelJob = (id) => request(`/api/v1/jobs/${id}/cancel`, { method: 'POST' });

/**
 * session returns who is logged in ({user, csrf, expires_at}) and keeps
 * the CSRF token, or null when nobody is (401).
 */
export async function session() {
  try {
    const s = await request('/api/v1/session', { auth: false });
    setCSRF(s.csrf);
    return s;
  } catch (err) {
    if (err.status === 401) return null;
    throw err;
  }
}

/** login opens a session and keeps its CSRF token; a wrong password is an APIError with the server's words. */
export async function login(name, password) {
  const s = await request('/api/v1/session', {
    method: 'POST', auth: false, headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ login: name, password }),
  });
  setCSRF(s.csrf);
  return s;
}

/** logout ends the session; one already gone (401) is as good. */
export async function logout() {
  try {
    await request('/api/v1/session', { method: 'DELETE', auth: false });
  } catch (err) {
    if (err.status !== 401) throw err;
  } finally {
    setCSRF('');
  }
}

/** withQuery builds a URL with the non-empty values of q. */
export function withQuery(path, q) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== '' && v !== null && v !== undefined) params.set(k, v);
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}
