/** sqlTokens: what repair compares to tell a comment or layout edit from a change of statements. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sqlTokens } from '../../src/core/sql-lexer.js';

const same = (a: string, b: string): boolean => JSON.stringify(sqlTokens(a)) === JSON.stringify(sqlTokens(b));

test('comments and whitespace are not tokens', () => {
  assert.ok(same('-- a\nCREATE TABLE t (id int);', '/* b /* nested */ */\nCREATE  TABLE\tt(id int) ;\n\n-- end'));
  assert.ok(same('SELECT 1+2', 'SELECT 1 + 2'));
});

test('what is inside strings, quoted names and dollar quotes is kept, comment-like text included', () => {
  assert.ok(!same("SELECT '-- a'", "SELECT '-- b'"));
  assert.ok(!same("SELECT E'it\\'s -- a'", "SELECT E'it\\'s -- b'"), 'a backslash-escaped quote does not end an E string');
  assert.ok(!same('SELECT "a -- b"', 'SELECT "a -- c"'));
  assert.ok(!same('DO $$ BEGIN -- x\nEND $$', 'DO $$ BEGIN -- y\nEND $$'), 'a comment in a function body is part of it');
  assert.ok(!same("SELECT 'a b'", "SELECT 'a  b'"));
});

test('words, numbers, operators and case count', () => {
  assert.ok(!same('create table t (id int)', 'CREATE TABLE t (id int)'));
  assert.ok(!same('SELECT 1', 'SELECT 2'));
  assert.ok(!same('SELECT a < b', 'SELECT a <= b'));
  assert.ok(!same('SELECT ab', 'SELECT a b'));
  assert.deepEqual(sqlTokens('a+-- c\nb'), ['a', '+', 'b'], 'a comment start ends an operator');
  assert.deepEqual(sqlTokens("x 'open"), ['x', "'open"], 'an unterminated string takes the rest');
});
