// The 项目库 drawer: the library as a sortable, filterable table (by any of
// the three rankings, township, category, status and year), the budget plan
// by year with its 方案 (plans.js), the county targets against progress, the XLSX download, and the
// 资金台账 roll-up by township, source, category, year or village with its
// XLSX.
import { get, withQuery } from './api.js';
import { el, num, wan, score, gapAfter, quantity, activate, RANKINGS } from './format.js';
import { loadingText, failure, busy, loadInto } from './loading.js';
import { fundSources, pctText } from './funds.js';
import { PROJECT_STATUS_COLOURS, statusStyle, bbox, empty } from './map.js';
import { PlanTab, PLAN_YEARS } from './plans.js';

const STATES = PROJECT_STATUS_COLOURS.map(([s]) => s);
const CATEGORIES = ['基础设施-道路', '基础设施-饮水', '基础设施-电力', '产业发展-光伏', '产业发展', '就业扶贫', '基础设施', '生活条件改善', '教育', '健康', '项目管理费'];
// FUND_YEARS are the years the 资金台账 tab offers: 精准扶贫 from 2014 to this year.
const FUND_YEARS = Array.from({ length: new Date().getFullYear() - 2013 }, (_, i) => 2014 + i);
const FUND_FILTERS = ['fund-by', 'fund-year', 'fund-source', 'fund-township', 'fund-category'];

// COLUMNS of the table: header, value for sorting, cell.
const COLUMNS = [
  { key: 'rank_need', head: '需求', num: true, title: '需求排名：按项目所补缺口（建设前）排，1 = 缺口最大' },
  { key: 'rank_poor', head: '贫困', num: true, title: '贫困排名：按受益建档立卡贫困人口排' },
  { key: 'rank_value', head: '性价比', num: true, title: '性价比排名：按 补上的缺口分 × 受益贫困人口 ÷ 投资 排' },
  { key: 'code', head: '编号' },
  { key: 'name', head: '项目名称', wrap: true },
  { key: 'township_name', head: '乡镇' },
  { key: 'village_name', head: '村', cell: (p, d) => (p.village_code ? el('a', { href: '#', title: '查看该村详情', onclick: (e) => { e.preventDefault(); e.stopPropagation(); d.onVillage(p.village_code); } }, p.village_name) : '') },
  { key: 'category', head: '类别' },
  { key: 'quantity', head: '规模', num: true, cell: (p) => quantity(p.quantity, p.unit) },
  { key: 'cost_wan', head: '投资（万元）', num: true, cell: (p) => num(p.cost_wan, 2) },
  { key: 'poor_population', head: '受益贫困人口', num: true, cell: (p) => `${num(p.poor_population, 0)} 人` },
  { key: 'gap_before', head: '缺口 前→后', num: true, cell: (p) => `${p.gap_dimension} ${score(p.gap_before)} → ${gapAfter(p)}` },
  { key: 'status', head: '状态', cell: (p) => el('span', { class: 'status-chip', style: statusStyle(p.status) }, p.status) },
  { key: 'year', head: '年度', num: true, cell: (p) => p.year || '未安排' },
];

/** unfiltered is true when filters f list every project (sort only orders them). */
const unfiltered = (f) => Object.entries(f).every(([k, v]) => k === 'sort' || v === '');

export class ProjectsDrawer {
  constructor(app, { onVillage }) {
    this.app = app;
    this.onVillage = onVillage;
    this.root = document.getElementById('projects');
    this.byId = new Map(); // every project with its county-wide ranks
    this.rows = [];
    this.sortKey = null;
    this.sortDir = 1;
    this.seq = 0; // the latest load's number
    this.planTab = new PlanTab(this);
  }

  async init(townships) {
    const opt = (v, t) => el('option', { value: v }, t ?? v);
    const sort = document.getElementById('f-sort');
    for (const [k, t] of Object.entries(RANKINGS)) sort.append(opt(k, t));
    for (const t of townships) document.getElementById('f-township').append(opt(t.code, t.name));
    for (const c of CATEGORIES) document.getElementById('f-category').append(opt(c));
    for (const s of STATES) document.getElementById('f-status').append(opt(s));
    for (const y of PLAN_YEARS) document.getElementById('f-year').append(opt(String(y), `${y} 年`));
    for (const id of ['f-sort', 'f-township', 'f-category', 'f-status', 'f-year']) {
      document.getElementById(id).addEventListener('change', () => this.load());
    }
    for (const b of this.root.querySelectorAll('.tabs button')) b.addEventListener('click', () => this.tab(b.dataset.tab));
    document.getElementById('close-projects').addEventListener('click', () => this.toggle(false));
    this.planTab.init();
    for (const y of FUND_YEARS) document.getElementById('fund-year').append(opt(String(y), `${y} 年`));
    for (const t of townships) document.getElementById('fund-township').append(opt(t.code, t.name));
    for (const c of CATEGORIES) document.getElementById('fund-category').append(opt(c));
    fundSources().then((list) => { for (const f of list) document.getElementById('fund-source').append(opt(f.code, f.name)); })
      .catch((err) => console.warn(err));
    for (const id of FUND_FILTERS) document.getElementById(id).addEventListener('change', () => this.funds());
    const thead = this.root.querySelector('#project-table thead');
    thead.append(el('tr', {}, COLUMNS.map((c) => el('th', {
      class: c.num ? 'num' : '', title: c.title || `按${c.head}排序`, dataset: { key: c.key }, ...activate(() => this.sortBy(c.key)),
    }, c.head))));
    await this.refresh();
  }

  /**
   * refresh reloads every project's county-wide ranks and the table, after
   * the library changed. Unfiltered (as at start), the table's answer is
   * the whole library: it is fetched once (340 KB on the demo), not twice.
   */
  async refresh() {
    const f = this.filters();
    if (unfiltered(f)) {
      await this.load();
      return;
    }
    const all = await this.fetch({ page_size: 1000 });
    if (all) await this.load(all.projects);
  }

  filters() {
    const v = (id) => document.getElementById(id).value;
    return { sort: v('f-sort'), township: v('f-township'), category: v('f-category'), status: v('f-status'), year: v('f-year') };
  }

  /**
   * fetch GETs the library with q; while it is out the table says
   * 正在加载…, and a failure (null) says why in the table, with 重试.
   */
  async fetch(q) {
    const tbody = this.root.querySelector('#project-table tbody');
    const wrap = tbody.closest('.table-wrap');
    if (!tbody.querySelector('tr[data-id]')) tbody.replaceChildren(el('tr', {}, el('td', { colspan: COLUMNS.length }, loadingText())));
    busy(wrap, true);
    try {
      return await get('/api/v1/projects', q);
    } catch (err) {
      tbody.replaceChildren(el('tr', {}, el('td', { colspan: COLUMNS.length }, failure(err, () => this.refresh()))));
      return null;
    } finally {
      busy(wrap, false);
    }
  }

  /**
   * load fetches the library with the filters and redraws the table;
   * all, when given, is every project (refresh), and otherwise the answer
   * itself is, when no filter narrows it.
   */
  async load(all = null) {
    const f = this.filters();
    const seq = ++this.seq;
    const page = await this.fetch({ ...f, page_size: 1000 });
    if (!page) return;
    const whole = all || (unfiltered(f) ? page.projects : null);
    if (whole) this.byId = new Map(whole.map((p) => [p.id, p]));
    // A filter changed while this load was out (a 方案 applied, then 状态
    // chosen): the table is the latest load's, whichever answer comes last.
    if (seq !== this.seq) return;
    this.rows = page.projects;
    this.total = page.total;
    this.sortKey = null;
    document.getElementById('projects-summary').textContent =
      `共 ${num(page.total, 0)} 个项目，合计 ${wan(page.cost_wan)}${page.total > this.rows.length ? `（列出前 ${this.rows.length} 个）` : ''}`;
    document.getElementById('download-xlsx').href = withQuery('/api/v1/projects/export.xlsx', f);
    this.renderRows();
  }

  sortBy(key) {
    this.sortDir = this.sortKey === key ? -this.sortDir : 1;
    this.sortKey = key;
    const val = (p) => (p[key] === undefined || p[key] === null ? '' : p[key]);
    this.rows = [...this.rows].sort((a, b) => {
      const x = val(a);
      const y = val(b);
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'zh-CN')) * this.sortDir;
    });
    this.renderRows();
  }

  renderRows() {
    for (const th of this.root.querySelectorAll('#project-table th')) {
      if (th.dataset.key === this.sortKey) th.setAttribute('aria-sort', this.sortDir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    const tbody = this.root.querySelector('#project-table tbody');
    tbody.replaceChildren(...this.rows.map((p) => el('tr', {
      dataset: { id: p.id }, class: p.id === this.selected ? 'selected' : '', title: '点击在地图上定位该项目', ...activate(() => this.showProject(p.id)),
    }, COLUMNS.map((c) => el('td', { class: c.num ? 'num' : c.wrap ? 'wrap' : '' }, c.cell ? c.cell(p, this) : p[c.key])))));
    if (!this.rows.length) tbody.append(el('tr', {}, el('td', { colspan: COLUMNS.length, class: 'muted' }, '没有符合条件的项目。')));
  }

  /** toggle opens or closes the drawer; the map shrinks to make room. */
  toggle(open = this.root.hidden) {
    this.root.hidden = !open;
    document.getElementById('open-projects').setAttribute('aria-expanded', String(open));
    if (open && this.tabName === 'targets') this.targets();
    if (open && this.tabName === 'funds') this.funds();
  }

  tab(name) {
    this.tabName = name;
    for (const b of this.root.querySelectorAll('.tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
    for (const t of this.root.querySelectorAll('.tab')) t.hidden = t.dataset.tab !== name;
    if (name === 'targets') this.targets();
    if (name === 'funds') this.funds();
    if (name === 'plan') this.planTab.shown();
    // The head's 下载 申报表 XLSX is the project list's; the 资金台账 has its own.
    document.getElementById('download-xlsx').hidden = name === 'funds';
  }

  /** fundsChanged follows a ledger entry: the 资金台账 tab reloads if it is showing. */
  fundsChanged() {
    if (!this.root.hidden && this.tabName === 'funds') this.funds();
  }

  /**
   * funds shows the 资金台账 roll-up with the tab's filters (within what the
   * user may read: the server scopes it) and points 下载 at the workbook of
   * the same filters.
   */
  async funds() {
    const v = (id) => document.getElementById(id).value;
    const f = { year: v('fund-year'), source: v('fund-source'), township: v('fund-township'), category: v('fund-category') };
    const by = v('fund-by');
    document.getElementById('download-funds-xlsx').href = withQuery('/api/v1/funds/export.xlsx', f);
    const table = document.getElementById('fund-rollup');
    const heads = { township: '乡镇', source: '资金来源', category: '项目类别', year: '年度', village: '村' };
    table.tHead.replaceChildren(el('tr', {}, [heads[by], '项目数', '计划', '下达', '到位', '拨付', '拨付进度']
      .map((h, i) => el('th', { class: i ? 'num' : '' }, h))));
    const body = table.tBodies[0];
    const seq = (this.fundSeq = (this.fundSeq || 0) + 1);
    if (!body.querySelector('tr[data-key]')) body.replaceChildren(el('tr', {}, el('td', { colspan: 7 }, loadingText())));
    busy(table, true);
    let res;
    try {
      res = await get('/api/v1/funds/rollup', { ...f, by });
    } catch (err) {
      if (seq === this.fundSeq) body.replaceChildren(el('tr', {}, el('td', { colspan: 7 }, failure(err, () => this.funds()))));
      return;
    } finally {
      if (seq === this.fundSeq) busy(table, false);
    }
    if (seq !== this.fundSeq) return; // a later choice of filters answered first
    body.replaceChildren(...res.groups.map((g) => el('tr', {
      dataset: { key: g.key, pct: g.paid_pct ?? '' },
      // A village's row opens its panel; other groups have nowhere to go.
      ...(by === 'village' ? { title: '查看该村详情', ...activate(() => this.onVillage(g.key)) } : {}),
    },
    el('td', {}, by === 'year' ? `${g.name || g.key} 年` : g.name || g.key),
    el('td', { class: 'num' }, num(g.projects, 0)),
    ...['planned_wan', 'allocated_wan', 'arrived_wan', 'paid_wan'].map((k) => el('td', { class: 'num' }, num(g[k], 2))),
    el('td', { class: 'num' }, pctText(g.paid_pct)))));
    if (!res.groups.length) body.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, '没有符合条件的资金台账记录。')));
  }

  /** showProject opens a project's panel, draws the project on the map and zooms to it. */
  async showProject(id) {
    try {
      this.selected = id;
      for (const tr of this.root.querySelectorAll('#project-table tbody tr')) tr.classList.toggle('selected', Number(tr.dataset.id) === id);
      const res = await this.app.projectPanel.open(id);
      const { map } = this.app;
      if (!map || !res) return;
      if (!res.geometry) {
        map.getSource('project').setData(empty());
        this.app.notice?.(`项目“${res.project.name}”没有位置信息。`);
        return;
      }
      map.getSource('project').setData({ type: 'Feature', geometry: res.geometry, properties: { name: res.project.name } });
      const b = bbox([res.geometry]);
      map.fitBounds(b, { padding: this.app.sheet.fitPadding(80), maxZoom: 15, duration: 700 });
    } catch (err) {
      console.error(err);
      document.getElementById('projects-summary').textContent = err.message;
    }
  }

  async targets() {
    const box = document.getElementById('targets');
    return loadInto(box, () => get('/api/v1/projects/targets'), (res) => {
      box.replaceChildren(
        el('p', { class: 'muted' }, '县级目标（十三五规划）与项目库中已计划、实施中、已完工的数量。'),
        ...res.targets.map((t) => {
          const pct = (v) => (t.target ? Math.min(100, (100 * v) / t.target) : 0);
          const done = pct(t.done);
          const building = pct(t.building);
          const planned = pct(t.planned);
          return el('div', { class: 'target', dataset: { key: t.key } },
            el('div', {}, el('b', {}, t.name), el('div', { class: 'muted' }, `目标 ${num(t.target, 2)} ${t.unit}`)),
            el('div', { class: 'bar', title: '深色 = 已完工，橙色 = 实施中，浅色 = 已计划' },
              el('span', { style: `left:0;width:${done}%;background:#2e7d32` }),
              el('span', { style: `left:${done}%;width:${Math.min(building, 100 - done)}%;background:#fb8c00` }),
              el('span', { style: `left:${done + building}%;width:${Math.max(0, Math.min(planned, 100 - done - building))}%;background:#90caf9` })),
            el('div', {}, `已完工 ${num(t.done, 2)} · 实施中 ${num(t.building, 2)} · 已计划 ${num(t.planned, 2)} ${t.unit}（完成 ${num(done, 1)}%）`));
        }));
    });
  }
}
