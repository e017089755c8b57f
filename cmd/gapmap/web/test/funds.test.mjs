// Unit tests of static/funds.js's pure helpers: how the page writes 拨付进度,
// amounts and the plan-vs-投资估算 difference, and which entries it offers
// to reverse. Every figure itself is the server's (GET /api/v1/projects/{id}/funds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pctText, wanText, planDiffText, docLabel, reversible, entryKind, today, count, signed } from '../static/funds.js';

test('拨付进度 is the API\'s percent, or 未下达 when nothing is allocated', () => {
  assert.equal(pctText(62.5), '62.5%');
  assert.equal(pctText(0), '0%');
  assert.equal(pctText(100), '100%');
  assert.equal(pctText(null), '未下达');
  assert.equal(pctText(undefined), '未下达');
});

test('ledger amounts keep two decimals, as vouchers write them', () => {
  assert.equal(wanText(25), '25.00 万元');
  assert.equal(wanText(1234.5), '1,234.50 万元');
  assert.equal(wanText(-25), '-25.00 万元');
  assert.equal(wanText(null), '—');
});

test('the plan-vs-投资估算 difference is shown when it is not zero to the cent', () => {
  const ledger = (diff, planned, cost) => ({ plan_diff_wan: diff, cost_wan: cost, total: { planned_wan: planned } });
  assert.equal(planDiffText(ledger(-200, 100, 300)), '计划合计比投资估算少 200.00 万元（计划 100.00 万元，投资估算 300.00 万元）');
  assert.equal(planDiffText(ledger(12.34, 112.34, 100)), '计划合计比投资估算多 12.34 万元（计划 112.34 万元，投资估算 100.00 万元）');
  assert.equal(planDiffText(ledger(0, 100, 100)), '');
  assert.equal(planDiffText(ledger(0.001, 100, 100)), '', 'less than a cent is no difference');
});

test('the document field says what each kind requires', () => {
  assert.equal(docLabel('下达'), '文号（必填）');
  assert.equal(docLabel('拨付'), '凭证号（必填）');
  assert.equal(docLabel('计划'), '文号/凭证号（选填）');
  assert.equal(docLabel('到位'), '文号/凭证号（选填）');
});

test('only an original entry not yet reversed, of a kind the user may record, is offered 冲销', () => {
  const entries = [
    { id: 1, kind: '计划', amount_wan: 100 },
    { id: 2, kind: '下达', amount_wan: 40 },
    { id: 3, kind: '拨付', amount_wan: 25 },
    { id: 4, kind: '拨付', amount_wan: -25, reverses: 3 },
    { id: 5, kind: '拨付', amount_wan: 20 },
  ];
  assert.deepEqual([...reversible(entries, ['下达', '到位', '拨付'])].sort(), [2, 5]);
  assert.deepEqual([...reversible(entries, ['计划'])], [1]);
  assert.deepEqual([...reversible(entries, [])], []);
  assert.equal(entryKind(entries[3]), '拨付冲销（冲 #3）');
  assert.equal(entryKind(entries[2]), '拨付');
});

test('the form\'s date is the day in China', () => {
  assert.equal(today(new Date('2018-03-01T15:59:00Z')), '2018-03-01');
  assert.equal(today(new Date('2018-03-01T16:00:00Z')), '2018-03-02');
});

test('建档立卡 figures read as households / people; unknown stays unknown', () => {
  assert.equal(count(20, 70), '20 户 / 70 人');
  assert.equal(count(0, 0), '0 户 / 0 人');
  assert.equal(count(null, null), '—');
  assert.equal(count(3, null), '3 户 / — 人');
  assert.equal(signed(-1, 0), '-1 户 / 0 人');
  assert.equal(signed(2, 5), '+2 户 / +5 人');
  assert.equal(signed(0, 0), '0');
  assert.equal(signed(null, null), '');
});
