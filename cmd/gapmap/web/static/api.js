// The gapmap API, with its Chinese error messages passed on to the page.

export class APIError extends Error {}

async function request(path, init) {
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new APIError(`无法连接 gapmap 服务（${path}）：${err.message}`);
  }
  const type = res.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const msg = body && body.error && body.error.message ? body.error.message : `HTTP ${res.status}`;
    throw new APIError(`${msg}（${path}）`);
  }
  return body;
}

/** get fetches JSON from path with the query q (empty values left out). */
export const get = (path, q = {}) => request(withQuery(path, q));

/** post sends body as JSON. */
export function post(path, body) {
  return request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** put sends body as JSON with PUT. */
export function put(path, body) {
  return request(path, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** query builds a URL with the non-empty values of q. */
export function withQuery(path, q) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v !== '' && v !== null && v !== undefined) params.set(k, v);
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}
