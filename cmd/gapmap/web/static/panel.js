// The village panel: why a village has gaps (every indicator with its
// measured value, threshold, result and the threshold's basis), its exit
// checklist, the projects that would close its gaps, with their cost, and
// its 操作记录 (the audit trail of the village).
import { get } from './api.js';
import { el, num, wan, score, measure, quantity, gapStyle, isUnknown, activate, STATUS, SOURCE } from './format.js';
import { statusStyle } from './map.js';
import { historyItems, gapChange } from './project.js';
import { villageFunds, villagePoverty } from './funds.js';
import { loadingText, failure, busy } from './loading.js';

const DIMS = ['通路', '饮水', '农网', '光伏'];

export class VillagePanel {
  constructor(app, { onDimension, onProject }) {
    this.app = app;
    this.onDimension = onDimension;
    this.onProject = onProject;
    this.root = document.getElementById('panel');
    this.code = null;
  }

  /**
   * open loads and shows village code; it returns what the map needs, or
   * null if superseded or failed: a failure shows in the panel with 重试,
   * which opens the village again. show false reloads it where it is
   * (under the project panel, after a project changed).
   */
  async open(code, { show = true } = {}) {
    this.code = code;
    if (show) {
      this.root.hidden = false;
      this.root.replaceChildren(this.head(this.nameOf(code), { loaded: false }), loadingText());
    }
    const asOf = this.app.asOf;
    if (this.app.asOfMissing) {
      // The 日期 control chose a date without its run: say so, never show today's scores as that date's.
      this.showMissing(code);
      return null;
    }
    busy(this.root, true);
    let gaps;
    let outline;
    let projects;
    try {
      [gaps, outline, projects] = await Promise.all([
        get(`/api/v1/villages/${code}/gaps`, { as_of: asOf }),
        get(`/api/v1/villages/${code}`, { geometry: 'outline' }),
        get('/api/v1/projects', { village: code, sort: 'need', page_size: 1000 }),
      ]);
    } catch (err) {
      // Shown in the panel, unless it waits under the project panel (show false).
      if (this.code === code && !this.root.hidden) {
        this.root.replaceChildren(this.head(this.nameOf(code), { loaded: false }), failure(err, () => this.app.openVillage(code)));
      }
      return null;
    } finally {
      if (this.code === code) busy(this.root, false);
    }
    if (this.code !== code || asOf !== this.app.asOf) return null;
    this.gaps = gaps;
    this.render(gaps, outline, projects);
    return { gaps, outline };
  }

  /** nameOf is what the page knows of village code before its answer: name and township from the village list. */
  nameOf(code) {
    const f = this.app.byCode.get(code);
    return f ? { name: f.properties.name, township_name: f.properties.township_name, code } : { name: code, township_name: '', code };
  }

  /**
   * head is the panel's title (v: name, township_name, code) with its
   * close button, and extra under the title. Until the village's answer
   * is shown (loaded false) the title has no id: #village-name means the
   * panel shows the village.
   */
  head(v, { loaded = true, extra = null } = {}) {
    return el('div', { class: 'panel-head' },
      el('div', { style: 'flex:1' },
        el('h2', { id: loaded ? 'village-name' : null, tabindex: -1 }, v.name),
        el('div', { class: 'sub' }, `${v.township_name} · ${v.code}`), extra),
      el('button', { type: 'button', class: 'icon', title: '关闭', 'aria-label': '关闭村详情', onclick: () => this.close() }, '×'));
  }

  /** showMissing says that the chosen date has no scores for village code. */
  showMissing(code) {
    this.root.hidden = false;
    this.root.replaceChildren(
      this.head(this.nameOf(code)),
      el('p', { id: 'village-asof-missing', class: 'st nodata' },
        `${this.app.asOf} 没有评分结果：该日期的缺口为无数据。请在“逐年进展”中生成年末评分，或按该日期运行 gapmap score --as-of ${this.app.asOf}。`));
  }

  close() {
    this.code = null;
    this.root.hidden = true;
    const { map } = this.app;
    if (map) {
      if (this.app.selectedId !== undefined) map.setFeatureState({ source: 'gapmap', sourceLayer: 'villages', id: this.app.selectedId }, { selected: false });
      for (const s of ['explain', 'explain-labels', 'selected']) map.getSource(s).setData({ type: 'FeatureCollection', features: [] });
    }
  }

  setDimension(dim) {
    for (const c of this.root.querySelectorAll('.score')) c.classList.toggle('current', c.dataset.dim === dim);
  }

  render(gaps, outline, projects) {
    const v = gaps.village;
    const props = outline.properties || {};
    const dims = Object.fromEntries(v.dimensions.map((d) => [d.dimension, d]));
    const geomOf = new Set((gaps.explain ? gaps.explain.features : []).map((f) => f.properties.indicator));

    const head = this.head(v, {
      extra: el('div', { style: 'margin-top:4px;display:flex;gap:4px;flex-wrap:wrap' },
        v.is_poor_village ? el('span', { class: 'badge poor' }, '建档立卡贫困村') : el('span', { class: 'badge' }, '非贫困村'),
        el('span', { class: 'badge' }, `贫困户 ${num(v.poor_households, 0)} 户 / ${num(v.poor_population, 0)} 人`),
        props.households ? el('span', { class: 'badge' }, `全村 ${num(props.households, 0)} 户 / ${num(props.population, 0)} 人`) : null),
    });

    // A 数据不足 gap keeps its number (if any) but is hatched and flagged, never coloured as measured.
    const card = (dim, value, d) => {
      const unknown = isUnknown(gaps.unknown, dim);
      const missing = d && d.missing_weight > 0 ? `${num(d.missing_weight * 100, 0)}% 的权重缺数据` : '';
      return el('div', {
        class: `score${dim === this.app.dim ? ' current' : ''}${unknown ? ' unknown' : ''}`,
        dataset: { dim, score: value === null || value === undefined ? '' : String(value), unknown: String(unknown) },
        style: gapStyle(value, unknown), role: 'button',
        title: `在地图上按${dim}缺口着色${missing ? `；${missing}` : ''}`, ...activate(() => this.onDimension(dim)),
      },
      el('div', { class: 'label' }, dim),
      el('div', { class: 'value' }, score(value)),
      el('div', { class: 'flags' }, d && d.veto ? '一票否决' : unknown ? '数据不足' : missing ? `缺数据 ${num(d.missing_weight * 100, 0)}%` : ''));
    };
    const scores = el('div', { class: 'scores', id: 'village-scores' },
      card('综合', v.composite, { missing_weight: v.missing_weight }),
      DIMS.map((d) => card(d, dims[d] ? dims[d].gap : null, dims[d])));

    const order = [...DIMS].sort((a, b) => (b === this.app.dim) - (a === this.app.dim) || (dims[b] ? dims[b].gap : 0) - (dims[a] ? dims[a].gap : 0));
    const sections = order.filter((d) => dims[d]).map((d) => this.dimension(dims[d], geomOf, d === this.app.dim || dims[d].gap > 0, isUnknown(gaps.unknown, d)));

    const checklist = el('ul', { class: 'checklist' }, (v.exit_checklist || []).map((c) => {
      const st = STATUS[c.status] || STATUS.no_data;
      return el('li', {}, el('span', { class: `st ${st.cls}` }, `${st.icon} ${st.text}`), el('span', {}, el('b', {}, c.item), ' ', el('span', { class: 'muted' }, c.note)));
    }));

    this.root.replaceChildren(head,
      ...(this.app.asOf ? [el('p', { id: 'village-asof', class: 'asof-note' }, `以下为 ${this.app.asOf} 的评分结果（项目、资金和操作记录为当前状态）。`)] : []),
      scores,
      el('p', { class: 'explain-note' }, '0 = 达标，100 = 缺口最大。地图上红色虚线为未达标的原因，绿色为达标的依据；点击标有“图上”的指标只看这一项（待硬化路段、到最近客运站点、供电配变等）。'),
      ...sections,
      el('h3', {}, '贫困村退出验收清单'), checklist,
      this.projects(projects),
      this.fundsBox = this.later('village-funds', '资金', () => villageFunds(v.code)),
      this.later('village-poverty', '建档立卡（分年度）', () => villagePoverty(v.code)),
      this.history(v.code));
  }

  /**
   * later is a section titled title whose body load() fills once it
   * answers, so that the panel shows without waiting for it; an answer
   * for a village no longer shown is dropped.
   */
  later(id, title, load) {
    const body = el('div', {}, loadingText());
    const box = el('section', { id }, el('h3', {}, title), body);
    box.reload = async () => {
      const code = this.code;
      busy(body, true);
      let parts;
      try {
        parts = await load();
      } catch (err) {
        parts = [failure(err, () => box.reload())];
      } finally {
        busy(body, false);
      }
      if (this.code === code) body.replaceChildren(...parts);
      box.dataset.loaded = String(Date.now());
    };
    box.reload();
    return box;
  }

  /** reloadFunds refreshes the 资金 summary after a ledger entry on one of the village's projects. */
  reloadFunds() {
    if (this.code && this.fundsBox) this.fundsBox.reload();
  }

  /** history is the village's 操作记录, loaded when first opened. */
  history(code) {
    const list = el('ol', { class: 'history' }, el('li', {}, loadingText()));
    const box = el('details', { class: 'village-history', id: 'village-history' }, el('summary', {}, '操作记录'), list);
    const load = async () => {
      list.replaceChildren(el('li', {}, loadingText()));
      busy(list, true);
      try {
        const res = await get(`/api/v1/villages/${encodeURIComponent(code)}/history`);
        list.replaceChildren(...historyItems(res.entries));
      } catch (err) {
        list.replaceChildren(el('li', {}, failure(err, load)));
      } finally {
        busy(list, false);
      }
    };
    box.addEventListener('toggle', () => {
      if (!box.open || box.dataset.loaded) return;
      box.dataset.loaded = 'true';
      load();
    });
    return box;
  }

  dimension(d, geomOf, open, unknown) {
    const rows = d.indicators.flatMap((i) => {
      const st = STATUS[i.status] || STATUS.no_data;
      const src = SOURCE[i.threshold_source] || { text: i.threshold_source, title: '' };
      const hasGeom = geomOf.has(i.id);
      const attrs = { class: hasGeom ? 'has-geom' : '', dataset: { indicator: i.id } };
      if (hasGeom) Object.assign(attrs, { title: '在地图上显示' }, activate(() => this.app.showExplain(this.gaps.explain, i.id)));
      return [
        el('tr', attrs,
          el('td', {}, `${i.id} ${i.name}`, hasGeom ? el('span', { class: 'map-tag' }, '图上') : null),
          el('td', { class: 'value' }, i.status === 'no_data' ? '无数据' : measure(i.value, i.unit)),
          el('td', {}, measure(i.threshold, i.unit)),
          el('td', { class: `st ${st.cls}` }, `${st.icon} ${st.text}`),
          el('td', {}, el('span', { class: `src ${i.threshold_source}`, title: src.title }, src.text))),
        // A no_data indicator says why: the note is the missing data.
        el('tr', { class: `note${i.status === 'no_data' ? ' nodata' : ''}` }, el('td', { colspan: 5 }, i.status === 'no_data' ? `无数据：${i.note}` : i.note)),
      ];
    });
    return el('details', { class: 'dim', open, dataset: { dim: d.dimension } },
      el('summary', {}, d.dimension, d.veto ? el('span', { class: 'badge veto' }, '一票否决') : null,
        unknown ? el('span', { class: 'badge unknown' }, '数据不足') : null,
        d.missing_weight > 0 ? el('span', { class: 'badge missing' }, `${num(d.missing_weight * 100, 0)}% 的权重缺数据`) : null,
        el('span', { class: 'sc', style: gapStyle(d.gap, unknown) }, `缺口 ${score(d.gap)}`)),
      el('table', { class: 'ind' },
        el('thead', {}, el('tr', {}, el('th', {}, '指标'), el('th', {}, '实测'), el('th', {}, '标准'), el('th', {}, '结果'), el('th', {}, '标准依据'))),
        el('tbody', {}, rows)));
  }

  projects(page) {
    const list = page.projects || [];
    const county = this.app.drawer.byId;
    const item = (p) => {
      const c = county.get(p.id);
      return el('li', {
        dataset: { project: p.id }, title: '在地图上显示该项目', ...activate(() => this.onProject(p.id)),
      },
        el('div', { class: 'name' }, p.name),
        el('div', { class: 'meta' },
          el('span', { class: 'status-chip', style: statusStyle(p.status) }, p.status),
          el('span', { class: 'cost' }, wan(p.cost_wan)),
          el('span', {}, `规模 ${quantity(p.quantity, p.unit)}`),
          el('span', {}, gapChange(p)),
          el('span', {}, `受益贫困人口 ${num(p.poor_population, 0)} 人`)),
        el('div', { class: 'meta' }, p.content),
        el('div', { class: 'meta' }, c ? `全县排名：需求第 ${c.rank_need} · 贫困人口第 ${c.rank_poor} · 性价比第 ${c.rank_value}` : '',
          p.price_source === 'estimated' ? '（单价为估算）' : ''));
    };
    const candidates = list.filter((p) => p.status === '需求摸底');
    const library = list.filter((p) => p.status !== '需求摸底');
    return el('div', { id: 'village-projects' },
      el('h3', {}, `能补短板的项目（${list.length} 个，合计 ${wan(page.cost_wan || 0)}）`),
      list.length ? null : el('p', { class: 'muted' }, '该村没有候选或入库项目。'),
      library.length ? el('div', {}, el('div', { class: 'muted' }, `已进入项目库流程（${library.length}）`), el('ul', { class: 'projects-list' }, library.map(item))) : null,
      candidates.length ? el('div', {}, el('div', { class: 'muted' }, `候选项目（需求摸底，${candidates.length}），按缺口排序`), el('ul', { class: 'projects-list' }, candidates.map(item))) : null);
  }
}
