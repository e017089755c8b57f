// The gapmap API, with its Chinese error messages passed on to the page.
//
// This is the one place that talks to the server: it adds the session's
// CSRF token to every request that changes something, and turns a 401 into
// "log in again" (onAuthRequired): the request waits for the login and is
// then sent once more, so a session that expires mid-work loses nothing the
// user typed. Every failure becomes an APIError in Chinese (the browser's
// and MapLibre's own words, "Failed to fetch" or "AJAXError", are English),
// and a request that gets no answer in time fails instead of loading for
// ever, so that the page can offer 重试.

/**
 * APIError is a failed request: message is what the user reads, status the
 * HTTP status (0: no answer), code the server's error code or 'network' /
 * 'timeout', retryAfter the seconds the server asked to wait (Retry-After;
 * 0: it did not say).
 */
export class APIError extends Error {
  constructor(message, status = 0, code = '', retryAfter = 0) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * TIMEOUT_MS is how long a request waits for its answer by default: well
 * beyond the server's own budget per request (GAPMAP_REQUEST_TIMEOUT, 10 s
 * by default) and its admission queue, which answer 504 or 503 first.
 */
export const TIMEOUT_MS = 30_000;

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
 * not a reason to log in. init.timeout: milliseconds to wait for the whole
 * answer (TIMEOUT_MS by default; 0: no limit).
 */
async function request(path, init = {}) {
  const { auth = true, timeout = TIMEOUT_MS, ...opts } = init;
  for (let attempt = 0; ; attempt++) {
    const method = (opts.method || 'GET').toUpperCase();
    const headers = new Headers(opts.headers);
    // Read at each attempt: a login in between brings a new token.
    if (!SAFE.has(method) && state.csrf) headers.set('X-CSRF-Token', state.csrf);
    const abort = new AbortController();
    const timer = timeout ? setTimeout(() => abort.abort(), timeout) : null;
    let res;
    let body;
    try {
      res = await fetch(path, { ...opts, method, headers, credentials: 'same-origin', signal: abort.signal });
      if (res.status === 401 && auth && state.authRequired && attempt === 0) {
        res.body?.cancel();
        clearTimeout(timer);
        await state.authRequired();
        continue;
      }
      const type = res.headers.get('Content-Type') || '';
      body = res.status === 204 ? null : type.includes('json') ? await res.json() : await res.text();
    } catch (err) {
      throw unanswered(err, path, abort.signal.aborted ? timeout : 0);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) throw errorOf(res.status, body, path, retryAfterOf(res.headers.get('Retry-After')));
    return body;
  }
}

/**
 * unanswered is the APIError of a request that got no (whole) answer: the
 * server unreachable or gone mid-answer, or timedOut milliseconds passed.
 * The browser's own message is English, so it is only logged.
 */
function unanswered(err, path, timedOut) {
  if (timedOut) return new APIError(`服务器在 ${Math.round(timedOut / 1000)} 秒内没有应答，请稍后重试（${path}）`, 0, 'timeout');
  console.warn(`${path}: ${err}`);
  if (err instanceof SyntaxError) return new APIError(`服务器的应答不完整，请重试（${path}）`, 0, 'network');
  return new APIError(`无法连接 gapmap 服务：请检查网络，或服务器是否在运行（${path}）`, 0, 'network');
}

/** retryAfterOf reads a Retry-After header (seconds or an HTTP date) as whole seconds; 0 when absent or past. */
export function retryAfterOf(header) {
  if (!header) return 0;
  const s = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  return Number.isFinite(s) && s > 0 ? Math.ceil(s) : 0;
}

/** GENERIC are the words for a failed answer that brings no message of its own (a proxy's page, say), by status. */
const GENERIC = { 502: '服务器暂时无法应答', 503: '服务器暂时无法应答', 504: '服务器应答超时' };

/**
 * errorOf is the APIError of a failed answer. A 4xx message is the
 * server's own Chinese sentence (a 403 names the missing role), shown as it
 * is; a 5xx also says which request failed, for the person who reports it.
 * An answer without a message (a proxy's error page) gets Chinese words by
 * its status; retryAfter (seconds) is said too.
 */
export function errorOf(status, body, path, retryAfter = 0) {
  const e = body && body.error;
  const own = e && e.message;
  let msg = own || `${GENERIC[status] || (status >= 500 ? '服务器出错' : '请求未被接受')}（状态 ${status}）`;
  if (status >= 500 || !own) msg = `${msg}（${path}）`;
  // The server's own sentence may name the wait already (429: 请 N 秒后重试).
  if (retryAfter && !msg.includes(`${retryAfter} 秒后`)) msg = `${msg}，约 ${retryAfter} 秒后可重试`;
  return new APIError(msg, status, (e && e.code) || '', retryAfter);
}

/**
 * mapError is the APIError of a failed request of MapLibre (an AJAXError
 * carries the HTTP status, 0 when nothing answered, and the URL), whose
 * own words are English; any other map error (a style or rendering fault)
 * is logged and reported in general words.
 */
export function mapError(err) {
  if (!err || typeof err.status !== 'number') {
    console.error(err);
    return new APIError('地图显示出错：请重试，或刷新页面', 0, 'map');
  }
  // The tile's path, without the origin and the query (the data version).
  const path = String(err.url || '').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split('?')[0];
  if (err.status === 0) return new APIError(`地图数据无法加载：无法连接 gapmap 服务，请检查网络，或服务器是否在运行（${path}）`, 0, 'network');
  const e = errorOf(err.status, null, path);
  return new APIError(`地图数据加载失败：${e.message}`, e.status, e.code);
}

/** get fetches JSON from path with the query q (empty values left out); opts.timeout as request's. */
export const get = (path, q = {}, opts = {}) => request(withQuery(path, q), opts);

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
