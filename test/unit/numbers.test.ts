/** Numbers and durations as typed on the command line, in the environment and in directives (issue 11, items 9 and 16). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { durationProblem, parseDirectives } from '../../src/core/directives.js';
import { isPgshiftError } from '../../src/core/errors.js';
import { checkNumber, parseNumber, type NumberKind } from '../../src/core/numbers.js';
import { analyzeScript } from '../../src/core/file-analysis.js';
import type { SqlFile } from '../../src/core/types.js';

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(isPgshiftError(error), String(error));
    assert.equal(error.code, 'USAGE');
    return error.message;
  }
  assert.fail('expected a USAGE error');
}

describe('parseNumber', () => {
  const accepted: Array<[NumberKind, string, number]> = [
    ['seconds', '0', 0],
    ['seconds', '0.5', 0.5],
    ['seconds', '60', 60],
    ['positive-seconds', '3', 3],
    ['count', '0', 0],
    ['steps', '2', 2],
    ['version', '0', 0],
    ['version', '9007199254740991', Number.MAX_SAFE_INTEGER],
  ];
  for (const [kind, text, value] of accepted) {
    test(`${kind} ${text} is ${value}`, () => assert.equal(parseNumber('--x', text, kind), value));
  }

  const refused: Array<[NumberKind, string]> = [
    ['seconds', '-5'],
    ['seconds', 'abc'],
    ['seconds', ''],
    ['seconds', 'NaN'],
    ['seconds', 'Infinity'],
    ['seconds', '1e3'],
    ['positive-seconds', '0'],
    ['count', '-1'],
    ['count', '1.5'],
    ['steps', '0'],
    ['version', '-3'],
    ['version', '0x10'],
  ];
  for (const [kind, text] of refused) {
    test(`${kind} ${JSON.stringify(text)} is refused, named with the flag and the text as typed`, () => {
      const message = usageMessage(() => parseNumber('--flag', text, kind));
      assert.ok(message.startsWith(`--flag ${text === '' ? '(empty)' : text} is not `), message);
    });
  }

  test('a version beyond the range is refused with the number as typed, not rounded', () => {
    assert.equal(
      usageMessage(() => parseNumber('--to', '99999999999999999999', 'version')),
      '--to 99999999999999999999 is too large: the largest is 9007199254740991',
    );
  });

  test('a flag given twice is refused', () => {
    assert.match(usageMessage(() => parseNumber('--steps', ['1', '2'], 'steps')), /--steps is given more than once/);
  });

  test('checkNumber holds numbers a program passes to the same rules', () => {
    assert.match(usageMessage(() => checkNumber('lockWaitSeconds', -5, 'seconds')), /lockWaitSeconds -5 is not/);
    assert.match(usageMessage(() => checkNumber('lockRetries', Number.NaN, 'count')), /lockRetries NaN is not/);
    assert.doesNotThrow(() => checkNumber('lockRetries', undefined, 'count'));
  });
});

describe('durations', () => {
  for (const value of ['0', '500ms', '10s', '2min', '1h', '1d', '250us']) {
    test(`${value} is a duration`, () => assert.equal(durationProblem('--lock-timeout', value), undefined));
  }

  test('a bare number other than 0 needs a unit, with a hint that shows both readings', () => {
    assert.deepEqual(durationProblem('--lock-timeout', '5'), {
      code: 'DURATION_UNIT',
      message: '--lock-timeout 5 has no unit',
      hint: 'write 5s for seconds or 5ms for milliseconds (0: no limit); a bare number would be milliseconds',
    });
  });

  for (const value of ['2147483647ms', '2147483s', '35791min', '596h', '24d', '2147483647499us']) {
    test(`${value} is within PostgreSQL's limit for a timeout`, () => assert.equal(durationProblem('--lock-timeout', value), undefined));
  }

  for (const value of ['2147483648ms', '2147484s', '3000000s', '99999999999999s', '597h', '25d', '2147483647500us']) {
    test(`${value} is longer than PostgreSQL allows (INT_MAX milliseconds)`, () => {
      const wrong = durationProblem('--statement-timeout', value);
      assert.equal(wrong?.code, 'BAD_DIRECTIVE');
      assert.equal(wrong?.message, `--statement-timeout ${value} is longer than PostgreSQL allows for a timeout`);
      assert.match(wrong?.hint ?? '', /the longest is 2147483647ms/);
    });
  }

  for (const value of ['5 s', '5sec', '-1s', '1.5s', 's', '']) {
    test(`${JSON.stringify(value)} is not a duration`, () => assert.equal(durationProblem('--lock-timeout', value)?.code, 'BAD_DIRECTIVE'));
  }

  const file = (text: string): SqlFile => ({ kind: 'migration', path: 'migrations/004_x.sql', version: 4, name: 'x', text, checksum: 'c' });

  test('a directive longer than PostgreSQL allows is a problem at its file:line:column', () => {
    const analysis = analyzeScript(file('-- pgshift:lock-timeout=3000000s\nCREATE TABLE t (id int);\n'));
    assert.deepEqual(
      analysis.problems.map((problem) => [problem.code, problem.message]),
      [['BAD_DIRECTIVE', 'migrations/004_x.sql:1:4: pgshift:lock-timeout=3000000s is longer than PostgreSQL allows for a timeout']],
    );
  });

  test('a bare number in a directive is a DURATION_UNIT problem at its file:line:column', () => {
    const analysis = analyzeScript(file('-- add an index\n-- pgshift:lock-timeout=5000\nCREATE TABLE t (id int);\n'));
    assert.equal(analysis.problems.length, 1);
    const [problem] = analysis.problems;
    assert.equal(problem?.code, 'DURATION_UNIT');
    assert.equal(problem?.line, 2);
    assert.equal(problem?.message, 'migrations/004_x.sql:2:4: pgshift:lock-timeout=5000 has no unit');
    assert.equal(analysis.directives.lockTimeout, undefined);
  });

  test('directives with units are taken as written', () => {
    const { directives, problems } = parseDirectives(file(''), [' pgshift:lock-timeout=5s', ' pgshift:statement-timeout=0']);
    assert.deepEqual(problems, []);
    assert.deepEqual(directives, { transaction: true, lockTimeout: '5s', statementTimeout: '0' });
  });
});
