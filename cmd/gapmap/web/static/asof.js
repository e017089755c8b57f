// The 日期 control: the county as it was on a past date. The map's tiles
// carry as_of (the layers as of that day, the villages coloured by the run
// of that date), the ranking and the village panel ask for the scores of
// that date (?as_of=), and a banner says which date is shown, with the way
// back to 今天. A date without its run says so: its gaps show as 无数据,
// never as today's.
import { get } from './api.js';
import { el } from './format.js';

/** YEAR_ENDS are the plans' year-ends (2016–2020) offered as one click. */
export const YEAR_ENDS = [2016, 2017, 2018, 2019, 2020];

/** today is the local date as YYYY-MM-DD. */
function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * tileURL adds as_of to the URL of a vector tile of the page's own tiles
 * (for the map's transformRequest); other requests are left alone.
 */
export function tileURL(url, asOf) {
  if (!asOf || !/\/tiles\/[^?]+\.mvt(\?|$)/.test(url)) return url;
  const u = new URL(url, window.location.href);
  u.searchParams.set('as_of', asOf);
  return u.href;
}

export class AsOfControl {
  /** onChange runs after the date changed: the page reloads its tiles, ranking and panel. */
  constructor(app, { onChange }) {
    this.app = app;
    this.onChange = onChange;
    app.asOf = ''; // '' is today: the layers and the latest run as they are
    app.asOfMissing = false; // the chosen date has no run: its gaps are unknown
  }

  /** render builds the control into #asof-box and the banner into #asof-banner. */
  render() {
    const input = el('input', { id: 'asof-date', type: 'date', max: today(), min: '2000-01-01', 'aria-label': '查看日期' });
    input.addEventListener('change', () => { if (input.value) this.set(input.value); });
    const years = el('div', { class: 'asof-years', role: 'group', 'aria-label': '年末状态' },
      YEAR_ENDS.map((y) => el('button', { type: 'button', dataset: { date: `${y}-12-31` }, title: `${y} 年 12 月 31 日的状态`, onclick: () => this.set(`${y}-12-31`) }, `${y}年末`)));
    this.input = input;
    document.getElementById('asof-box').append(
      el('div', { class: 'row' }, input, el('button', { type: 'button', id: 'asof-today', onclick: () => this.set('') }, '今天')),
      years,
      el('p', { class: 'muted', id: 'asof-note' }, '地图、缺口排名和村详情显示所选日期的状态（该日期的评分结果）。'));
    this.banner = document.getElementById('asof-banner');
    this.banner.replaceChildren(el('span', { id: 'asof-text' }), el('button', { type: 'button', id: 'asof-back', onclick: () => this.set('') }, '回到今天'));
    this.show();
  }

  /**
   * set shows the county as of date (YYYY-MM-DD; '' or a date from today
   * on: as it is now) and reports whether that date has its run.
   */
  async set(date) {
    if (date && date >= today()) date = '';
    if (date && !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      this.app.notice('日期格式应为 年-月-日，例如 2018-12-31。', true);
      return;
    }
    this.app.asOf = date;
    this.app.asOfMissing = false;
    if (this.input) this.input.value = date;
    if (date) {
      const res = await get('/api/v1/scoring-runs', { as_of: date });
      if (this.app.asOf !== date) return; // superseded by a later choice
      this.app.asOfMissing = !res.run;
    }
    this.show();
    await this.onChange(date);
  }

  /** show updates the banner and the pressed year-end button. */
  show() {
    const { asOf, asOfMissing } = this.app;
    this.banner.hidden = !asOf;
    this.banner.classList.toggle('missing', asOfMissing);
    document.getElementById('asof-text').textContent = !asOf ? ''
      : `显示 ${asOf} 的状态${asOfMissing ? '：该日期没有评分结果，村的缺口显示为无数据（可在“逐年进展”中生成年末评分）' : ''}`;
    for (const b of document.querySelectorAll('.asof-years button')) b.setAttribute('aria-pressed', String(b.dataset.date === asOf));
    document.getElementById('asof-today').setAttribute('aria-pressed', String(!asOf));
  }

  /** query is the as_of query of the score requests ({} for today). */
  query() {
    return this.app.asOf ? { as_of: this.app.asOf } : {};
  }
}
