// Unit tests of the 逐年进展 view's figures (static/progress.js): each
// header of GET /api/v1/progress reads its field, an unknown figure stays
// null (无数据), and a year's total over townships is unknown as soon as
// one of its cells is, or the year has no row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellOf, yearTotals } from '../static/progress.js';

const row = (year, code, runID, extra = {}) => ({
  year, run_id: runID, township_code: code, township_name: `${code}镇`, villages: 3,
  meeting: { 通路: 2 }, exit: { 通硬化路: 1 }, exit_all: 1, gaps_closed: runID ? 4 : null,
  projects_completed: 2, km_paved: 1.25, paid_wan: 10.5, ...extra,
});

test('cellOf reads every header and keeps the unknown null', () => {
  const r = row(2017, '01', 7);
  assert.equal(cellOf(r, '达标村数·通路'), 2);
  assert.equal(cellOf(r, '达标村数·饮水'), 0, 'a dimension absent from the map is 0 when the run is known');
  assert.equal(cellOf(r, '退出·通硬化路'), 1);
  assert.equal(cellOf(r, '硬化道路(km)'), 1.25);
  assert.equal(cellOf(r, '年末评分批次'), 7);
  assert.equal(cellOf(r, '新的列'), undefined);
  const none = row(2018, '01', 0);
  for (const h of ['村数', '达标村数·通路', '退出·通硬化路', '退出全部达标村数', '关闭缺口指标数', '年末评分批次']) {
    assert.equal(cellOf(none, h), null, `${h} without the year-end run`);
  }
  assert.equal(cellOf(none, '完工项目数'), 2, 'project figures do not need the run');
});

test('yearTotals sums townships, one entry per year, unknown when any cell is', () => {
  const rows = [row(2017, '01', 7), row(2017, '02', 7, { km_paved: 2 }), row(2018, '01', 0)];
  assert.deepEqual(yearTotals(rows, '硬化道路(km)', 2017, 2019), [
    { year: 2017, value: 3.25 }, { year: 2018, value: 1.25 }, { year: 2019, value: null }]);
  assert.deepEqual(yearTotals(rows, '达标村数·通路', 2017, 2018), [{ year: 2017, value: 4 }, { year: 2018, value: null }]);
  assert.deepEqual(yearTotals(rows, '村数', 2017, 2017, '02'), [{ year: 2017, value: 3 }]);
});
