// 逐年进展: per year-end and township, the figures a county reports upward
// (GET /api/v1/progress), as a table, a bar chart of one figure by year
// (plain SVG) and the XLSX of the same call. A figure the server does not
// know (no year-end run) is 无数据, never 0.
import { get, withQuery } from './api.js';
import { el, num } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * cellOf is the value of row under one of the API's headers, null when
 * unknown. The village figures (村数, 达标, 退出) are unknown without the
 * year-end run (run_id 0); 关闭缺口指标数 is null when either run is
 * missing. An unknown header is undefined (shown as —).
 */
export function cellOf(row, header) {
  const known = (v) => (row.run_id ? v ?? 0 : null);
  if (header.startsWith('达标村数·')) return known((row.meeting || {})[header.slice('达标村数·'.length)]);
  if (header.startsWith('退出·')) return known((row.exit || {})[header.slice('退出·'.length)]);
  switch (header) {
    case '年度': return row.year;
    case '乡镇代码': return row.township_code;
    case '乡镇': return row.township_name;
    case '村数': return known(row.villages);
    case '退出全部达标村数': return known(row.exit_all);
    case '关闭缺口指标数': return row.gaps_closed ?? null;
    case '完工项目数': return row.projects_completed;
    case '硬化道路(km)': return row.km_paved;
    case '拨付资金(万元)': return row.paid_wan;
    case '年末评分批次': return row.run_id || null;
    default: return undefined;
  }
}

/** TEXT_COLUMNS are shown as they are, not as numbers. */
const TEXT_COLUMNS = new Set(['年度', '乡镇代码', '乡镇', '年末评分批次']);

/** CHART_SKIP are the headers that are not a figure to chart. */
const CHART_SKIP = new Set(['年度', '乡镇代码', '乡镇', '年末评分批次']);

/**
 * yearTotals sums header over the rows of each year from..to (of township
 * code, '' for all): null for a year with an unknown cell or no row.
 */
export function yearTotals(rows, header, from, to, township = '') {
  const out = [];
  for (let y = from; y <= to; y++) {
    const of = rows.filter((r) => r.year === y && (!township || r.township_code === township));
    let total = of.length ? 0 : null;
    for (const r of of) {
      const v = cellOf(r, header);
      if (v === null || v === undefined) { total = null; break; }
      total += v;
    }
    out.push({ year: y, value: total === null ? null : Math.round(total * 100) / 100 });
  }
  return out;
}

export class ProgressView {
  constructor(app, { fail }) {
    this.app = app;
    this.fail = fail;
    this.root = document.getElementById('progress');
    this.button = document.getElementById('open-progress');
    this.res = null;
    this.button.addEventListener('click', () => this.toggle());
    this.root.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.toggle(false); });
    this.build();
  }

  build() {
    const thisYear = new Date().getFullYear();
    const years = [];
    for (let y = 2010; y <= thisYear; y++) years.push(y);
    const yearSelect = (id, label, value) => el('label', {}, label, ' ',
      el('select', { id }, years.map((y) => el('option', { value: y, selected: y === value }, `${y}年`))));
    this.xlsx = el('a', { id: 'progress-xlsx', class: 'button primary', download: '逐年进展.xlsx' }, '下载 逐年进展 XLSX');
    this.root.replaceChildren(
      el('div', { class: 'drawer-head' },
        el('h2', { id: 'progress-title' }, '逐年进展（按年末、乡镇）'),
        el('span', { class: 'spacer' }),
        this.xlsx,
        el('button', { type: 'button', class: 'icon', id: 'close-progress', title: '关闭逐年进展', 'aria-label': '关闭逐年进展', onclick: () => this.toggle(false) }, '×')),
      el('form', {
        id: 'progress-form', class: 'filters',
        onsubmit: (e) => { e.preventDefault(); this.load().catch(this.fail); },
      },
      yearSelect('progress-from', '从', 2016), yearSelect('progress-to', '到', Math.min(2020, thisYear)),
      el('button', { type: 'submit', class: 'primary' }, '查询'),
      el('span', { class: 'muted' }, '每年的村级数字取该年 12 月 31 日的评分；没有年末评分的年份，有评分权限时自动生成，否则为无数据。')),
      el('p', { id: 'progress-status', class: 'muted', role: 'status' }),
      el('div', { class: 'filters' },
        el('label', {}, '图表 ', this.measure = el('select', { id: 'progress-measure' })),
        el('label', {}, '乡镇 ', this.township = el('select', { id: 'progress-township' }, el('option', { value: '' }, '全县')))),
      this.chart = el('div', { id: 'progress-chart' }),
      el('div', { class: 'table-wrap' }, this.table = el('table', { id: 'progress-table', class: 'grid' })));
    this.measure.addEventListener('change', () => this.drawChart());
    this.township.addEventListener('change', () => this.drawChart());
  }

  /** toggle opens (loading the table the first time) or closes the view. */
  toggle(open = this.root.hidden) {
    this.root.hidden = !open;
    this.button.setAttribute('aria-expanded', String(open));
    if (!open) { this.button.focus(); return; }
    document.getElementById('progress-from').focus();
    if (!this.res) this.load().catch(this.fail);
  }

  async load() {
    const from = Number(document.getElementById('progress-from').value);
    const to = Number(document.getElementById('progress-to').value);
    const status = document.getElementById('progress-status');
    if (from > to) {
      status.textContent = `起始年份 ${from} 晚于结束年份 ${to}。`;
      status.className = 'st fail';
      return;
    }
    status.className = 'muted';
    status.textContent = `正在读取 ${from}–${to} 年的年末评分（没有的将按年末日期评分，可能需要几分钟）…`;
    this.root.dataset.loaded = '';
    const q = { from, to };
    this.xlsx.href = withQuery('/api/v1/progress/export.xlsx', q);
    let res;
    try {
      // Scoring missing year-ends takes minutes: the server's own budget (30 min) bounds the wait.
      res = await get('/api/v1/progress', q, { timeout: 31 * 60_000 });
    } catch (err) {
      status.className = 'st fail';
      status.textContent = err.message;
      throw err;
    }
    this.res = res;
    const missing = [...new Set(res.rows.filter((r) => !r.run_id).map((r) => r.year))];
    status.textContent = `${res.from}–${res.to} 年，${res.rows.length} 行。`
      + (missing.length ? `${missing.join('、')} 年没有年末评分，村级数字为无数据。` : '');
    this.drawTable();
    const keep = this.measure.value || '退出全部达标村数';
    this.measure.replaceChildren(...res.headers.filter((h) => !CHART_SKIP.has(h)).map((h) => el('option', { value: h, selected: h === keep }, h)));
    const keepT = this.township.value;
    const towns = new Map(res.rows.map((r) => [r.township_code, r.township_name]));
    this.township.replaceChildren(el('option', { value: '' }, '全县'),
      ...[...towns].sort((a, b) => a[0].localeCompare(b[0])).map(([code, name]) => el('option', { value: code, selected: code === keepT }, name)));
    this.drawChart();
    this.root.dataset.loaded = String(Date.now());
  }

  drawTable() {
    const { headers, rows } = this.res;
    this.table.replaceChildren(
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
      el('tbody', {}, rows.map((r) => el('tr', { dataset: { year: r.year, township: r.township_code } }, headers.map((h) => {
        const v = cellOf(r, h);
        if (v === null) return el('td', { class: 'nodata', title: r.no_data || '没有数据', dataset: { header: h, value: '' } }, '无数据');
        if (v === undefined) return el('td', { dataset: { header: h, value: '' } }, '—');
        return el('td', { class: TEXT_COLUMNS.has(h) ? '' : 'num', dataset: { header: h, value: String(v) } },
          TEXT_COLUMNS.has(h) ? String(v) : num(v, 2));
      })))),
      rows.length ? null : el('tbody', {}, el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, '该年份范围没有数据。'))));
  }

  /** drawChart draws one bar per year of the chosen figure; an unknown year is a hatched 无数据 mark. */
  drawChart() {
    if (!this.res) return;
    const header = this.measure.value;
    const totals = yearTotals(this.res.rows, header, this.res.from, this.res.to, this.township.value);
    const W = 640; const H = 220; const left = 44; const bottom = 28; const top = 22;
    const max = Math.max(1, ...totals.map((t) => t.value || 0));
    const slot = (W - left - 8) / totals.length;
    const bw = Math.min(56, slot * 0.6);
    const y = (v) => H - bottom - (v / max) * (H - bottom - top);
    const svg = document.createElementNS(SVG, 'svg');
    const add = (parent, tag, attrs, text) => {
      const e = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      parent.append(e);
      return e;
    };
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('role', 'img');
    const where = this.township.value ? this.township.selectedOptions[0].textContent : '全县';
    svg.setAttribute('aria-label', `${where}${header}逐年柱状图：${totals.map((t) => `${t.year}年 ${t.value === null ? '无数据' : num(t.value, 2)}`).join('，')}`);
    const defs = add(svg, 'defs', {});
    const pat = add(defs, 'pattern', { id: 'progress-hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
    add(pat, 'rect', { width: 6, height: 6, fill: '#bdbdbd' });
    add(pat, 'line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#616161', 'stroke-width': 2 });
    add(svg, 'line', { x1: left, y1: H - bottom, x2: W - 4, y2: H - bottom, stroke: '#888' });
    add(svg, 'text', { x: left - 6, y: y(max) + 4, 'text-anchor': 'end', class: 'axis' }, num(max, 2));
    add(svg, 'text', { x: left - 6, y: H - bottom + 4, 'text-anchor': 'end', class: 'axis' }, '0');
    totals.forEach((t, i) => {
      const cx = left + slot * (i + 0.5);
      const unknown = t.value === null;
      const top0 = unknown ? H - bottom - 24 : y(t.value);
      const g = add(svg, 'g', { class: `bar${unknown ? ' unknown' : ''}`, 'data-year': t.year, 'data-value': unknown ? '' : String(t.value) });
      add(g, 'title', {}, `${t.year}年 ${header}：${unknown ? '无数据' : num(t.value, 2)}`);
      add(g, 'rect', {
        x: cx - bw / 2, y: top0, width: bw, height: Math.max(H - bottom - top0, unknown ? 24 : 0.5),
        fill: unknown ? 'url(#progress-hatch)' : '#0b5cad',
      });
      add(g, 'text', { x: cx, y: top0 - 5, 'text-anchor': 'middle', class: 'value' }, unknown ? '无数据' : num(t.value, 2));
      add(svg, 'text', { x: cx, y: H - bottom + 16, 'text-anchor': 'middle', class: 'axis' }, `${t.year}`);
    });
    this.chart.replaceChildren(el('div', { class: 'muted' }, `${where} · ${header}（各乡镇合计）`), svg);
  }
}
