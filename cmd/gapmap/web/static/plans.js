// The 项目库 drawer's 年度计划测算 tab: the budget plan run as a job, the
// planner's 纳入/排除 by hand and 重新测算, plans saved as named 方案, two
// 方案 compared, one applied (its projects move to 纳入年度计划 on the
// server, through the lifecycle rules), and the 年度实施计划 XLSX of a 方案
// or of the applied plan.
import { get, post, del, withQuery, runJob, cancelJob, jobText } from './api.js';
import { el, num, wan } from './format.js';
import { formatTime } from './roles.js';

/** PLAN_YEARS are the years the tab plans: 十三五, the demo plan's period. */
export const PLAN_YEARS = [2016, 2017, 2018, 2019, 2020];

/** DIFF_KINDS name how two 方案 treat a project differently. */
const DIFF_KINDS = { only_a: '仅方案 A', only_b: '仅方案 B', year: '年度不同' };

/** yearText is a plan year as a cell says it, 未安排 for 0. */
export const yearText = (y) => (y ? `${y} 年` : '未安排');

/**
 * planRequest is the body of POST /api/v1/plans for the budgets, the
 * library-only choice and the planner's 纳入/排除 (sets of project ids).
 */
export function planRequest(budgets, libraryOnly, include, exclude) {
  const req = { years: PLAN_YEARS, budgets };
  if (libraryOnly) req.library_only = true;
  if (include.size) req.include = [...include].sort((a, b) => a - b);
  if (exclude.size) req.exclude = [...exclude].sort((a, b) => a - b);
  return req;
}

export class PlanTab {
  constructor(drawer) {
    this.drawer = drawer;
    this.include = new Set();
    this.exclude = new Set();
    this.plan = null; // the last plan shown
    this.request = null; // the request it was made from
    this.scenarios = [];
  }

  init() {
    const budgets = document.getElementById('plan-budgets');
    // A budget is any sum in 万元 to the cent, as the ledger's amounts are: a
    // step of 100 made the browser refuse 144 万元 and silently not plan.
    for (const y of PLAN_YEARS) {
      budgets.append(el('label', { style: 'margin-right:8px' }, `${y} `, el('input', { type: 'number', min: 0, step: '0.01', value: 2000, name: String(y), 'aria-label': `${y} 年预算（万元）` })));
    }
    document.getElementById('plan-form').addEventListener('submit', (e) => { e.preventDefault(); this.run(); });
    const year = document.getElementById('annual-year');
    for (const y of PLAN_YEARS) year.append(el('option', { value: String(y) }, `${y} 年`));
    year.addEventListener('change', () => this.annualLinks());
    document.getElementById('compare-run').addEventListener('click', () => this.compare());
    this.annualLinks();
  }

  /** shown follows the tab being opened: the saved 方案 are listed. */
  shown() {
    this.list();
  }

  /** request is the plan request of the form and the 纳入/排除 so far. */
  formRequest() {
    const budgets = {};
    for (const i of document.querySelectorAll('#plan-budgets input')) budgets[i.name] = Number(i.value) || 0;
    return planRequest(budgets, document.getElementById('plan-library-only').checked, this.include, this.exclude);
  }

  /** run makes the plan as a job and shows it: its progress shows, and 取消 stops it. */
  async run() {
    const out = document.getElementById('plan-result');
    const req = this.formRequest();
    const status = el('span', { id: 'plan-job' }, '正在提交…');
    const stop = el('button', { type: 'button', id: 'plan-cancel', disabled: true }, '取消');
    out.replaceChildren(el('p', { class: 'muted' }, status, ' ', stop));
    try {
      const plan = await runJob('/api/v1/plans', req, (job) => {
        status.textContent = jobText(job);
        stop.disabled = job.state !== 'queued' && job.state !== 'running';
        stop.onclick = () => {
          stop.disabled = true;
          cancelJob(job.id).catch((err) => { status.textContent = err.message; });
        };
      });
      this.plan = plan;
      this.request = req;
      this.render();
    } catch (err) {
      console.error(err);
      out.replaceChildren(el('p', { class: 'st fail', id: 'plan-error' }, err.message), this.manualBar());
    }
  }

  /** toggle puts project id into set (纳入 or 排除), or takes it out, and redraws the buttons. */
  toggle(set, id) {
    const other = set === this.include ? this.exclude : this.include;
    other.delete(id);
    if (set.has(id)) set.delete(id); else set.add(id);
    this.render();
  }

  /** manualBar says what the planner changed by hand, with 重新测算 and 清除调整. */
  manualBar() {
    const n = this.include.size + this.exclude.size;
    return el('p', { id: 'plan-manual' },
      n ? `人工调整：纳入 ${this.include.size} 个，排除 ${this.exclude.size} 个（重新测算后生效）。` : '可在下方逐个项目“纳入”或“排除”，再重新测算。',
      ' ',
      el('button', { type: 'button', id: 'plan-rerun', class: 'primary', disabled: !n, onclick: () => this.run() }, '重新测算'),
      ' ',
      el('button', { type: 'button', id: 'plan-clear', disabled: !n, onclick: () => { this.include.clear(); this.exclude.clear(); this.render(); } }, '清除调整'));
  }

  /** action is a row's 纳入/排除 button, or 撤销 when the planner already chose. */
  action(id, chosen) {
    if (this.include.has(id) || this.exclude.has(id)) {
      const set = this.include.has(id) ? this.include : this.exclude;
      return el('button', { type: 'button', class: 'plan-undo', dataset: { id }, onclick: () => this.toggle(set, id) },
        `撤销${set === this.include ? '纳入' : '排除'}`);
    }
    return chosen
      ? el('button', { type: 'button', class: 'plan-exclude', dataset: { id }, onclick: () => this.toggle(this.exclude, id) }, '排除')
      : el('button', { type: 'button', class: 'plan-include', dataset: { id }, onclick: () => this.toggle(this.include, id) }, '纳入');
  }

  render() {
    const { plan } = this;
    const out = document.getElementById('plan-result');
    if (!plan) {
      out.replaceChildren(this.manualBar());
      return;
    }
    const byYear = new Map();
    for (const p of plan.projects || []) {
      if (!byYear.has(p.year)) byYear.set(p.year, []);
      byYear.get(p.year).push(p);
    }
    const quality = plan.optimal ? `已证明最优（用时 ${plan.elapsed}）` : `与最优之差不超过 ${num(plan.gap * 100, 2)}%（用时 ${plan.elapsed}）`;
    out.replaceChildren(
      el('p', {}, `从 ${plan.candidates} 个项目中选定 ${plan.chosen} 个，合计 ${wan(plan.cost_wan)}；${quality}。`),
      el('table', { class: 'grid', id: 'plan-years', style: 'width:auto' },
        el('thead', {}, el('tr', {}, ['年度', '预算（万元）', '安排（万元）', '结余（万元）', '项目数', '预算使用'].map((h) => el('th', {}, h)))),
        el('tbody', {}, plan.years.map((y) => el('tr', { dataset: { year: y.year } },
          el('td', {}, `${y.year} 年`), el('td', { class: 'num' }, num(y.budget_wan, 2)), el('td', { class: 'num' }, num(y.spent_wan, 2)),
          el('td', { class: 'num' }, num(y.budget_wan - y.spent_wan, 2)), el('td', { class: 'num' }, y.items),
          el('td', {}, el('div', { class: 'bar' }, el('span', { style: `left:0;width:${y.budget_wan ? Math.min(100, (100 * y.spent_wan) / y.budget_wan) : 0}%;background:#1e88e5` }))))))),
      this.manualBar(),
      ...plan.years.map((y) => el('details', { class: 'plan-year', dataset: { year: y.year } },
        el('summary', {}, `${y.year} 年安排的 ${(byYear.get(y.year) || []).length} 个项目`),
        el('ul', {}, (byYear.get(y.year) || []).map((p) => el('li', { dataset: { id: p.id } },
          `${p.name}（${p.township}，${wan(p.cost_wan)}${p.included ? '，人工纳入' : ''}）`, ' ',
          // A project in the annual plan keeps its year: not the plan's to exclude.
          p.fixed ? el('span', { class: 'muted' }, '已纳入年度计划') : this.action(p.id, true)))))),
      // Every project left out, with the plan's reason (超出预算 with the money left, 等待前置项目, 人工排除, …).
      el('details', { id: 'plan-left-out' },
        el('summary', {}, `未入选的 ${(plan.left_out || []).length} 个项目及原因（未用资金 ${wan(plan.unspent_wan)}）`),
        el('ul', {}, (plan.left_out || []).map((p) => el('li', { dataset: { id: p.id, reason: p.reason_code } },
          `${p.name}（${wan(p.cost_wan)}）：${p.reason}`, ' ', this.action(p.id, false))))),
      el('form', { id: 'scenario-save', class: 'filters', onsubmit: (e) => { e.preventDefault(); this.save(); } },
        el('label', {}, '方案名称 ', el('input', { id: 'scenario-name', required: true, maxlength: 60, placeholder: '如：每年 2000 万元' })),
        el('button', { type: 'submit', class: 'primary' }, '保存为方案'),
        el('span', { id: 'scenario-save-status', class: 'muted', role: 'status' })),
    );
  }

  /** save stores the plan shown (its request: the server plans it again) under the name given. */
  async save() {
    const status = document.getElementById('scenario-save-status');
    const name = document.getElementById('scenario-name').value;
    status.textContent = '正在保存…';
    status.className = 'muted'; // not the last attempt's failure
    try {
      const sc = await runJob('/api/v1/plan-scenarios', { name, request: this.request }, (job) => { status.textContent = jobText(job); });
      status.textContent = `已保存方案“${sc.name}”。`;
      await this.list({ saved: true });
    } catch (err) {
      console.error(err);
      status.textContent = err.message;
      status.className = 'st fail';
    }
  }

  /**
   * list shows the saved 方案 with 应用, 删除 and the 年度实施计划, and fills
   * the compare choices; saved says a 方案 was just saved.
   */
  async list({ saved = false } = {}) {
    const body = document.querySelector('#scenario-table tbody');
    try {
      ({ scenarios: this.scenarios } = await get('/api/v1/plan-scenarios'));
    } catch (err) {
      console.error(err);
      body.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'st fail' }, err.message)));
      return;
    }
    body.replaceChildren(...this.scenarios.map((s) => el('tr', { dataset: { id: s.id } },
      el('td', { class: 'scenario-name' }, s.name),
      el('td', { class: 'num' }, num(s.chosen, 0)),
      el('td', { class: 'num' }, num(s.cost_wan, 2)),
      el('td', {}, `${s.created_by} · ${formatTime(s.created_at)}`),
      el('td', { class: 'scenario-applied' }, s.applied_at ? `已应用（${s.applied_by} · ${formatTime(s.applied_at)}）` : '未应用'),
      el('td', {}, el('a', { class: 'scenario-annual', href: '#', download: '' }, '年度实施计划')),
      el('td', {},
        el('button', { type: 'button', class: 'scenario-apply primary', onclick: () => this.apply(s) }, '应用'), ' ',
        el('button', { type: 'button', class: 'scenario-delete', onclick: () => this.remove(s) }, '删除')))));
    if (!this.scenarios.length) body.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, '还没有保存的方案。')));
    for (const id of ['compare-a', 'compare-b']) {
      const sel = document.getElementById(id);
      const was = sel.value;
      sel.replaceChildren(...this.scenarios.map((s) => el('option', { value: String(s.id) }, s.name)));
      if (this.scenarios.some((s) => String(s.id) === was)) sel.value = was;
    }
    // By default A is the older, B the newer of the last two; so too once a
    // 方案 is saved, which the planner will want to weigh against the last.
    if (this.scenarios.length >= 2 && (saved || document.getElementById('compare-a').value === document.getElementById('compare-b').value)) {
      document.getElementById('compare-a').value = String(this.scenarios[1].id);
      document.getElementById('compare-b').value = String(this.scenarios[0].id);
    }
    this.annualLinks();
  }

  /** annualLinks points each 年度实施计划 link at the year chosen. */
  annualLinks() {
    const year = document.getElementById('annual-year').value;
    document.getElementById('annual-applied').href = withQuery('/api/v1/plans/annual.xlsx', { year });
    for (const tr of document.querySelectorAll('#scenario-table tbody tr[data-id]')) {
      tr.querySelector('.scenario-annual').href = withQuery(`/api/v1/plan-scenarios/${tr.dataset.id}/export.xlsx`, { year });
    }
  }

  /** apply writes a 方案 into the 项目库 after the user confirms; refusals are the server's Chinese reason. */
  async apply(s) {
    const status = document.getElementById('scenario-status');
    if (!window.confirm(`应用方案“${s.name}”：其 ${s.chosen} 个项目按方案安排年度，已入库的转为“纳入年度计划”。确定吗？`)) return;
    status.className = 'muted';
    status.textContent = `正在应用方案“${s.name}”…`;
    try {
      const res = await post(`/api/v1/plan-scenarios/${s.id}/apply`, {});
      // Said once the list and the 项目库 show it: before, they still said 未应用.
      await Promise.all([this.list(), this.drawer.refresh()]);
      status.className = 'st pass';
      status.textContent = `已应用方案“${res.name}”：${res.plan.projects.filter((p) => !p.fixed).length} 个项目纳入年度计划。`;
    } catch (err) {
      console.error(err);
      status.className = 'st fail';
      status.textContent = err.message;
    }
  }

  async remove(s) {
    const status = document.getElementById('scenario-status');
    if (!window.confirm(`删除方案“${s.name}”？`)) return;
    try {
      await del(`/api/v1/plan-scenarios/${s.id}`);
      status.className = 'muted';
      status.textContent = `已删除方案“${s.name}”。`;
      await this.list();
    } catch (err) {
      console.error(err);
      status.className = 'st fail';
      status.textContent = err.message;
    }
  }

  /** compare sets the two chosen 方案 side by side: money per year, projects, gaps closed, and the projects that differ. */
  async compare() {
    const out = document.getElementById('compare-result');
    const a = document.getElementById('compare-a').value;
    const b = document.getElementById('compare-b').value;
    let d;
    try {
      d = await get('/api/v1/plan-scenarios/compare', { a, b });
    } catch (err) {
      console.error(err);
      out.replaceChildren(el('p', { class: 'st fail' }, err.message));
      return;
    }
    const years = [...new Set([...d.a.years, ...d.b.years].map((y) => y.year))].sort();
    const of = (side, y) => side.years.find((x) => x.year === y) || { spent_wan: 0, items: 0 };
    const row = (label, av, bv, key) => el('tr', { dataset: { key } }, el('td', {}, label), el('td', { class: 'num' }, av), el('td', { class: 'num' }, bv));
    out.replaceChildren(
      el('table', { class: 'grid', id: 'compare-table', style: 'width:auto' },
        el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, `方案 A：${d.a.name}`), el('th', {}, `方案 B：${d.b.name}`))),
        el('tbody', {},
          ...years.map((y) => row(`${y} 年安排（万元）/ 项目数`, `${num(of(d.a, y).spent_wan, 2)} / ${of(d.a, y).items}`, `${num(of(d.b, y).spent_wan, 2)} / ${of(d.b, y).items}`, `year-${y}`)),
          row('选定项目', num(d.a.chosen, 0), num(d.b.chosen, 0), 'chosen'),
          row('投资合计（万元）', num(d.a.cost_wan, 2), num(d.b.cost_wan, 2), 'cost'),
          row('缩小缺口的项目', num(d.a.gap_projects, 0), num(d.b.gap_projects, 0), 'gap-projects'),
          row('缺口下降×建档立卡人数', num(d.a.gap_value, 2), num(d.b.gap_value, 2), 'gap-value'),
          row('未用资金（万元）', num(d.a.unspent_wan, 2), num(d.b.unspent_wan, 2), 'unspent'))),
      el('p', { id: 'compare-summary' }, d.differs.length ? `两个方案有 ${d.differs.length} 个项目安排不同：` : '两个方案安排的项目和年度相同。'),
      d.differs.length ? el('table', { class: 'grid', id: 'compare-differs', style: 'width:auto' },
        el('thead', {}, el('tr', {}, ['编号', '项目名称', '乡镇', '投资（万元）', '差异', '方案 A', '方案 B'].map((h) => el('th', {}, h)))),
        el('tbody', {}, d.differs.map((x) => el('tr', { dataset: { id: x.id, kind: x.kind } },
          el('td', {}, x.code), el('td', {}, x.name), el('td', {}, x.township), el('td', { class: 'num' }, num(x.cost_wan, 2)),
          el('td', {}, DIFF_KINDS[x.kind]), el('td', { title: x.reason_a || '' }, yearText(x.year_a)), el('td', { title: x.reason_b || '' }, yearText(x.year_b)))))) : '',
    );
  }
}
