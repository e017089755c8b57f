// Unit tests of static/roles.js: who the user is in Chinese, which moves
// need a reason, where the page offers locating, and the audit trail's
// entries as lines to read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  grantTitle, grantTitles, mayLocate, reasonRequired, moveLabel, checkMove, historyDetail, formatTime, actionTitle, viaTitle,
} from '../static/roles.js';

const bureau = (code, name, role) => ({ org: { kind: 'bureau', code, name }, role });
const township = (code, role) => ({ org: { kind: 'township', code, name: '某镇' }, role });
const village = (code, role) => ({ org: { kind: 'village', code, name: '某村', township: code.slice(0, 9) }, role });

test('grants read as the server\'s messages write them, one organisation once', () => {
  assert.equal(grantTitle(bureau('交通', '县交通运输局', 'reviewer')), '县交通运输局·审核');
  const user = { grants: [bureau('交通', '县交通运输局', 'editor'), bureau('交通', '县交通运输局', 'reviewer'), { org: { kind: 'county', code: '430682', name: '县扶贫开发领导小组' }, role: 'viewer' }] };
  assert.deepEqual(grantTitles(user), ['县交通运输局·编辑、审核', '县扶贫开发领导小组·查看']);
  assert.deepEqual(grantTitles({ grants: [] }), []);
  assert.deepEqual(grantTitles(null), []);
});

test('locating is offered to an editor of the village\'s own township or village, or of a bureau', () => {
  const v = { code: '430682101201', township_code: '430682101' };
  assert.ok(mayLocate({ grants: [township('430682101', 'editor')] }, v));
  assert.ok(!mayLocate({ grants: [township('430682102', 'editor')] }, v), 'another township');
  assert.ok(!mayLocate({ grants: [township('430682101', 'reviewer')] }, v), 'a reviewer is no editor');
  assert.ok(mayLocate({ grants: [village('430682101201', 'editor')] }, v));
  assert.ok(!mayLocate({ grants: [village('430682101202', 'editor')] }, v));
  assert.ok(mayLocate({ grants: [bureau('乡村振兴', '县乡村振兴局', 'editor')] }, v));
  assert.ok(!mayLocate({ grants: [bureau('乡村振兴', '县乡村振兴局', 'approver')] }, v));
  assert.ok(!mayLocate(null, v), 'anonymous');
});

test('a return and a withdrawal need a reason, a step forward does not', () => {
  const forward = { to: '县级论证', back: false };
  const back = { to: '村级申报', back: true };
  const out = { to: '已出库', back: false };
  assert.deepEqual([forward, back, out].map(reasonRequired), [false, true, true]);
  assert.deepEqual([forward, back, out].map(moveLabel), ['转为县级论证', '退回村级申报', '出库']);
  assert.equal(checkMove(forward, ''), '');
  assert.equal(checkMove(back, '  '), '退回村级申报须填写理由');
  assert.equal(checkMove(back, '资料不全'), '');
  assert.equal(checkMove(out, ''), '出库须填写理由');
});

test('an audit entry\'s detail reads as the changed fields in Chinese, the reason last', () => {
  // data/projects.go: a lifecycle move and an edit, as the server writes them.
  assert.equal(historyDetail({ before: { status: '乡镇审核' }, after: { status: '村级申报' }, reason: '资料不全' }), '状态：乡镇审核 → 村级申报；理由：资料不全');
  assert.equal(historyDetail({ before: { status: '需求摸底' }, after: { status: '村级申报' }, reason: '' }), '状态：需求摸底 → 村级申报');
  assert.equal(historyDetail({ before: { cost_wan: 50, name: 'a', updated_at: '2026-01-01T00:00:00Z' }, after: { cost_wan: 60, name: 'a', updated_at: '2026-01-02T00:00:00Z' } }), '投资（万元）：50 → 60');
  assert.equal(historyDetail({ before: { year: null }, after: { year: 2018, novel_field: 'x' } }), '年度：（空） → 2018；novel_field：（空） → x');
  assert.equal(historyDetail({ rows: 12 }), 'rows：12');
  assert.equal(historyDetail('导入 12 条'), '导入 12 条');
  assert.equal(historyDetail(null), '');
  assert.equal(actionTitle('project.move'), '流程办理');
  assert.equal(actionTitle('something.new'), 'something.new');
  assert.equal(viaTitle('oidc'), '统一身份认证');
});

test('times are written in Beijing time', () => {
  assert.equal(formatTime('2026-03-01T06:05:09Z'), '2026-03-01 14:05');
  assert.equal(formatTime('2026-12-31T20:00:00+00:00'), '2027-01-01 04:00');
  assert.equal(formatTime('not a time'), 'not a time');
});
