// The project panel: one project of the 项目库 with what the logged-in user
// may do to it now, as the server says (GET /api/v1/projects/{id}: moves
// and can_edit): the lifecycle buttons with a reason field (required for a
// return and for 出库), editing and deleting, and the project's 操作记录
// (its audit trail, newest first).
import { get, post, put, del } from './api.js';
import { el, num, wan, score, gapAfter, quantity } from './format.js';
import { PROJECT_STATUS_COLOURS, statusStyle } from './map.js';
import { ProjectFunds } from './funds.js';
import { loadingText, failure, busy } from './loading.js';
import { moveLabel, reasonRequired, checkMove, historyDetail, actionTitle, viaTitle, formatTime, WITHDRAWN } from './roles.js';

// The lifecycle in order, 已出库 aside: the panel shows where the project stands.
const LIFECYCLE = PROJECT_STATUS_COLOURS.map(([s]) => s).filter((s) => s !== WITHDRAWN);

// EDITABLE are the fields the edit form offers: label, field, input type.
const EDITABLE = [
  ['项目名称', 'name', 'text'],
  ['建设内容及规模', 'content', 'textarea'],
  ['规模', 'quantity', 'number'],
  ['投资（万元）', 'cost_wan', 'number'],
  ['年度', 'year', 'number'],
  ['责任单位', 'responsible_unit', 'text'],
];

const $ = (id) => document.getElementById(id);

export class ProjectPanel {
  /**
   * app is the page's state; onVillage(code) opens a village; onChanged(id)
   * runs after a move, an edit or a deletion, for the table, the village
   * panel and the map to follow; onFunds(id) after a 资金台账 entry.
   */
  constructor(app, { onVillage, onChanged, onFunds, notice }) {
    this.app = app;
    this.onVillage = onVillage;
    this.onChanged = onChanged;
    this.notice = notice;
    this.funds = new ProjectFunds({ onRecorded: (id) => onFunds(id), notice });
    this.root = $('project-panel');
    this.id = null;
  }

  /**
   * open loads and shows project id in place of the village panel (which
   * 返回 brings back) and returns the API's answer, or null if another
   * project was opened meanwhile.
   */
  async open(id) {
    const villagePanel = $('panel');
    if (this.root.hidden) this.returnTo = villagePanel.hidden ? null : this.app.panel.code;
    villagePanel.hidden = true;
    this.id = id;
    this.root.hidden = false;
    this.root.replaceChildren(this.head(null), loadingText());
    busy(this.root, true);
    let res;
    try {
      res = await get(`/api/v1/projects/${id}`);
    } catch (err) {
      // 重试 opens it as a click on the project does: the card, then the map.
      if (this.id === id) this.root.replaceChildren(this.head(null), failure(err, () => this.app.drawer.showProject(id)));
      return null;
    } finally {
      if (this.id === id) busy(this.root, false);
    }
    if (this.id !== id) return null;
    this.res = res;
    this.render(res);
    this.history(id);
    this.funds.load(id);
    return res;
  }

  /** close hides the panel and brings back the village panel it covered. */
  close(restore = true) {
    if (this.root.hidden) return;
    this.id = null;
    this.root.hidden = true;
    if (restore && this.returnTo && this.app.panel.code === this.returnTo) $('panel').hidden = false;
    this.returnTo = null;
  }

  head(p) {
    const back = this.returnTo && this.app.byCode.get(this.returnTo);
    return el('div', { class: 'panel-head' },
      el('div', { style: 'flex:1' },
        back ? el('button', { type: 'button', class: 'link', id: 'project-back', onclick: () => this.close() }, `← 返回${back.properties.name}`) : null,
        el('h2', { id: 'project-name' }, p ? p.name : '项目'),
        p ? el('div', { class: 'sub' }, p.code, ' · ', p.township_name, p.village_code ? ' · ' : '',
          p.village_code ? el('a', { href: '#', title: '查看该村详情', onclick: (e) => { e.preventDefault(); this.onVillage(p.village_code); } }, p.village_name) : null) : null),
      el('button', { type: 'button', class: 'icon', title: '关闭', 'aria-label': '关闭项目详情', onclick: () => this.close() }, '×'));
  }

  render(res) {
    const p = res.project;
    const moves = res.moves || [];
    const fact = (k, v) => [el('dt', {}, k), el('dd', {}, v)];
    const at = LIFECYCLE.indexOf(p.status);
    // replaceChildren writes a null as the text "null": the optional parts are filtered out.
    this.root.replaceChildren(...[
      this.head(p),
      el('div', { class: 'status-line' },
        el('span', { id: 'project-status', class: 'status-chip', dataset: { status: p.status }, style: statusStyle(p.status) }, p.status),
        at >= 0 ? el('span', { class: 'muted' }, `流程第 ${at + 1} / ${LIFECYCLE.length} 步`) : null),
      el('ol', { class: 'lifecycle', 'aria-label': '项目流程' }, LIFECYCLE.map((s, i) => el('li', {
        class: i < at ? 'done' : i === at ? 'current' : '', title: s,
      }, s))),
      // What the user may do comes first: the panel shares its height with the 项目库 drawer.
      this.movesBox(p, moves),
      res.can_edit ? this.editBox(res) : null,
      el('dl', { class: 'facts', id: 'project-facts' },
        fact('类别', p.category),
        fact('规模', quantity(p.quantity, p.unit)),
        fact('投资', wan(p.cost_wan)),
        fact('受益贫困人口', `${num(p.poor_population, 0)} 人`),
        p.gap_dimension ? fact('缺口', gapChange(p)) : null,
        fact('年度', p.year || '未安排'),
        fact('建设内容', p.content || '—'),
        fact('责任单位', p.responsible_unit || '—')),
      targetsBox(p.targets),
      this.funds.box,
      el('h3', {}, '操作记录'),
      el('ol', { id: 'project-history', class: 'history' }, el('li', {}, loadingText())),
    ].filter(Boolean));
  }

  /** movesBox offers the moves the server lists for this user, with one reason field for them. */
  movesBox(p, moves) {
    const box = el('section', { id: 'project-moves', 'aria-label': '流程办理' }, el('h3', {}, '流程办理'));
    if (!moves.length) {
      box.append(el('p', { class: 'muted', id: 'project-no-moves' }, this.app.session
        ? `当前账号不能办理“${p.status}”环节的项目。`
        : '登录后可办理本单位有权限的流程操作。'));
      return box;
    }
    const needs = moves.some(reasonRequired);
    const reason = el('textarea', {
      id: 'project-reason', rows: 2, maxlength: 500,
      placeholder: needs ? '理由（退回、出库必填）' : '理由或意见（选填）', 'aria-label': '理由',
    });
    const error = el('p', { id: 'project-move-error', class: 'st fail', role: 'alert' });
    const buttons = el('div', { class: 'moves' }, moves.map((m) => el('button', {
      type: 'button', class: m.back || m.to === WITHDRAWN ? 'back' : 'primary', dataset: { to: m.to, back: String(Boolean(m.back)) },
      title: reasonRequired(m) ? '须填写理由' : null, onclick: () => this.move(p, m, reason, error, buttons),
    }, moveLabel(m))));
    box.append(reason, buttons, error);
    return box;
  }

  async move(p, m, reason, error, buttons) {
    const why = checkMove(m, reason.value);
    error.textContent = why;
    if (why) {
      reason.focus();
      return;
    }
    for (const b of buttons.children) b.disabled = true;
    try {
      await post(`/api/v1/projects/${p.id}/transitions`, { to: m.to, reason: reason.value.trim() });
      this.notice(`项目“${p.name}”已${m.to === WITHDRAWN ? '出库' : `${m.back ? '退回' : '转为'}“${m.to}”`}。`);
      await this.open(p.id);
      this.onChanged(p.id);
    } catch (err) {
      console.warn(err);
      error.textContent = err.message; // a 403 names the missing role; a 409 what the project lacks
      for (const b of buttons.children) b.disabled = false;
    }
  }

  /** editBox is 编辑 and 删除, for a user the server lets edit the project. */
  editBox(res) {
    const p = res.project;
    const error = el('p', { id: 'project-edit-error', class: 'st fail', role: 'alert' });
    const actions = el('div', { class: 'moves' });
    const idle = () => actions.replaceChildren(
      el('button', { type: 'button', id: 'project-edit', onclick: () => this.editForm(res, box, error) }, '编辑'),
      el('button', { type: 'button', id: 'project-delete', class: 'back', onclick: () => confirm() }, '删除'));
    const confirm = () => actions.replaceChildren(
      el('span', {}, '删除后不能恢复（操作记录保留）。'),
      el('button', { type: 'button', id: 'project-delete-confirm', class: 'back', onclick: () => this.remove(p, error) }, '确认删除'),
      el('button', { type: 'button', onclick: idle }, '取消'));
    idle();
    const box = el('section', { id: 'project-edit-box', 'aria-label': '编辑项目' }, el('h3', {}, '编辑'), actions, error);
    return box;
  }

  editForm(res, box, error) {
    const p = res.project;
    const inputs = EDITABLE.map(([label, key, type]) => {
      const v = p[key] ?? '';
      const input = type === 'textarea'
        ? el('textarea', { name: key, rows: 3 }, String(v))
        : el('input', { name: key, type, value: String(v), step: type === 'number' ? 'any' : null });
      return el('label', { class: 'field' }, label, input);
    });
    const form = el('form', { id: 'project-edit-form', class: 'edit-form' }, inputs,
      el('div', { class: 'moves' },
        el('button', { type: 'submit', class: 'primary' }, '保存'),
        el('button', { type: 'button', onclick: () => this.render(this.res) }, '取消')),
      error);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.save(res, form, error); });
    box.replaceChildren(el('h3', {}, '编辑'), form);
    form.querySelector('input').focus();
  }

  async save(res, form, error) {
    const p = res.project;
    const changed = {};
    for (const [, key, type] of EDITABLE) {
      const raw = form.elements[key].value.trim();
      if (type !== 'number') changed[key] = raw;
      else if (raw === '') changed[key] = 0;
      else if (Number.isFinite(Number(raw))) changed[key] = Number(raw);
      else {
        error.textContent = `${EDITABLE.find((f) => f[1] === key)[0]}应为数字`;
        return;
      }
    }
    if (!changed.name) {
      error.textContent = '请填写项目名称';
      return;
    }
    const body = { ...p, ...changed };
    if (res.geometry) body.geometry = res.geometry;
    try {
      await put(`/api/v1/projects/${p.id}`, body);
      this.notice(`已保存项目“${changed.name}”。`);
      await this.open(p.id);
      this.onChanged(p.id);
    } catch (err) {
      console.warn(err);
      error.textContent = err.message;
    }
  }

  async remove(p, error) {
    try {
      await del(`/api/v1/projects/${p.id}`);
      this.notice(`已删除项目“${p.name}”。`);
      this.close();
      this.onChanged(null);
    } catch (err) {
      console.warn(err);
      error.textContent = err.message;
    }
  }

  /** history lists the project's 操作记录; a refusal (403) is said in place. */
  async history(id) {
    const list = () => (this.id === id ? $('project-history') : null);
    try {
      const res = await get(`/api/v1/projects/${id}/history`);
      list()?.replaceChildren(...historyItems(res.entries));
    } catch (err) {
      list()?.replaceChildren(el('li', {}, failure(err, () => this.history(id))));
    }
  }
}

/**
 * gapChange is a project's gap before → after, and says so when the
 * project, by its own estimate, closes none of it.
 */
export function gapChange(p) {
  const same = p.gap_before != null && p.gap_after_est != null && Math.abs(p.gap_before - p.gap_after_est) < 0.005;
  return `${p.gap_dimension}缺口 ${score(p.gap_before)} → ${gapAfter(p)}${same ? '（不改变缺口）' : ''}`;
}

/** targetsBox is the project's 绩效目标 as the 绩效目标申报表 lists them: 一级, 二级, 三级 and the value. */
function targetsBox(targets) {
  const rows = targets || [];
  return el('section', { id: 'project-targets', 'aria-label': '绩效目标' }, el('h3', {}, '绩效目标'),
    rows.length
      ? el('table', { class: 'ind' },
        el('thead', {}, el('tr', {}, ['一级指标', '二级指标', '三级指标', '指标值'].map((h) => el('th', {}, h)))),
        el('tbody', {}, rows.map((t) => el('tr', {}, [t.level1, t.level2, t.level3, t.value].map((v) => el('td', {}, v || '—'))))))
      : el('p', { class: 'muted' }, '尚未填报绩效目标（入库前须填报）。'));
}

/** historyItems are the list items of audit entries (newest first, as the API gives them). */
export function historyItems(entries) {
  if (!entries || !entries.length) return [el('li', { class: 'muted' }, '暂无操作记录。')];
  return entries.map((e) => el('li', { dataset: { n: e.n, action: e.action } },
    el('div', { class: 'meta' }, el('span', {}, formatTime(e.at)), el('b', { class: 'actor' }, e.actor),
      e.via ? el('span', { class: 'muted' }, viaTitle(e.via)) : null),
    el('div', {}, actionTitle(e.action), e.detail ? el('span', { class: 'muted' }, ' ', historyDetail(e.detail)) : null)));
}
