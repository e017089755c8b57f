// Unit tests of static/api.js, the page's one door to the server: the CSRF
// token on every request that changes something and on none that reads, a
// 401 that waits for the login and goes out again, and the server's Chinese
// messages passed on as they are. fetch is replaced by a recorder that
// answers as the server's contract says.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  get, post, put, del, session, login, logout, setCSRF, onAuthRequired, APIError, runJob, cancelJob, jobText, mapError, retryAfterOf,
} from '../static/api.js';

let sent; // every request: {path, method, csrf, body}
let answers; // queue of [status, body] (body null: no content)

const json = (status, body) => new Response(body === null ? null : JSON.stringify(body), {
  status, headers: body === null ? {} : { 'Content-Type': 'application/json; charset=utf-8' },
});

beforeEach(() => {
  sent = [];
  answers = [];
  setCSRF('');
  onAuthRequired(null);
  globalThis.fetch = async (path, init) => {
    const h = new Headers(init.headers);
    sent.push({ path, method: init.method, csrf: h.get('X-CSRF-Token'), prefer: h.get('Prefer'), body: init.body, credentials: init.credentials });
    const [status, body] = answers.shift() || [200, {}];
    return json(status, body);
  };
});

const USER = { login: 'jiaotong', name: '交通局审核员', via: 'session', grants: [{ org: { kind: 'bureau', code: '交通', name: '县交通运输局' }, role: 'reviewer' }] };

test('login keeps the CSRF token; every write carries it, no read does', async () => {
  answers.push([201, { user: USER, csrf: 'tok-1', expires_at: '2026-01-01T00:00:00Z' }]);
  const s = await login('jiaotong', 'demo-password-2026');
  assert.equal(s.user.login, 'jiaotong');
  assert.deepEqual(JSON.parse(sent[0].body), { login: 'jiaotong', password: 'demo-password-2026' });
  await get('/api/v1/projects', { page_size: 10 });
  await post('/api/v1/projects/7/transitions', { to: '县级论证', reason: '' });
  await put('/api/v1/projects/7', { name: 'x' });
  answers.push([204, null]);
  assert.equal(await del('/api/v1/projects/7'), null);
  assert.deepEqual(sent.slice(1).map((r) => [r.method, r.path, r.csrf]), [
    ['GET', '/api/v1/projects?page_size=10', null],
    ['POST', '/api/v1/projects/7/transitions', 'tok-1'],
    ['PUT', '/api/v1/projects/7', 'tok-1'],
    ['DELETE', '/api/v1/projects/7', 'tok-1'],
  ]);
  assert.ok(sent.every((r) => r.credentials === 'same-origin'), 'the session cookie must go along');
});

test('a 401 shows the login once for concurrent requests, then each is sent again with the new token', async () => {
  setCSRF('old');
  // The hook shares one pending login among the requests, as auth.js does.
  let logins = 0;
  let release;
  let pending;
  onAuthRequired(() => {
    logins++;
    pending ||= new Promise((resolve) => { release = resolve; });
    return pending;
  });
  answers.push([401, { error: { code: 'unauthorized', message: '请先登录' } }], [401, { error: { code: 'unauthorized', message: '请先登录' } }]);
  const a = get('/api/v1/villages');
  const b = post('/api/v1/projects/3/transitions', { to: '乡镇审核', reason: '同意' });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(sent.length, 2, 'nothing is sent again before the login');
  assert.equal(logins, 2);
  answers.push([200, { features: [] }], [201, { project: { id: 3 } }]);
  setCSRF('new'); // what login() does
  release();
  assert.deepEqual(await a, { features: [] });
  assert.deepEqual(await b, { project: { id: 3 } });
  assert.deepEqual(sent.map((r) => [r.method, r.path, r.csrf]), [
    ['GET', '/api/v1/villages', null],
    ['POST', '/api/v1/projects/3/transitions', 'old'],
    ['GET', '/api/v1/villages', null],
    ['POST', '/api/v1/projects/3/transitions', 'new'],
  ]);
  // What the user typed is sent again unchanged.
  assert.equal(sent[3].body, sent[1].body);
});

test('a second 401 after logging in is an error, not a loop', async () => {
  onAuthRequired(async () => {});
  answers.push([401, { error: { code: 'unauthorized', message: '请先登录' } }], [401, { error: { code: 'unauthorized', message: '请先登录' } }]);
  await assert.rejects(get('/api/v1/villages'), (err) => err instanceof APIError && err.status === 401);
  assert.equal(sent.length, 2);
});

test('a wrong password is the server\'s Chinese message, and never opens the login hook', async () => {
  let hooked = false;
  onAuthRequired(async () => { hooked = true; });
  answers.push([401, { error: { code: 'unauthorized', message: '账号或密码错误' } }]);
  await assert.rejects(login('cun', 'wrong'), (err) => err.message === '账号或密码错误' && err.status === 401);
  assert.equal(hooked, false);
  assert.equal(sent.length, 1);
});

test('a 403 names the missing role as the server wrote it; a 5xx also names the request', async () => {
  const msg = '没有权限：将项目从“县级论证”转为“县级审定”需要以下角色之一：县乡村振兴局·审定；当前用户 村干部（某村·编辑）';
  answers.push([403, { error: { code: 'forbidden', message: msg } }]);
  await assert.rejects(post('/api/v1/projects/1/transitions', { to: '县级审定' }), (err) => err.message === msg && err.status === 403 && err.code === 'forbidden');
  answers.push([500, { error: { code: 'internal', message: '服务器内部错误' } }]);
  await assert.rejects(get('/api/v1/gaps'), (err) => err.message === '服务器内部错误（/api/v1/gaps）');
});

test('session is null when nobody is logged in and keeps the token when somebody is', async () => {
  answers.push([401, { error: { code: 'unauthorized', message: '请先登录' } }]);
  assert.equal(await session(), null);
  answers.push([200, { user: USER, csrf: 'tok-2', expires_at: '2026-01-01T00:00:00Z' }]);
  assert.equal((await session()).user.name, '交通局审核员');
  await post('/api/v1/plans', {});
  assert.equal(sent.at(-1).csrf, 'tok-2');
});

test('logout sends the token, then forgets it', async () => {
  setCSRF('tok-3');
  answers.push([204, null]);
  await logout();
  assert.deepEqual([sent[0].method, sent[0].path, sent[0].csrf], ['DELETE', '/api/v1/session', 'tok-3']);
  await post('/api/v1/plans', {});
  assert.equal(sent.at(-1).csrf, null);
  // A session already gone is as good as ended.
  answers.push([401, { error: { code: 'unauthorized', message: '请先登录' } }]);
  await logout();
});

test('runJob asks for a job, polls it with its progress and returns the result; a failed job throws its Chinese message', async () => {
  setCSRF('tok');
  const job = (state, extra = {}) => ({ job: { id: 9, state, progress: { stage: '评分', done: null, total: null }, ...extra } });
  answers.push([202, job('queued')], [200, job('running', { progress: { stage: '评分', done: 100, total: 161 } })],
    [200, job('succeeded', { result: { id: 3 } })]);
  const seen = [];
  const result = await runJob('/api/v1/scoring-runs', { full: true }, (j) => seen.push(jobText(j)), 1);
  assert.deepEqual(result, { id: 3 });
  assert.deepEqual(seen, ['排队中：评分', '运行中：评分（100/161）', '已完成：评分']);
  assert.deepEqual(sent.map((r) => [r.method, r.path, r.prefer, r.csrf]), [
    ['POST', '/api/v1/scoring-runs', 'respond-async', 'tok'],
    ['GET', '/api/v1/jobs/9', null, null],
    ['GET', '/api/v1/jobs/9', null, null],
  ]);

  answers.push([202, job('queued')], [200, job('failed', { error: { code: 'invalid', message: 'fill 参数 "x" 无效' } })]);
  await assert.rejects(runJob('/api/v1/plans', {}, () => {}, 1), (err) => err instanceof APIError && err.message === 'fill 参数 "x" 无效' && err.code === 'invalid');

  answers.push([200, job('cancelled')]);
  await cancelJob(9);
  assert.deepEqual(sent.at(-1).method + ' ' + sent.at(-1).path, 'POST /api/v1/jobs/9/cancel');
  assert.equal(jobText({ state: 'running', progress: { stage: '读取文件', done: 4000, total: null } }), '运行中：读取文件（已处理 4000）');
});

// Chinese, whatever failed: no English word of the browser or of MapLibre reaches the user.
const ENGLISH = /Failed to fetch|AJAXError|NetworkError|Unexpected|TypeError|abort|HTTP \d/i;

test('a server that does not answer is a Chinese error, not "Failed to fetch"', async () => {
  globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
  await assert.rejects(get('/api/v1/gaps', { dimension: '综合' }), (err) => err instanceof APIError && err.status === 0 && err.code === 'network'
    && /无法连接 gapmap 服务/.test(err.message) && err.message.includes('/api/v1/gaps') && !ENGLISH.test(err.message));
});

test('a request without an answer in time fails with 重试 words instead of loading for ever', async () => {
  let signal;
  globalThis.fetch = (path, init) => new Promise((resolve, reject) => {
    signal = init.signal;
    init.signal.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')));
  });
  const started = Date.now();
  await assert.rejects(get('/api/v1/villages/430682001001/gaps', {}, { timeout: 50 }), (err) => err.code === 'timeout'
    && /服务器在 0 秒内没有应答，请稍后重试/.test(err.message) && !ENGLISH.test(err.message));
  assert.ok(signal.aborted, 'the request is not cancelled');
  assert.ok(Date.now() - started < 2000);
});

test('an answer cut short (the server stopped mid-answer) is a Chinese error', async () => {
  globalThis.fetch = async () => new Response('{"villages": [', { status: 200, headers: { 'Content-Type': 'application/json' } });
  await assert.rejects(get('/api/v1/villages'), (err) => /应答不完整/.test(err.message) && !ENGLISH.test(err.message));
});

test('a 503 with Retry-After says when to retry; a proxy\'s error page gets Chinese words by its status', async () => {
  globalThis.fetch = async () => new Response(JSON.stringify({ error: { code: 'unavailable', message: '服务器繁忙，请稍后重试' } }), {
    status: 503, headers: { 'Content-Type': 'application/json', 'Retry-After': '7' },
  });
  await assert.rejects(get('/api/v1/gaps'), (err) => err.status === 503 && err.retryAfter === 7
    && err.message === '服务器繁忙，请稍后重试（/api/v1/gaps），约 7 秒后可重试');
  // The per-user limit's sentence names the wait itself: it is not said twice.
  const limit = '操作过于频繁：每个用户每分钟最多 6 次评分、规划、导入等耗时操作，请 9 秒后重试';
  globalThis.fetch = async () => new Response(JSON.stringify({ error: { code: 'too_many_requests', message: limit } }), {
    status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '9' },
  });
  await assert.rejects(get('/api/v1/plans'), (err) => err.status === 429 && err.retryAfter === 9 && err.message === limit);
  globalThis.fetch = async () => new Response('<html><body>502 Bad Gateway</body></html>', { status: 502, headers: { 'Content-Type': 'text/html' } });
  await assert.rejects(get('/api/v1/gaps'), (err) => err.status === 502 && err.message === '服务器暂时无法应答（状态 502）（/api/v1/gaps）');
  globalThis.fetch = async () => new Response('', { status: 500 });
  await assert.rejects(get('/api/v1/gaps'), (err) => err.message === '服务器出错（状态 500）（/api/v1/gaps）');
  assert.equal(retryAfterOf(''), 0);
  assert.equal(retryAfterOf('120'), 120);
  const date = retryAfterOf(new Date(Date.now() + 30_000).toUTCString()); // whole seconds: 29 to 30 s ahead
  assert.ok(date >= 29 && date <= 30, `${date}`);
  assert.equal(retryAfterOf('Wed, 21 Oct 2015 07:28:00 GMT'), 0);
});

test('MapLibre\'s AJAXError becomes a Chinese message with the tile\'s path', () => {
  const ajax = (status, url) => Object.assign(new Error(`AJAXError: Failed to fetch (${status}): ${url}`), { name: 'AJAXError', status, url });
  const down = mapError(ajax(0, 'http://127.0.0.1:8080/tiles/all/12/3370/1690.mvt?v=abc'));
  assert.equal(down.message, '地图数据无法加载：无法连接 gapmap 服务，请检查网络，或服务器是否在运行（/tiles/all/12/3370/1690.mvt）');
  const failed = mapError(ajax(503, 'http://127.0.0.1:8080/tiles/all.json'));
  assert.equal(failed.message, '地图数据加载失败：服务器暂时无法应答（状态 503）（/tiles/all.json）');
  assert.equal(failed.status, 503);
  const original = console.error;
  console.error = () => {};
  try {
    assert.ok(!ENGLISH.test(mapError(new Error('layers.x: missing required property "source"')).message));
  } finally {
    console.error = original;
  }
});
