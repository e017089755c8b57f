// The 资金台账 on the page (issue 20): a project's ledger by source with its
// entries, the form to record an entry of the kinds the server lets this
// user record (GET /api/v1/projects/{id}/funds: can_record), and reversals
// (红字冲销) with a reason. Every figure and every check is the server's:
// the page shows totals and 拨付进度 as the API computes them and the
// server's Chinese refusal as it is.
//
// The pure helpers (the words and which entries may be reversed) are
// tested in test/funds.test.mjs; the DOM builders use format.js's el.
import { get, post } from './api.js';
import { el, num } from './format.js';
import { loadingText, failure } from './loading.js';

/** LEDGER_KINDS are the entry kinds in the order the money moves. */
export const LEDGER_KINDS = ['计划', '下达', '到位', '拨付'];

/** pctText is 拨付进度 as the page writes it: "62.5%", or 未下达 when nothing is allocated (the API's null). */
export const pctText = (pct) => (pct === null || pct === undefined ? '未下达' : `${num(pct, 1)}%`);

/** wanText is an amount of the ledger in 万元, always with two decimals, as vouchers write it. */
export function wanText(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return `${new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v)} 万元`;
}

/**
 * planDiffText says how a project's 计划合计 stands against its 投资估算
 * (the API's plan_diff_wan = 计划 − 投资估算), or '' when they agree to the
 * cent: a difference is shown, never hidden and never refused.
 */
export function planDiffText(ledger) {
  const d = ledger.plan_diff_wan || 0;
  if (Math.round(d * 100) === 0) return '';
  return `计划合计比投资估算${d > 0 ? '多' : '少'} ${wanText(Math.abs(d))}（计划 ${wanText(ledger.total.planned_wan)}，投资估算 ${wanText(ledger.cost_wan)}）`;
}

/** docLabel names the document field of an entry kind: 下达 needs its 文号, 拨付 its 凭证号. */
export function docLabel(kind) {
  if (kind === '下达') return '文号（必填）';
  if (kind === '拨付') return '凭证号（必填）';
  return '文号/凭证号（选填）';
}

/**
 * reversible returns the ids of the entries this user may reverse: an
 * original entry (not itself a reversal), not reversed yet, of a kind the
 * server says the user may record (who may record a kind may undo it).
 */
export function reversible(entries, canRecord) {
  const reversed = new Set(entries.filter((e) => e.reverses).map((e) => e.reverses));
  return new Set(entries.filter((e) => !e.reverses && !reversed.has(e.id) && canRecord.includes(e.kind)).map((e) => e.id));
}

/** entryKind is the kind column of an entry: a reversal says which entry it undoes. */
export const entryKind = (e) => (e.reverses ? `${e.kind}冲销（冲 #${e.reverses}）` : e.kind);

/** today is the date in China (UTC+8) as YYYY-MM-DD, the form's default. */
export function today(now = new Date()) {
  return new Date(now.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

let sourcesOnce;
/** fundSources loads the county's source list once per page. */
export function fundSources() {
  sourcesOnce ??= get('/api/v1/funds/sources').then((r) => r.sources).catch((err) => { sourcesOnce = null; throw err; });
  return sourcesOnce;
}

/**
 * ProjectFunds is the 资金 section of the project panel. onRecorded(ledger)
 * runs after an entry or a reversal was written, for the village panel to
 * follow; notice shows a line at the bottom of the page.
 */
export class ProjectFunds {
  constructor({ onRecorded, notice }) {
    this.onRecorded = onRecorded;
    this.notice = notice;
    this.box = el('section', { id: 'project-funds', 'aria-label': '资金台账' }, el('h3', {}, '资金'), el('p', {}, loadingText()));
  }

  /** load fetches project id's ledger and redraws the section; a refusal (403) is said in place. */
  async load(id) {
    if (this.id !== id) this.box.replaceChildren(el('h3', {}, '资金'), el('p', {}, loadingText()));
    this.id = id;
    let res;
    let sources;
    try {
      [res, sources] = await Promise.all([get(`/api/v1/projects/${id}/funds`), fundSources()]);
    } catch (err) {
      if (this.id === id) this.box.replaceChildren(el('h3', {}, '资金'), el('p', { id: 'project-funds-error' }, failure(err, () => this.load(id))));
      return;
    }
    if (this.id !== id) return;
    this.render(res.ledger, res.can_record || [], sources);
  }

  render(ledger, canRecord, sources) {
    // data-loads counts the renderings, for a test to wait for a reload.
    this.box.dataset.loads = String(Number(this.box.dataset.loads || 0) + 1);
    const row = (t, attrs) => el('tr', attrs,
      el('td', {}, t.name), ...['planned_wan', 'allocated_wan', 'arrived_wan', 'paid_wan'].map((k) => el('td', { class: 'num' }, num(t[k], 2))),
      el('td', { class: 'num pct' }, pctText(t.paid_pct)));
    const diff = planDiffText(ledger);
    this.box.replaceChildren(...[
      el('h3', {}, '资金',
        el('span', { id: 'project-paid-pct', class: 'badge', dataset: { pct: ledger.total.paid_pct ?? '' }, title: '拨付进度 = 拨付合计 ÷ 下达合计' },
          `拨付进度 ${pctText(ledger.total.paid_pct)}`)),
      ledger.sources.length
        ? el('table', { class: 'ind funds', id: 'project-fund-sources' },
          el('thead', {}, el('tr', {}, ['资金来源', '计划', '下达', '到位', '拨付', '拨付进度'].map((h, i) => el('th', { class: i ? 'num' : '' }, h)))),
          el('tbody', {}, ledger.sources.map((s) => row(s, { dataset: { source: s.key } })),
            row({ ...ledger.total, name: '合计' }, { class: 'total', dataset: { total: 'true' } })))
        : el('p', { class: 'muted' }, '暂无资金台账记录。'),
      el('p', { class: 'muted' }, '金额单位：万元。'),
      diff ? el('p', { id: 'project-plan-diff', class: 'plan-diff' }, diff) : null,
      this.entries(ledger, canRecord),
      canRecord.length ? this.form(ledger, canRecord, sources) : null,
    ].filter(Boolean));
  }

  /** entries lists the ledger's entries, oldest first, each reversible one with 冲销. */
  entries(ledger, canRecord) {
    const undo = reversible(ledger.entries, canRecord);
    const list = el('ol', { id: 'project-fund-entries', class: 'fund-entries' });
    if (!ledger.entries.length) list.append(el('li', { class: 'muted' }, '暂无分录。'));
    for (const e of ledger.entries) {
      const li = el('li', { dataset: { entry: e.id, kind: e.kind, reverses: e.reverses || '' }, class: e.reverses ? 'reversal' : '' },
        el('div', { class: 'meta' }, el('span', {}, e.date), el('b', {}, entryKind(e)), el('span', { class: 'amount' }, wanText(e.amount_wan)),
          el('span', {}, e.source_name || e.source)),
        el('div', { class: 'meta' }, e.doc_no ? el('span', {}, e.doc_no) : null, el('span', { class: 'actor' }, e.actor || ''),
          e.note ? el('span', { class: 'muted' }, e.note) : null));
      if (undo.has(e.id)) li.append(this.reverseBox(e));
      list.append(li);
    }
    return el('div', {}, el('h4', {}, '分录'), list);
  }

  /** reverseBox is 冲销 for entry e: it asks for the reason first, which the server requires too. */
  reverseBox(e) {
    const box = el('div', { class: 'moves' });
    const idle = () => box.replaceChildren(el('button', { type: 'button', class: 'back', dataset: { reverse: e.id }, onclick: ask }, '冲销'));
    const ask = () => {
      const reason = el('input', { type: 'text', class: 'reverse-reason', maxlength: 500, placeholder: '冲销理由（必填）', 'aria-label': '冲销理由' });
      const error = el('p', { class: 'st fail reverse-error', role: 'alert' });
      box.replaceChildren(reason,
        el('button', { type: 'button', class: 'back', dataset: { confirmReverse: e.id }, onclick: () => this.send({ project_id: e.project_id, reverses: e.id, note: reason.value.trim() }, error, `已冲销分录 #${e.id}。`) }, '确认冲销'),
        el('button', { type: 'button', onclick: idle }, '取消'), error);
      reason.focus();
    };
    idle();
    return box;
  }

  /** form records an entry of the kinds in canRecord. */
  form(ledger, canRecord, sources) {
    const kind = el('select', { name: 'kind', 'aria-label': '类型' }, canRecord.map((k) => el('option', { value: k }, k)));
    const used = new Set(ledger.sources.map((s) => s.key));
    const source = el('select', { name: 'source', 'aria-label': '资金来源' }, sources.map((s) => el('option', { value: s.code }, s.name)));
    // The source the project already uses, for the next step of its money.
    const first = sources.find((s) => used.has(s.code));
    if (first) source.value = first.code;
    const doc = el('input', { name: 'doc_no', type: 'text', maxlength: 100 });
    const docText = el('span', {}, docLabel(kind.value));
    kind.addEventListener('change', () => { docText.textContent = docLabel(kind.value); });
    const field = (label, input) => el('label', { class: 'field' }, label, input);
    const error = el('p', { id: 'project-fund-error', class: 'st fail', role: 'alert' });
    const form = el('form', { id: 'project-fund-form', class: 'fund-form' },
      el('h4', {}, '记账'),
      el('div', { class: 'fund-grid' },
        field('类型', kind), field('资金来源', source),
        field('金额（万元）', el('input', { name: 'amount_wan', type: 'number', min: '0.01', step: '0.01' })),
        field('日期', el('input', { name: 'date', type: 'date', value: today() })),
        el('label', { class: 'field' }, docText, doc),
        field('备注', el('input', { name: 'note', type: 'text', maxlength: 500 }))),
      el('div', { class: 'moves' }, el('button', { type: 'submit', class: 'primary' }, '记账')),
      error);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = form.elements;
      // The amount goes as typed (an empty one as 0): the server names what is wrong with it.
      this.send({
        project_id: ledger.project_id, kind: f.kind.value, source: f.source.value, amount_wan: Number(f.amount_wan.value) || 0,
        date: f.date.value, doc_no: f.doc_no.value.trim(), note: f.note.value.trim(),
      }, error, `已记账：${f.kind.value} ${wanText(Number(f.amount_wan.value) || 0)}。`);
    });
    return form;
  }

  /** send posts an entry or a reversal; a refusal is the server's sentence, shown in error. */
  async send(body, error, done) {
    const buttons = [...this.box.querySelectorAll('button')];
    for (const b of buttons) b.disabled = true;
    error.textContent = '';
    try {
      await post('/api/v1/funds/entries', body);
    } catch (err) {
      console.warn(err);
      error.textContent = err.message;
      for (const b of buttons) b.disabled = false;
      return;
    }
    this.notice(done);
    await this.load(body.project_id);
    this.onRecorded(body.project_id);
  }
}

/**
 * villageFunds is the 资金 summary of village code's panel: its roll-up
 * (GET /api/v1/funds/rollup?by=village) with 拨付进度; a failure is the
 * panel's to show, with 重试.
 */
export async function villageFunds(code) {
  const { groups } = await get('/api/v1/funds/rollup', { by: 'village', village: code });
  const t = groups.find((g) => g.key === code);
  if (!t) return [el('p', { class: 'muted', id: 'village-no-funds' }, '该村项目暂无资金台账记录。')];
  return [el('dl', { class: 'facts', id: 'village-fund-totals', dataset: { pct: t.paid_pct ?? '' } },
    el('dt', {}, '项目'), el('dd', {}, `${t.projects} 个`),
    el('dt', {}, '计划'), el('dd', { dataset: { k: 'planned' } }, wanText(t.planned_wan)),
    el('dt', {}, '下达'), el('dd', { dataset: { k: 'allocated' } }, wanText(t.allocated_wan)),
    el('dt', {}, '拨付'), el('dd', { dataset: { k: 'paid' } }, wanText(t.paid_wan)),
    el('dt', {}, '拨付进度'), el('dd', { id: 'village-paid-pct' }, pctText(t.paid_pct)))];
}

/** count writes a households/people pair of the register: "12 户 / 45 人", an unknown figure as —. */
export const count = (h, p) => (h === null && p === null ? '—' : `${num(h, 0)} 户 / ${num(p, 0)} 人`);

/**
 * signed writes the register's remainder (其他增减: what 脱贫, 返贫 and
 * 新识别 do not explain) with its sign, or '' when nothing is unexplained.
 */
export function signed(h, p) {
  if (h === null && p === null) return '';
  if (!h && !p) return '0';
  const s = (v) => (v === null ? '—' : v > 0 ? `+${v}` : String(v));
  return `${s(h)} 户 / ${s(p)} 人`;
}

/** villagePoverty is the 建档立卡 by year of village code's panel (GET /api/v1/villages/{code}/poverty); a failure is the panel's to show. */
export async function villagePoverty(code) {
  const vp = await get(`/api/v1/villages/${encodeURIComponent(code)}/poverty`);
  const exit = vp.exit_year ? el('p', { id: 'village-exit-year' }, `贫困村退出年度：${vp.exit_year} 年`) : null;
  if (!vp.years.length) return [exit, el('p', { class: 'muted', id: 'village-no-poverty' }, '尚未导入该村的分年度建档立卡数据。')].filter(Boolean);
  return [exit, el('table', { class: 'ind', id: 'village-poverty-years' },
    el('thead', {}, el('tr', {}, ['年度', '年末贫困户/人口', '脱贫', '返贫', '新识别', '其他增减'].map((h) => el('th', {}, h)))),
    el('tbody', {}, vp.years.map((y) => el('tr', { dataset: { year: y.year } },
      el('td', {}, `${y.year}`, y.year === vp.exit_year ? el('span', { class: 'badge', title: '贫困村退出年度' }, '退出') : null),
      el('td', { dataset: { k: 'stock' } }, count(y.poor_households, y.poor_population)),
      el('td', { dataset: { k: 'exited' } }, count(y.exited_households, y.exited_population)),
      el('td', { dataset: { k: 'returned' } }, count(y.returned_households, y.returned_population)),
      el('td', { dataset: { k: 'new' } }, count(y.new_households, y.new_population)),
      el('td', { class: 'muted', title: '年末存量中脱贫、返贫、新识别不能解释的变化（自然增减、分户、清退等）' }, signed(y.other_households, y.other_population))))))].filter(Boolean);
}
