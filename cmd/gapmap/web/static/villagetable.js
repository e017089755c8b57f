// The village table (村级缺口表): every scored village of the latest run,
// filtered by township, poor, dimension, an indicator's result and data
// completeness, with the quantity that closes each key gap (km to pave, 户
// without tap water, kVA short) and the cost of the projects addressing it,
// the totals of the filtered set, and its exports. The server filters once
// (GET /api/v1/village-table reads the village_gaps export's query), so
// the 导出 links, which carry the same query, export exactly these rows.
// Also the GIS export of any layer with the township chosen here.
import { get, withQuery } from './api.js';
import { el, num, score, gapStyle, isUnknown, activate } from './format.js';
import { loadingText, failure, busy } from './loading.js';

const DIMS = ['通路', '饮水', '农网', '光伏'];
const GAP_FIELD = { 综合: 'composite', 通路: 'gap_road', 饮水: 'gap_water', 农网: 'gap_grid', 光伏: 'gap_pv' };
const DIM_OF = { R: '通路', W: '饮水', E: '农网', P: '光伏' };
// KEYS are the key quantities: indicator, its dimension, header and unit.
const KEYS = [
  { id: 'R1', dim: '通路', head: '待硬化', unit: 'km', digits: 2 },
  { id: 'W5', dim: '饮水', head: '未通自来水', unit: '户', digits: 0 },
  { id: 'E1', dim: '农网', head: '配变缺口', unit: 'kVA', digits: 0 },
];
const RESULTS = [['fail', '未达标'], ['pass', '达标'], ['no_data', '无数据']];
const PAGE = 100;
const GIS_FORMATS = [['gpkg', 'GeoPackage'], ['shp.zip', 'Shapefile'], ['kml', 'KML']];

export class VillageTable {
  constructor(app, { onVillage }) {
    this.app = app;
    this.onVillage = onVillage;
    this.root = document.getElementById('village-table');
    this.button = document.getElementById('open-village-table');
    this.data = null;
    this.sortKey = null;
    this.sortDir = -1;
    this.page = 0;
    this.seq = 0;
  }

  init(townships) {
    const opt = (v, t) => el('option', { value: v }, t ?? v);
    const sel = (id, label, options) => el('label', {}, label, ' ', el('select', { id, onchange: () => this.load() }, ...options.map(([v, t]) => opt(v, t))));
    this.exports = el('span', { class: 'vt-exports' });
    this.gis = el('span', { class: 'vt-exports' });
    this.summary = el('span', { id: 'vt-summary', class: 'muted', role: 'status' });
    this.pager = el('span', { class: 'vt-pager' });
    this.table = el('table', { id: 'vt-table', class: 'grid' }, el('thead'), el('tbody'), el('tfoot'));
    this.root.replaceChildren(
      el('div', { class: 'drawer-head' },
        el('b', {}, '村级缺口表'), this.summary, el('span', { class: 'spacer' }), this.exports,
        el('button', { type: 'button', class: 'icon', title: '收起村级缺口表', 'aria-label': '收起村级缺口表', onclick: () => this.toggle(false) }, '×')),
      el('div', { class: 'tab' },
        el('div', { class: 'filters' },
          sel('vt-township', '乡镇', [['', '全县'], ...townships.map((t) => [t.code, t.name])]),
          sel('vt-poor', '村', [['', '全部'], ['true', '贫困村'], ['false', '非贫困村']]),
          sel('vt-dimension', '维度', [['', '综合'], ...DIMS.map((d) => [d, d])]),
          sel('vt-indicator', '指标', [['', '整个维度']]),
          sel('vt-result', '结果', [['', '全部'], ...RESULTS]),
          sel('vt-complete', '数据', [['', '全部'], ['true', '数据完整'], ['false', '有数据不足']]),
          this.pager),
        el('div', { class: 'table-wrap' }, this.table),
        el('div', { class: 'filters vt-gis' }, el('span', {}, '图层导出（按上面所选乡镇；村图层也按贫困村）'),
          el('select', { id: 'vt-layer', 'aria-label': '导出图层', onchange: () => this.gisLinks() }), this.gis)));
    this.button.addEventListener('click', () => this.toggle());
    // One drawer at a time: the 项目库 shares the place.
    document.getElementById('open-projects').addEventListener('click', () => this.toggle(false));
  }

  toggle(open = this.root.hidden) {
    this.root.hidden = !open;
    this.button.setAttribute('aria-expanded', String(open));
    if (!open) return;
    if (!this.app.drawer.root.hidden) this.app.drawer.toggle(false);
    if (!this.data) this.load();
    if (!this.layers) this.loadLayers();
  }

  /** query is the filter as the table route and the exports read it. */
  query() {
    const v = (id) => document.getElementById(id).value;
    const q = { township: v('vt-township'), poor: v('vt-poor'), complete: v('vt-complete') };
    const result = v('vt-result');
    if (result && v('vt-indicator')) Object.assign(q, { indicator: v('vt-indicator'), result });
    else if (result && v('vt-dimension')) Object.assign(q, { dimension: v('vt-dimension'), result });
    else if (result) Object.assign(q, { dimension: '', result }); // the server says result needs one of them
    return q;
  }

  async load() {
    const seq = ++this.seq;
    const dim = document.getElementById('vt-dimension').value;
    const indSel = document.getElementById('vt-indicator');
    const q = this.query();
    // 结果 without a dimension or an indicator judges the composite's 数据不足 only: say so rather than ask.
    if (q.result && !q.indicator && !q.dimension) {
      this.summary.textContent = '请先选择维度或指标，再按结果筛选';
      return;
    }
    this.summary.replaceChildren(loadingText());
    const tbody = this.table.tBodies[0];
    if (!tbody.rows.length) tbody.replaceChildren(el('tr', {}, el('td', {}, loadingText())));
    busy(this.table, true);
    let data;
    try {
      data = await get('/api/v1/village-table', q);
    } catch (err) {
      if (seq === this.seq) {
        this.summary.replaceChildren(failure(err, () => this.load()));
        if (!tbody.querySelector('tr[data-code]')) tbody.replaceChildren(); // no 正在加载… left behind
      }
      return;
    } finally {
      if (seq === this.seq) busy(this.table, false);
    }
    if (seq !== this.seq) return;
    this.data = data;
    this.dim = dim || '综合';
    // The indicators of the chosen dimension (all with 综合), from the table's own fields.
    const ids = data.fields.filter((f) => f.name.endsWith('_status')).map((f) => f.name.slice(0, -7));
    const keep = indSel.value;
    const shown = ids.filter((id) => !dim || DIM_OF[id[0]] === dim);
    indSel.replaceChildren(el('option', { value: '' }, dim ? `整个${dim}维度` : '全部指标'), ...shown.map((id) => el('option', { value: id }, id)));
    indSel.value = shown.includes(keep) ? keep : '';
    if (keep && indSel.value !== keep) return this.load(); // the indicator left the dimension: filter again without it
    this.indicator = indSel.value;
    this.page = 0;
    this.render();
    this.exportLinks(q);
    this.gisLinks();
  }

  /** columns shown for the current dimension and indicator. */
  columns() {
    const dim = this.dim;
    const cols = [
      { key: 'name', head: '村', cell: (r) => el('a', { href: '#', onclick: (e) => { e.preventDefault(); this.onVillage(r.code); } }, r.name) },
      { key: 'township', head: '乡镇' },
      { key: 'is_poor_village', head: '贫困村', cell: (r) => (r.is_poor_village ? '是' : '否') },
      { key: GAP_FIELD[dim], head: `${dim}缺口`, num: true, gap: true, cell: (r) => this.gapCell(r) },
      { key: 'unknown', head: '数据不足', cell: (r) => r.unknown || '—' },
    ];
    if (this.indicator) {
      cols.push({ key: `${this.indicator}_status`, head: `${this.indicator} 判定`, cell: (r) => el('span', { class: `st ${STATUS_CLASS[r[`${this.indicator}_status`]] || ''}` }, r[`${this.indicator}_status`] ?? '') });
      cols.push({ key: `${this.indicator}_value`, head: `${this.indicator} 实测值`, num: true, cell: (r) => valueText(r[`${this.indicator}_value`]) });
    }
    for (const k of KEYS) {
      if (dim !== '综合' && k.dim !== dim) continue;
      cols.push({ key: `${k.id}_need`, head: `${k.head}（${k.unit}）`, num: true, total: true, digits: k.digits, cell: (r) => valueText(r[`${k.id}_need`], k.digits) });
      cols.push({ key: `${k.id}_cost_wan`, head: `${k.id} 项目（万元）`, num: true, total: true, digits: 2, cost: true, cell: (r) => num(r[`${k.id}_cost_wan`], 2) });
    }
    return cols;
  }

  gapCell(r) {
    const v = r[GAP_FIELD[this.dim]];
    const unknown = isUnknown(r.unknown, this.dim);
    return el('span', {
      class: 'sc', dataset: { unknown: String(unknown) },
      style: gapStyle(v, unknown), title: unknown ? '数据不足：缺数据的权重过大，此数不可信' : null,
    }, unknown && (v === null || v === undefined) ? '数据不足' : score(v));
  }

  /** sorted rows: by the chosen column, else worst measured gap first, 数据不足 after the measured ones. */
  sorted() {
    const rows = [...this.data.rows];
    const gap = GAP_FIELD[this.dim];
    const unknown = (r) => isUnknown(r.unknown, this.dim);
    if (!this.sortKey) {
      return rows.sort((a, b) => (unknown(a) - unknown(b)) || ((b[gap] ?? -1) - (a[gap] ?? -1)) || a.code.localeCompare(b.code));
    }
    const k = this.sortKey;
    return rows.sort((a, b) => {
      const x = a[k];
      const y = b[k];
      if (x === y) return a.code.localeCompare(b.code);
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === 'number' ? x - y : String(x).localeCompare(String(y), 'zh-CN')) * this.sortDir;
    });
  }

  render() {
    const cols = this.columns();
    const rows = this.sorted();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    this.page = Math.min(this.page, pages - 1);
    const [thead, tbody, tfoot] = this.table.children;
    thead.replaceChildren(el('tr', {}, ...cols.map((c) => el('th', {
      class: c.num ? 'num' : '', dataset: { key: c.key }, title: `按${c.head}排序`,
      'aria-sort': this.sortKey === c.key ? (this.sortDir > 0 ? 'ascending' : 'descending') : null, ...activate(() => this.sortBy(c.key)),
    }, c.head))));
    tbody.replaceChildren(...rows.slice(this.page * PAGE, (this.page + 1) * PAGE).map((r) => el('tr', {
      dataset: { code: r.code }, title: '查看该村详情', ...activate(() => this.onVillage(r.code)),
    },
      ...cols.map((c) => el('td', { class: c.num ? 'num' : '' }, c.cell ? c.cell(r) : (r[c.key] ?? ''))))));
    // The totals are the server's, over the whole filtered set (every page).
    const totals = this.data.totals;
    tfoot.replaceChildren(el('tr', {}, ...cols.map((c, i) => {
      if (i === 0) return el('th', {}, `合计 ${rows.length} 村`);
      const t = c.total && totals[c.key];
      if (!t) return el('th');
      return el('th', { class: 'num', dataset: { total: c.key, sum: String(t.sum) }, title: t.unknown ? `${t.unknown} 村无数据，未计入` : null },
        num(t.sum, c.digits), t.unknown ? `（${t.unknown} 村无数据）` : '');
    })));
    const parts = [`${rows.length} 村`];
    let cost = 0;
    for (const c of cols) {
      if (!c.total || !totals[c.key]) continue;
      if (c.cost) cost += totals[c.key].sum;
      else parts.push(`${c.head.replace(/（.*）/, '')} ${num(totals[c.key].sum, c.digits)} ${KEYS.find((k) => c.key.startsWith(k.id)).unit}`);
    }
    parts.push(`项目投资 ${num(cost, 2)} 万元`);
    this.summary.textContent = parts.join(' · ');
    this.summary.dataset.villages = String(rows.length);
    this.summary.dataset.wan = String(cost);
    this.pager.replaceChildren(...(pages > 1 ? [
      el('button', { type: 'button', disabled: this.page === 0, onclick: () => { this.page--; this.render(); } }, '上一页'),
      ` 第 ${this.page + 1} / ${pages} 页 `,
      el('button', { type: 'button', disabled: this.page >= pages - 1, onclick: () => { this.page++; this.render(); } }, '下一页'),
    ] : []));
  }

  sortBy(key) {
    this.sortDir = this.sortKey === key ? -this.sortDir : -1;
    this.sortKey = key;
    // The headers are drawn anew: the keyboard stays on the one it sorted by.
    const focused = this.table.tHead.contains(document.activeElement);
    this.render();
    if (focused) this.table.tHead.querySelector(`th[data-key="${CSS.escape(key)}"]`)?.focus();
  }

  /** exportLinks point the 导出 links at the village_gaps export of the same query, villages with their outlines. */
  exportLinks(q) {
    const link = (format, label, extra = {}) => el('a', {
      class: 'button', dataset: { format }, href: withQuery(`/api/v1/exports/village_gaps.${format}`, { ...q, ...extra }),
      download: `村级缺口表.${format}`, title: `导出表中这些村（${label}）`,
    }, label);
    this.exports.replaceChildren('导出 ', link('xlsx', 'XLSX'),
      ...GIS_FORMATS.map(([f, label]) => link(f, label, { geometry: 'outline' })));
  }

  async loadLayers() {
    try {
      const res = await get('/api/v1/layers');
      this.layers = res.layers;
    } catch {
      this.layers = [];
    }
    const sel = document.getElementById('vt-layer');
    sel.replaceChildren(...this.layers.map((l) => el('option', { value: l.name }, `${l.title || l.name}（${l.count}）`)));
    this.gisLinks();
  }

  /** gisLinks export the chosen layer in the chosen township (the layer's own geometry). */
  gisLinks() {
    const layer = document.getElementById('vt-layer').value;
    if (!layer) return this.gis.replaceChildren();
    const q = { township: document.getElementById('vt-township').value };
    // The villages layer also takes 贫困村 (the other layers have no such column and would refuse it).
    if (layer === 'villages') q.poor = document.getElementById('vt-poor').value;
    this.gis.replaceChildren(...GIS_FORMATS.map(([f, label]) => el('a', {
      class: 'button', dataset: { format: f }, href: withQuery(`/api/v1/exports/${layer}.${f}`, q), download: `${layer}.${f}`,
    }, label)));
  }
}

const STATUS_CLASS = { 未达标: 'fail', 达标: 'pass', 无数据: 'nodata', 不适用: 'na' };

function valueText(v, digits = 2) {
  return v === null || v === undefined ? '无数据' : num(v, digits);
}
