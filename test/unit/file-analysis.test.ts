/** analyzeScript's problems: what a file must not contain before pgshift runs it with its ledger row. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checksumOf } from '../../src/core/checksum.js';
import type { Problem } from '../../src/core/errors.js';
import { analyzeScript } from '../../src/core/file-analysis.js';
import type { SqlFile } from '../../src/core/types.js';

const PATH = 'migrations/007_add_orders.sql';

function sqlFile(text: string): SqlFile {
  return { kind: 'migration', version: 7, name: 'add_orders', path: PATH, text, checksum: checksumOf(text) };
}

function problemsOf(text: string): readonly Problem[] {
  return analyzeScript(sqlFile(text)).problems;
}

function codesOf(text: string): string[] {
  return problemsOf(text).map((problem) => problem.code);
}

describe('TRANSACTION_CONTROL', () => {
  const controls = [
    ['BEGIN;', 'BEGIN'],
    ['begin transaction isolation level serializable;', 'BEGIN'],
    ['COMMIT;', 'COMMIT'],
    ['END;', 'END'],
    ['ABORT;', 'ABORT'],
    ['START TRANSACTION;', 'START TRANSACTION'],
    ['ROLLBACK;', 'ROLLBACK'],
    ["PREPARE TRANSACTION 'deploy';", 'PREPARE TRANSACTION'],
  ] as const;
  for (const [statement, name] of controls) {
    test(`${statement} is reported as ${name}`, () => {
      const problems = problemsOf(`CREATE TABLE orders (id int);\n${statement}\n`);
      assert.deepEqual(
        problems.map((problem) => problem.code),
        ['TRANSACTION_CONTROL'],
      );
      assert.match(problems[0]?.message ?? '', new RegExp(`: ${name} would take the transaction`));
    });
  }

  const harmless = [
    ['a savepoint and ROLLBACK TO SAVEPOINT', 'SAVEPOINT s;\nINSERT INTO t VALUES (1);\nROLLBACK TO SAVEPOINT s;\nRELEASE SAVEPOINT s;'],
    ['ROLLBACK TO without the SAVEPOINT keyword', 'SAVEPOINT s;\nROLLBACK TO s;'],
    ['ROLLBACK WORK TO SAVEPOINT', 'SAVEPOINT s;\nROLLBACK WORK TO SAVEPOINT s;'],
    ['ROLLBACK TRANSACTION TO', 'SAVEPOINT s;\nROLLBACK TRANSACTION TO s;'],
    ['BEGIN ... END inside a DO $$ body', "DO $$\nBEGIN\n  RAISE NOTICE 'x';\nEND\n$$;"],
    ['BEGIN inside a tagged dollar quote', "DO $body$ BEGIN COMMIT; END $body$;"],
    ['the BEGIN ATOMIC ... END of a function body', 'CREATE FUNCTION one() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;'],
    ['BEGIN and COMMIT in comments and strings', "-- BEGIN;\n/* COMMIT; */\nSELECT 'ROLLBACK;', \"end\";"],
    ['PREPARE of a statement rather than a transaction', 'PREPARE q AS SELECT 1;'],
  ] as const;
  for (const [what, text] of harmless) {
    test(`${what} is not transaction control`, () => {
      assert.deepEqual(codesOf(text), []);
    });
  }

  test('a no-transaction file may not control transactions either', () => {
    // There pgshift commits each statement together with its progress record; a BEGIN or COMMIT of the
    // file's own would break that pairing, so the rule holds without a transaction too.
    assert.deepEqual(codesOf('-- pgshift:no-transaction\nCOMMIT;\n'), ['TRANSACTION_CONTROL']);
  });
});

describe('PSQL_ONLY', () => {
  test('a \\set meta-command is reported', () => {
    assert.deepEqual(codesOf('SELECT 1;\n\\set ON_ERROR_STOP on\nSELECT 2;\n'), ['PSQL_ONLY']);
  });

  test('a \\i meta-command is reported', () => {
    assert.deepEqual(codesOf('\\i schema.sql\n'), ['PSQL_ONLY']);
  });

  test('COPY ... FROM STDIN is reported, with a message naming COPY rather than a meta-command', () => {
    // The "\." that ends the data must not add a second meta-command problem: the data is not SQL.
    const problems = problemsOf('COPY orders (id) FROM STDIN;\n1\n2\n\\.\n');
    assert.deepEqual(
      problems.map((problem) => problem.code),
      ['PSQL_ONLY'],
    );
    assert.match(problems[0]?.message ?? '', /COPY \.\.\. FROM STDIN/);
  });

  test('a meta-command and a later COPY FROM STDIN are two problems', () => {
    assert.deepEqual(codesOf('\\set x 1\nCOPY t FROM stdin;\n'), ['PSQL_ONLY', 'PSQL_ONLY']);
  });
});

describe('where a problem is', () => {
  test('it names the file, its version and the 1-based line, and the message starts with path:line:column', () => {
    const problems = problemsOf('SELECT 1;\nSELECT 2;\n  COMMIT;\n\\set x 1\n');
    assert.deepEqual(
      problems.map(({ code, file, version, line }) => ({ code, file, version, line })),
      [
        { code: 'TRANSACTION_CONTROL', file: PATH, version: 7, line: 3 },
        { code: 'PSQL_ONLY', file: PATH, version: 7, line: 4 },
      ],
    );
    assert.ok(problems[0]?.message.startsWith(`${PATH}:3:3: `), problems[0]?.message);
    assert.ok(problems[1]?.message.startsWith(`${PATH}:4:1: `), problems[1]?.message);
  });

  test('an unterminated string is reported at the line where it opened', () => {
    const problems = problemsOf("SELECT 1;\nSELECT 'oops;\nSELECT 2;\n");
    assert.deepEqual(
      problems.map(({ code, line }) => ({ code, line })),
      [{ code: 'UNTERMINATED', line: 2 }],
    );
  });
});

test('a clean migration has no problems', () => {
  assert.deepEqual(codesOf("-- create the orders table\nCREATE TABLE orders (id bigint PRIMARY KEY, note text DEFAULT 'a;b');\n"), []);
});

describe('SESSION_SETTING', () => {
  const noTransaction = (statement: string): string => `-- pgshift:no-transaction\nCREATE TABLE IF NOT EXISTS orders (id int);\n${statement}\n`;
  for (const [statement, name] of [
    ['SET search_path = app;', 'SET search_path'],
    ["set statement_timeout to '1min';", 'SET statement_timeout'],
    ['SET SESSION lock_timeout = 0;', 'SET SESSION LOCK_TIMEOUT'],
    ['SET ROLE deployer;', 'SET role'],
    ['SET SESSION AUTHORIZATION deployer;', 'SET SESSION AUTHORIZATION'],
  ] as const) {
    test(`${statement} in a no-transaction file is refused at its line`, () => {
      const [problem, ...rest] = problemsOf(noTransaction(statement));
      assert.deepEqual(rest, []);
      assert.equal(problem?.code, 'SESSION_SETTING');
      assert.equal(problem?.line, 3);
      assert.ok(problem?.message.startsWith(`${PATH}:3:1: ${name} changes the session`), problem?.message);
      assert.match(problem?.hint ?? '', /pgshift:lock-timeout=5s/);
    });
  }
  test('each session-level SET in a no-transaction file is reported, at its own line', () => {
    const problems = problemsOf(noTransaction("SET search_path = app;\nSET LOCAL lock_timeout = '1s';\nSET ROLE deployer;\nSET statement_timeout = 0;"));
    assert.deepEqual(
      problems.map((problem) => [problem.code, problem.line, problem.message.slice(0, problem.message.indexOf(' changes'))]),
      [
        ['SESSION_SETTING', 3, `${PATH}:3:1: SET search_path`],
        ['SESSION_SETTING', 5, `${PATH}:5:1: SET role`],
        ['SESSION_SETTING', 6, `${PATH}:6:1: SET statement_timeout`],
      ],
    );
  });
  test('SET LOCAL, SET TRANSACTION and SET CONSTRAINTS end with their transaction: allowed', () => {
    for (const statement of ["SET LOCAL lock_timeout = '1s';", 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;', 'SET CONSTRAINTS ALL DEFERRED;']) {
      assert.deepEqual(codesOf(noTransaction(statement)), [], statement);
    }
  });
  test('a transactional file may SET: pgshift resets the session after it', () => {
    assert.deepEqual(codesOf('SET search_path = app;\nCREATE TABLE IF NOT EXISTS orders (id int);\n'), []);
  });
});

describe('files pgshift must not send', () => {
  test('a NUL byte is INVALID_ENCODING at its line and column', () => {
    const [problem] = problemsOf('SELECT 1;\nSELECT \0 2;\n');
    assert.equal(problem?.code, 'INVALID_ENCODING');
    assert.equal(problem?.line, 2);
    assert.match(problem?.message ?? '', /^migrations\/007_add_orders\.sql:2:8: a NUL byte/);
  });

  test('a migration still marked -- pgshift:unwritten is UNWRITTEN at the marker; a rollback is left to down', () => {
    const text = '-- Migration: x\n-- pgshift:unwritten\n\n-- CREATE TABLE t (id int);\n';
    const [problem] = problemsOf(text);
    assert.equal(problem?.code, 'UNWRITTEN');
    assert.match(problem?.message ?? '', /007_add_orders\.sql:2:1: still unwritten/);
    assert.deepEqual(analyzeScript({ ...sqlFile(text), kind: 'rollback', path: 'rollbacks/007_add_orders.sql' }).problems, []);
  });

  test('-- pgshift:allow parse-error needs a reason, and is kept as one', () => {
    assert.deepEqual(codesOf('-- pgshift:allow parse-error\nSELECT 1;\n'), ['BAD_DIRECTIVE']);
    const analysis = analyzeScript(sqlFile('-- pgshift:allow parse-error uses PostgreSQL 18 syntax\nSELECT 1;\n'));
    assert.deepEqual(analysis.problems, []);
    assert.equal(analysis.directives.allowParseError, 'uses PostgreSQL 18 syntax');
  });
});

describe('MISPLACED_DIRECTIVE', () => {
  test('a directive after the first statement is refused at its line and column, and not taken', () => {
    const analysis = analyzeScript(sqlFile("SET LOCAL search_path = app;\n-- pgshift:lock-timeout=1s\nALTER TABLE orders ADD COLUMN note text;\n"));
    assert.deepEqual(
      analysis.problems.map((problem) => [problem.code, problem.line, problem.message]),
      [['MISPLACED_DIRECTIVE', 2, 'migrations/007_add_orders.sql:2:4: pgshift:lock-timeout=1s comes after the first statement, where directives are not read']],
    );
    assert.match(analysis.problems[0]?.hint ?? '', /move it into the comment block at the top of the file/);
    assert.equal(analysis.directives.lockTimeout, undefined);
  });

  test('in a block comment, and for every directive, unknown ones and allow parse-error included', () => {
    const text = 'SELECT 1;\n/* notes\n   pgshift:no-transaction */\nSELECT 2; -- pgshift:nonsense\n-- pgshift:allow parse-error newer syntax\nSELECT 3;\n';
    assert.deepEqual(
      problemsOf(text).map((problem) => [problem.code, problem.line]),
      [
        ['MISPLACED_DIRECTIVE', 3],
        ['MISPLACED_DIRECTIVE', 4],
        ['MISPLACED_DIRECTIVE', 5],
      ],
    );
  });

  test('an unknown one is worded as unknown, and pgshift:unwritten is to be deleted rather than moved', () => {
    const [unknown, unwritten] = problemsOf('SELECT 1;\n-- pgshift:allowed index-not-concurrent x\n-- pgshift:unwritten\nSELECT 2;\n');
    assert.equal(unknown?.code, 'MISPLACED_DIRECTIVE');
    assert.equal(unknown?.message, 'migrations/007_add_orders.sql:2:4: unknown directive "pgshift:allowed index-not-concurrent x", after the first statement');
    assert.match(unknown?.hint ?? '', /^the directives are pgshift:no-transaction/);
    assert.match(unwritten?.hint ?? '', /^delete it: it marks pgshift new's template/);
  });

  test('pgshift:allow RULE before a later statement is a lint suppression; pgshift: in strings, bodies or prose is nothing', () => {
    const text = [
      'CREATE TABLE t (id int);',
      '-- pgshift:allow index-not-concurrent the table was created above',
      'CREATE INDEX ix_t ON t (id);',
      "COMMENT ON TABLE t IS '-- pgshift:no-transaction';",
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$',
      '-- pgshift:lock-timeout=1s',
      'SELECT 1 $$;',
      '-- see pgshift:lock-timeout in the README',
      '-- pgshift:allow',
      'SELECT 2;',
      '',
    ].join('\n');
    assert.deepEqual(codesOf(text), []);
  });
});
