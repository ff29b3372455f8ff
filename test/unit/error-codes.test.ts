/**
 * The error contract: README's table of codes names every code once, no code that does not exist, and
 * the exit status the CLI maps each to; validation has one code whatever its count; re-wrapping an error
 * keeps where the statement failed and what to do about it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { exitStatusOf } from '../../src/cli/exit-status.js';
import { ERROR_CODES, failValidation, isPgshiftError, PgshiftError, rewrap, type ErrorCode, type Problem } from '../../src/core/errors.js';

const README = new URL('../../README.md', import.meta.url);

/** The rows of the table under README's `### Error codes` heading, as [code, exit status]. */
async function readmeRows(): Promise<Array<readonly [string, number]>> {
  const text = await readFile(README, 'utf8');
  const section = text.split(/^### Error codes$/m)[1]?.split(/^#/m)[0];
  assert.ok(section, 'README.md has a "### Error codes" section');
  return [...section.matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)].map((match) => [match[1] ?? '', Number(match[2])] as const);
}

function thrown(run: () => unknown): PgshiftError {
  try {
    run();
  } catch (error) {
    assert.ok(isPgshiftError(error));
    return error;
  }
  assert.fail('expected it to throw');
}

describe("README's table of error codes", () => {
  test('names every code exactly once and no code that does not exist', async () => {
    const named = (await readmeRows()).map(([code]) => code);
    const known = new Set<string>(ERROR_CODES);
    assert.deepEqual(named.filter((code) => !known.has(code)), [], 'rows naming no code');
    assert.deepEqual(ERROR_CODES.filter((code) => named.filter((row) => row === code).length !== 1), [], 'codes not named exactly once');
  });

  test("gives each code the exit status the CLI maps it to", async () => {
    const wrong = (await readmeRows()).filter(([code, status]) => exitStatusOf(code as ErrorCode) !== status);
    assert.deepEqual(wrong, []);
  });
});

describe('failValidation', () => {
  const problem = (code: Problem['code'], message: string): Problem => ({ code, message, hint: `hint of ${message}` });

  test('one problem: VALIDATION_FAILED, with that problem as the message and hint', () => {
    const error = thrown(() => failValidation([problem('CHECKSUM_MISMATCH', 'a.sql changed')]));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.equal(error.message, 'a.sql changed');
    assert.equal(error.hint, 'hint of a.sql changed');
    assert.deepEqual(error.problems.map((p) => p.code), ['CHECKSUM_MISMATCH']);
  });

  test('several problems: the same code, and a count', () => {
    const error = thrown(() => failValidation([problem('BAD_NAME', 'x'), problem('OUT_OF_ORDER', 'y')]));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.equal(error.message, '2 problems found in migrations and ledger');
    assert.deepEqual(error.problems.map((p) => p.code), ['BAD_NAME', 'OUT_OF_ORDER']);
  });

  test('keeps the exit status a single problem had', () => {
    assert.equal(exitStatusOf('VALIDATION_FAILED'), exitStatusOf('CHECKSUM_MISMATCH'));
  });
});

describe('rewrap', () => {
  const original = new PgshiftError('MIGRATION_FAILED', 'm.sql:2:1: boom', {
    hint: 'fix the file',
    sql: { file: 'm.sql', line: 2, column: 1, sqlState: '42703' },
  });

  test("keeps the original's sql and hint, and the original as the cause", () => {
    const error = rewrap(original, 'MIGRATION_FAILED', 'apply: m.sql:2:1: boom');
    assert.equal(error.message, 'apply: m.sql:2:1: boom');
    assert.equal(error.hint, 'fix the file');
    assert.deepEqual(error.sql, original.sql);
    assert.equal(error.cause, original);
  });

  test('a hint or sql it sets replaces the original one', () => {
    const error = rewrap(original, 'CONNECTION_LOST', 'lost', { hint: 'run it again', sql: { file: 'n.sql' } });
    assert.equal(error.code, 'CONNECTION_LOST');
    assert.equal(error.hint, 'run it again');
    assert.deepEqual(error.sql, { file: 'n.sql' });
  });
});
