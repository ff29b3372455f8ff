/** scanSql: where psql would end each statement, and what it would refuse to send to the server. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scanSql } from '../../src/core/sql-lexer.js';

/** The statements' text as the lexer delimits them, which is what the server is sent one by one. */
function statementTexts(sql: string): string[] {
  return scanSql(sql).statements.map((statement) => sql.slice(statement.start, statement.end));
}

describe('statement boundaries', () => {
  test('start skips whitespace and end stops before the semicolon; a final statement needs no semicolon', () => {
    const sql = '  SELECT 1;\n\tSELECT 2';
    const { statements } = scanSql(sql);
    assert.deepEqual(
      statements.map(({ start, end }) => ({ start, end })),
      [
        { start: 2, end: 10 },
        { start: 13, end: 21 },
      ],
    );
  });

  test('empty statements (stray semicolons) are not statements', () => {
    assert.deepEqual(statementTexts(';;SELECT 1;;\n;'), ['SELECT 1']);
  });

  test("a semicolon inside a '' string, including after a doubled quote, does not end the statement", () => {
    assert.deepEqual(statementTexts("SELECT 'a;b''c;'; SELECT 2"), ["SELECT 'a;b''c;'", 'SELECT 2']);
  });

  test("in an E'' string a backslash escapes the quote, so the string runs on past it", () => {
    assert.deepEqual(statementTexts("SELECT E'it\\'s;'; SELECT 2;"), ["SELECT E'it\\'s;'", 'SELECT 2']);
    assert.deepEqual(statementTexts("SELECT e'a\\'b;'; SELECT 2;"), ["SELECT e'a\\'b;'", 'SELECT 2']);
  });

  test('in a standard string a backslash is an ordinary character, so the next quote closes it', () => {
    // With standard_conforming_strings (the default) 'x\' is a complete literal: treating \ as an escape
    // here would swallow the next statement into the string.
    assert.deepEqual(statementTexts("SELECT 'x\\'; SELECT 2;"), ["SELECT 'x\\'", 'SELECT 2']);
  });

  test("a string continued on the next line keeps the E'' escape mode of its first part", () => {
    // PostgreSQL reads both parts as one escape string, so the second part's \' does not close it and the
    // semicolon after it is still string content.
    const sql = "SELECT E'a'\n  'b\\'; c'; SELECT 2";
    assert.deepEqual(statementTexts(sql), ["SELECT E'a'\n  'b\\'; c'", 'SELECT 2']);
  });

  test('a quoted identifier may hold a semicolon and a doubled double quote', () => {
    assert.deepEqual(statementTexts('SELECT "a;""b" FROM t; SELECT 2'), ['SELECT "a;""b" FROM t', 'SELECT 2']);
  });

  test('$$ and $tag$ dollar quotes hide semicolons, and a different tag inside does not close the outer one', () => {
    const sql = 'SELECT $$a;b$$; SELECT $outer$ x; $inner$ y; $$ z; $inner$ ; $outer$; SELECT 3';
    assert.deepEqual(statementTexts(sql), ['SELECT $$a;b$$', 'SELECT $outer$ x; $inner$ y; $$ z; $inner$ ; $outer$', 'SELECT 3']);
  });

  test('a positional parameter such as $1 is not the start of a dollar quote', () => {
    assert.deepEqual(statementTexts('PREPARE q AS SELECT $1; SELECT 2'), ['PREPARE q AS SELECT $1', 'SELECT 2']);
  });

  test('a -- comment hides a semicolon up to the end of its line', () => {
    assert.deepEqual(statementTexts('SELECT 1 -- not the end;\n; SELECT 2 -- last line, no newline'), ['SELECT 1', 'SELECT 2']);
  });

  test('block comments nest, so a semicolon after an inner */ is still inside the comment', () => {
    assert.deepEqual(statementTexts('/* a /* b; */ still comment; */ SELECT 1; SELECT /* x; */ 2'), ['SELECT 1', 'SELECT /* x; */ 2']);
  });

  test('a semicolon inside parentheses does not end the statement', () => {
    assert.deepEqual(statementTexts('CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2); SELECT 3'), [
      'CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)',
      'SELECT 3',
    ]);
  });
});

describe('BEGIN ATOMIC routine bodies', () => {
  test('CREATE FUNCTION ... BEGIN ATOMIC ... END is one statement despite the semicolons in its body', () => {
    const sql = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;';
    assert.deepEqual(statementTexts(sql), [
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END',
      'SELECT 3',
    ]);
  });

  test('the END of a CASE inside the body does not close the BEGIN ATOMIC block', () => {
    const sql = [
      'CREATE OR REPLACE PROCEDURE p(x int) LANGUAGE sql',
      'BEGIN ATOMIC',
      '  SELECT CASE WHEN x > 0 THEN 1 ELSE 2 END;',
      '  SELECT 2;',
      'END;',
      'SELECT 3;',
    ].join('\n');
    const texts = statementTexts(sql);
    assert.equal(texts.length, 2);
    assert.match(texts[0] ?? '', /^CREATE OR REPLACE PROCEDURE[\s\S]*SELECT 2;\nEND$/);
    assert.equal(texts[1], 'SELECT 3');
  });

  test('outside a routine definition BEGIN and END are ordinary statements', () => {
    assert.deepEqual(statementTexts('CREATE TABLE t (a int); BEGIN; SELECT 1; END;'), ['CREATE TABLE t (a int)', 'BEGIN', 'SELECT 1', 'END']);
  });

  test('BEGIN and END inside a dollar-quoted function body do not count as a block', () => {
    const sql = 'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$; SELECT 2;';
    assert.deepEqual(statementTexts(sql), ['CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$', 'SELECT 2']);
  });
});

describe('words', () => {
  test('are the lower-cased bare words outside parentheses, without numbers, strings or quoted names', () => {
    const [statement] = scanSql(`SELECT count(x), 1e10, 'lit', "Quoted" FROM (SELECT y) AS Sub`).statements;
    assert.deepEqual(statement?.words, ['select', 'count', 'from', 'as', 'sub']);
  });

  test('stop after eight', () => {
    const [statement] = scanSql('a b c d e f g h i j').statements;
    assert.deepEqual(statement?.words, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });
});

describe('unterminated constructs', () => {
  const cases = [
    { sql: "SELECT 1; SELECT 'abc;", kind: 'string', at: 17 },
    { sql: "SELECT E'abc\\';", kind: 'string', at: 8 },
    { sql: 'SELECT "abc;', kind: 'quoted identifier', at: 7 },
    { sql: 'SELECT $body$ abc; $other$;', kind: 'dollar-quoted string', at: 7 },
    { sql: 'SELECT 1; /* open /* nested */ still open;', kind: 'block comment', at: 10 },
  ] as const;
  for (const { sql, kind, at } of cases) {
    test(`${JSON.stringify(sql)} reports an unterminated ${kind} where it opened`, () => {
      assert.deepEqual(scanSql(sql).unterminated, { kind, at });
    });
  }

  test('a fully closed script reports nothing unterminated', () => {
    assert.equal(scanSql(`SELECT 'a', "b", $$c$$ /* d /* e */ */; -- f`).unterminated, undefined);
  });
});

describe('psql-only syntax', () => {
  test('metaCommandAt is the index of the first backslash command, here a \\set line', () => {
    const sql = 'SELECT 1;\n\\set x 1\nSELECT 2;\n\\i other.sql\n';
    const result = scanSql(sql);
    assert.equal(result.metaCommandAt, sql.indexOf('\\set'));
    assert.deepEqual(
      result.statements.map((statement) => sql.slice(statement.start, statement.end)),
      ['SELECT 1', 'SELECT 2'],
      'the meta-command line is not part of any statement',
    );
  });

  test('a \\i line at the very start is found at index 0', () => {
    assert.equal(scanSql('\\i other.sql\n').metaCommandAt, 0);
  });

  test('a backslash inside a string, identifier, dollar quote or comment is not a meta-command', () => {
    const result = scanSql(`SELECT 'a\\b', E'\\n', "c\\d", $$\\e$$; -- \\f\n/* \\g */ SELECT 2;`);
    assert.equal(result.metaCommandAt, undefined);
  });

  test('copyFromStdinAt is the index of COPY ... FROM STDIN, and scanning stops there', () => {
    const sql = 'SELECT 1;\nCOPY t (a, b) FROM stdin;\n1\t2\n\\.\nSELECT 9;\n';
    const result = scanSql(sql);
    assert.equal(result.copyFromStdinAt, sql.indexOf('COPY'));
    // The data lines are not SQL: reading on would report "\." as a meta-command and "SELECT 9" as a statement.
    assert.equal(result.statements.length, 2);
    assert.equal(result.metaCommandAt, undefined);
  });

  test('COPY ... FROM STDIN as the last statement, without a semicolon, is found too', () => {
    assert.equal(scanSql('SELECT 1;\nCOPY t FROM STDIN WITH (FORMAT csv)').copyFromStdinAt, 10);
  });

  test('COPY from a server file or to stdout is not COPY FROM STDIN', () => {
    assert.equal(scanSql("COPY t FROM '/data/t.csv'; COPY t TO STDOUT;").copyFromStdinAt, undefined);
  });
});

describe('leading comments', () => {
  test('are the comments before the first statement, without their -- or /* */ markers', () => {
    const sql = '-- pgshift:no-transaction\n/* block\n   two lines */\n-- last\nSELECT 1; -- after the first statement\n/* also after */ SELECT 2;';
    assert.deepEqual(scanSql(sql).leadingComments, [' pgshift:no-transaction', ' block\n   two lines ', ' last']);
  });

  test('a comment inside the first statement is not a leading comment', () => {
    assert.deepEqual(scanSql('SELECT -- inside\n 1;').leadingComments, []);
  });
});
