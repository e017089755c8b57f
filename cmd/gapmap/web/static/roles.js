// Who the user is, in the words of the page: roles and organisations in
// Chinese, the lifecycle moves the server offers, and the audit trail's
// entries as lines to read. Pure functions, no DOM: test/roles.test.mjs.
//
// What a user may do is the server's answer (a project's moves and
// can_edit, a 403 with the missing role); the page never decides it from
// the roles, except to hide an action no grant of the user could take.

export const ROLE_TITLES = { viewer: '查看', editor: '编辑', reviewer: '审核', approver: '审定', admin: '管理员' };
export const KIND_TITLES = { county: '县', bureau: '县直部门', township: '乡镇', village: '村' };

/** WITHDRAWN is the state any project may leave the library for, with a reason. */
export const WITHDRAWN = '已出库';

/** grantTitle names one grant as the server's messages do, e.g. "县交通运输局·审核". */
export function grantTitle(g) {
  return `${g.org.name}·${ROLE_TITLES[g.role] || g.role}`;
}

/**
 * grantTitles names the user's grants, one organisation once with its roles
 * joined ("县交通运输局·编辑、审核"), in the order the server lists them.
 */
export function grantTitles(user) {
  const byOrg = new Map();
  for (const g of (user && user.grants) || []) {
    const key = `${g.org.kind}:${g.org.code}`;
    if (!byOrg.has(key)) byOrg.set(key, { name: g.org.name, roles: [] });
    byOrg.get(key).roles.push(ROLE_TITLES[g.role] || g.role);
  }
  return [...byOrg.values()].map((o) => `${o.name}·${o.roles.join('、')}`);
}

/**
 * mayLocate says whether the user could place village v (its properties)
 * at all: only an editor can, and a township's or a village's editor only
 * its own. Which bureau edits the village layer is the server's policy,
 * so a bureau's editor sees the action and the server's 403 if it is not
 * its domain.
 */
export function mayLocate(user, v) {
  return ((user && user.grants) || []).some((g) => g.role === 'editor' && (
    g.org.kind === 'county' || g.org.kind === 'bureau'
    || (g.org.kind === 'township' && g.org.code === v.township_code)
    || (g.org.kind === 'village' && g.org.code === v.code)));
}

/** reasonRequired says whether a move needs a reason: a return or rejection, and withdrawal. */
export const reasonRequired = (move) => Boolean(move.back) || move.to === WITHDRAWN;

/** moveLabel is the button of a move: forward "转为 X", back "退回 X", withdrawal "出库". */
export function moveLabel(move) {
  if (move.to === WITHDRAWN) return '出库';
  return move.back ? `退回${move.to}` : `转为${move.to}`;
}

/**
 * checkMove says in Chinese why a move cannot be sent as typed ('' when it
 * can): the server would refuse a return or withdrawal without a reason.
 */
export function checkMove(move, reason) {
  if (reasonRequired(move) && !String(reason || '').trim()) {
    return move.to === WITHDRAWN ? '出库须填写理由' : `退回${move.to}须填写理由`;
  }
  return '';
}

// ACTION_TITLES name the audit trail's actions (data/audit.sql: e.g.
// project.update); an action not listed is shown as the server writes it.
const ACTION_TITLES = {
  'project.create': '新建项目', 'project.update': '修改项目', 'project.edit': '修改项目', 'project.delete': '删除项目',
  'project.move': '流程办理', 'projects.generate': '生成候选项目', 'plan.apply': '应用年度计划',
  'village.locate': '定位村委会', 'village.locate_batch': '批量定位村委会', 'layer.edit': '编辑图层', 'layer.import': '导入图层',
  'layer.generate': '生成图层', 'score.run': '评分', 'run.create': '评分', 'county.init': '设置县情', 'county.profile': '修改县情参数',
  'funds.entry': '资金台账记账', 'funds.reverse': '资金台账冲销', 'funds.allocation': '年度资金下达', 'funds.sources': '修改资金来源',
  'funds.migrate': '迁移项目资金来源', 'village.poverty': '建档立卡数据', 'poverty.import': '导入建档立卡',
  'project.prediction_cleared': '预测已清除',
};

/** actionTitle names an audit entry's action in Chinese. */
export const actionTitle = (action) => ACTION_TITLES[action] || action || '';

const VIA = { session: '网页', oidc: '统一身份认证', token: 'API 令牌', cli: '命令行' };

/** viaTitle says how an actor was authenticated, in Chinese. */
export const viaTitle = (via) => VIA[via] || via || '';

// FIELD_TITLES name the fields an audit entry's before/after carries
// (data: the changed columns); a field not listed is shown as it is.
const FIELD_TITLES = {
  status: '状态', name: '项目名称', content: '建设内容', quantity: '规模', unit: '单位', cost_wan: '投资（万元）',
  unit_price_wan: '单价（万元）', year: '年度', responsible_unit: '责任单位', category: '类别', nature: '建设性质',
  office: '村委会位置', location_source: '定位来源', targets: '绩效目标', funding: '资金来源',
  // predictions (data/predict.go, migrations 0035 and 0038)
  gap_after_est: '预计缺口后', estimate_cleared: '缺口后清除原因', gap_after_set: '同组预计缺口后',
  predicted_after: '预计时已建项目', prediction_cleared: '预测清除原因',
  // 资金台账 entries (funds.entry, funds.reverse)
  entry_id: '分录', kind: '类型', source: '资金来源', amount_wan: '金额（万元）', date: '日期', doc_no: '文号/凭证号', note: '备注', reverses: '冲销分录',
};

// BOOKKEEPING fields change with every write and say nothing a reader needs.
const BOOKKEEPING = new Set(['updated_at', 'created_at']);

/**
 * historyDetail reads an audit entry's detail (data/audit.go): the changed
 * fields as "状态：县级论证 → 县级审定", then the reason; other keys (counts
 * of an import, …) as "key：value"; a text as it is.
 */
export function historyDetail(detail) {
  if (detail === null || detail === undefined || detail === '') return '';
  if (typeof detail !== 'object') return String(detail);
  const val = (v) => (v === null || v === undefined || v === '' ? '（空）' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const field = (k) => FIELD_TITLES[k] || k;
  const parts = [];
  if (detail.from !== undefined || detail.to !== undefined) {
    parts.push(`${field('status')}：${val(detail.from)} → ${val(detail.to)}`);
  }
  if (detail.before !== undefined || detail.after !== undefined) {
    const before = detail.before || {};
    const after = detail.after || {};
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (BOOKKEEPING.has(k)) continue;
      if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) parts.push(`${field(k)}：${val(before[k])} → ${val(after[k])}`);
    }
  }
  const known = new Set(['from', 'to', 'reason', 'before', 'after']);
  for (const [k, v] of Object.entries(detail)) {
    if (!known.has(k)) parts.push(`${field(k)}：${val(v)}`);
  }
  if (detail.reason) parts.push(`理由：${detail.reason}`);
  return parts.join('；');
}

/** formatTime writes an RFC 3339 time as the county reads it: 2026-03-01 14:05 (Beijing time). */
export function formatTime(at) {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at || '');
  const p = (n) => String(n).padStart(2, '0');
  const b = new Date(d.getTime() + 8 * 3600 * 1000); // China Standard Time, no daylight saving
  return `${b.getUTCFullYear()}-${p(b.getUTCMonth() + 1)}-${p(b.getUTCDate())} ${p(b.getUTCHours())}:${p(b.getUTCMinutes())}`;
}
