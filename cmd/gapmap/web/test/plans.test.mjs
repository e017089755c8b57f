// Unit tests of static/plans.js's pure helpers: the plan request the
// 年度计划测算 tab sends with the planner's 纳入/排除, and how a plan year reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRequest, yearText, PLAN_YEARS } from '../static/plans.js';

test('the plan request carries the budgets and, only when given, library_only, include and exclude (sorted ids)', () => {
  const budgets = { 2016: 300 };
  assert.deepEqual(planRequest(budgets, false, new Set(), new Set()), { years: PLAN_YEARS, budgets });
  assert.deepEqual(planRequest(budgets, true, new Set([12, 3]), new Set([40])),
    { years: PLAN_YEARS, budgets, library_only: true, include: [3, 12], exclude: [40] });
});

test('a plan year reads 2017 年, and 0 reads 未安排', () => {
  assert.equal(yearText(2017), '2017 年');
  assert.equal(yearText(0), '未安排');
});
