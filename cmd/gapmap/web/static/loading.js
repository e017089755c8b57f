// Loading and failing, as every part of the page shows them: 正在加载… with
// a spinner while a request is out (aria-busy on the part that waits), and
// on failure the Chinese message of api.js with a 重试 button that sends
// the same request again. A part never stays on 正在加载…: api.js gives
// every request a deadline.
import { APIError } from './api.js';
import { el } from './format.js';

/** SPINNER_AFTER_MS is how long a wait goes before its spinner turns. */
const SPINNER_AFTER_MS = 300;

/**
 * loadingText is 正在加载… (or text) with a spinner, announced politely.
 * The spinner turns only once the wait passes SPINNER_AFTER_MS: most answers
 * come sooner, and a spinning element makes the browser draw a frame 60
 * times a second, which on a PC without a GPU took the time the village
 * panel and the map needed to draw themselves.
 */
export function loadingText(text = '正在加载…') {
  const spinner = el('span', { class: 'spinner waiting', 'aria-hidden': 'true' });
  setTimeout(() => spinner.classList.remove('waiting'), SPINNER_AFTER_MS);
  return el('span', { class: 'loading', role: 'status' }, spinner, text);
}

/**
 * errorText is the message the user reads for err: an APIError's own
 * Chinese words; anything else is a fault of the page, whose (English)
 * message goes to the console only.
 */
export function errorText(err) {
  if (err instanceof APIError) return err.message;
  console.error(err);
  return '页面出错了，请重试；如果仍然出错，请刷新页面（详情见浏览器控制台）';
}

/**
 * retriable is true when the same request may succeed if sent again: no
 * answer, a server error, or too many requests; a refusal (400, 403, 404,
 * 409) would only be repeated.
 */
export function retriable(err) {
  return !(err instanceof APIError) || err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500;
}

/** failure is err's message with a 重试 button calling retry (none without retry, or when retrying cannot help). */
export function failure(err, retry) {
  return el('span', { class: 'failure', role: 'alert' },
    el('span', { class: 'st fail' }, errorText(err)),
    retry && retriable(err) ? el('button', { type: 'button', class: 'retry', onclick: retry }, '重试') : null);
}

/** busy marks box as waiting (aria-busy) or done. */
export function busy(box, on) {
  if (on) box.setAttribute('aria-busy', 'true');
  else box.removeAttribute('aria-busy');
}

/**
 * loadInto shows 正在加载… in box, awaits load() and gives its answer to
 * show; on failure box shows the message and 重试, which does it all again.
 */
export async function loadInto(box, load, show) {
  busy(box, true);
  box.replaceChildren(loadingText());
  try {
    show(await load());
  } catch (err) {
    box.replaceChildren(failure(err, () => loadInto(box, load, show)));
  } finally {
    busy(box, false);
  }
}
