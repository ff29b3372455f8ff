/** The targets of a many-database run as written: a --targets file's lines, ${VAR}, repeated --database. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { databaseFlagTargets, expandVariables, parseTargetsText, type TargetLine } from '../../src/config/targets.js';
import type { Environment } from '../../src/config/environment.js';
import { isPgshiftError } from '../../src/core/errors.js';

/** The PgshiftError `run` throws: its code and message (and hint, which must not leak either). */
function refusal(run: () => unknown): { code: string; text: string } {
  try {
    run();
  } catch (error) {
    assert.ok(isPgshiftError(error), `expected a PgshiftError, got ${String(error)}`);
    return { code: error.code, text: `${error.message}\n${error.hint ?? ''}` };
  }
  assert.fail('expected it to throw');
}

const parse = (text: string, env: Environment = {}): TargetLine[] => parseTargetsText(text, 'targets.txt', env);
const brief = (targets: readonly TargetLine[]): string[][] => targets.map(({ name, url, where }) => [name, url, where]);

describe('parseTargetsText', () => {
  test('comments (whole line, or after whitespace), blank lines, name=URL and bare URLs named host:port/database', () => {
    const text = [
      '# tenants of the eu cluster',
      '',
      '   ',
      '  # indented comment',
      'eu1=postgres://app@db1.example:5433/app   # the first one',
      '\tpostgresql://app@db2.example/app\t# tab before the comment',
      'postgres://db3.example/app?sslmode=disable',
      '',
    ].join('\n');
    assert.deepEqual(brief(parse(text)), [
      ['eu1', 'postgres://app@db1.example:5433/app', 'targets.txt:5'],
      ['db2.example:5432/app', 'postgresql://app@db2.example/app', 'targets.txt:6'],
      // A query's = does not make the URL a name=URL line.
      ['db3.example:5432/app', 'postgres://db3.example/app?sslmode=disable', 'targets.txt:7'],
    ]);
  });

  test('CRLF line endings and a byte order mark: no \\r left in a URL, line numbers as an editor shows them', () => {
    const targets = parse('\uFEFF# windows\r\na=postgres://h/a\r\n\r\npostgres://h/b\r\n');
    assert.deepEqual(brief(targets), [
      ['a', 'postgres://h/a', 'targets.txt:2'],
      ['h:5432/b', 'postgres://h/b', 'targets.txt:4'],
    ]);
  });

  test('two lines with one name are refused, naming both lines', () => {
    const named = refusal(() => parse('a=postgres://h/a\nb=postgres://h/b\na=postgres://h/c\n'));
    assert.equal(named.code, 'USAGE');
    assert.match(named.text, /^targets\.txt:1 and targets\.txt:3 are both the target a/);
    // Two users of one database are one ledger: the default name leaves the user out.
    const bare = refusal(() => parse('postgres://alice@h/app\n\npostgres://bob@h:5432/app\n'));
    assert.match(bare.text, /^targets\.txt:1 and targets\.txt:3 are both the target h:5432\/app/);
  });

  test('one database under two names is refused too: both would run on one ledger', () => {
    const { code, text } = refusal(() => parse('x=postgres://alice@h/app\ny=postgres://h/b\nz=postgres://bob:hunter2@h:5432/app\n'));
    assert.equal(code, 'USAGE');
    assert.match(text, /^targets\.txt:1 and targets\.txt:3 are both the database h:5432\/app/);
    assert.doesNotMatch(text, /hunter2/);
    // Another port or another database is another target.
    assert.equal(parse('x=postgres://h/app\ny=postgres://h:5433/app\nz=postgres://h/app2\n').length, 3);
  });

  test('a line that is not a URL is refused at file:line, without its text (it may hold a password)', () => {
    for (const line of ['host=db1 password=hunter2 dbname=app', 'a=mysql://u:hunter2@h/app', 'tenant one=postgres://u:hunter2@h/app', 'hunter2']) {
      const { code, text } = refusal(() => parse(`a=postgres://h/a\n${line}\n`));
      assert.equal(code, 'USAGE', line);
      assert.match(text, /^targets\.txt:2: not a target/, line);
      assert.doesNotMatch(text, /hunter2/, line);
    }
  });

  test('a URL whose password cannot be read is refused at file:line without the password, named or not', () => {
    for (const line of ['postgres://u:hunter%zz@h/app', 'a=postgres://u:hunter%zz@h/app']) {
      const { code, text } = refusal(() => parse(`b=postgres://h/b\n${line}\n`));
      assert.equal(code, 'CONFIG_INVALID', line);
      assert.match(text, /^targets\.txt:2: /, line);
      assert.doesNotMatch(text, /hunter/, line);
    }
  });

  test('a file with no target (empty, or only comments and blanks) is refused', () => {
    for (const text of ['', '\n\n', '# nothing yet\n  # still nothing\r\n\n']) {
      const { code, text: message } = refusal(() => parse(text));
      assert.equal(code, 'USAGE');
      assert.match(message, /^targets\.txt names no target/);
    }
  });

  test('${VAR} is expanded per line, and an unset or empty one is refused at its line', () => {
    const env = { TENANT_HOST: 'db9.example', PW: 's3cret' };
    assert.deepEqual(brief(parse('t=postgres://app:${PW}@${TENANT_HOST}/app\n', env)), [['t', 'postgres://app:s3cret@db9.example/app', 'targets.txt:1']]);
    const unset = refusal(() => parse('a=postgres://h/a\nb=postgres://app:${MISSING}@h/b\n', env));
    assert.equal(unset.code, 'USAGE');
    assert.match(unset.text, /^targets\.txt:2: \$\{MISSING\} is not set/);
    const empty = refusal(() => parse('b=postgres://app:${PW}@h/b\n', { PW: '' }));
    assert.match(empty.text, /^targets\.txt:1: \$\{PW\} is set but empty/);
  });
});

describe('expandVariables', () => {
  test('a whole password is percent-encoded, so @ / : % # and spaces survive as the password', () => {
    const password = 'p@ss/w:rd%25# x?';
    const url = expandVariables('postgres://${USER_NAME}:${PW}@db.example:5432/app', { USER_NAME: 'app', PW: password }, 'here');
    const parsed = new URL(url);
    assert.equal(parsed.hostname, 'db.example');
    assert.equal(parsed.pathname, '/app');
    assert.equal(decodeURIComponent(parsed.username), 'app');
    assert.equal(decodeURIComponent(parsed.password), password);
  });

  test('anywhere else a plain value is taken as written, and is not expanded again', () => {
    const env = { HOST: 'db.example:6432', DB: '${HOST}', Q: 'sslmode=require' };
    assert.equal(expandVariables('postgres://u@${HOST}/${DB}?${Q}', env, 'here'), 'postgres://u@db.example:6432/${HOST}?sslmode=require');
    assert.equal(expandVariables('postgres://u@h/$HOME', env, 'here'), 'postgres://u@h/$HOME', '$NAME without braces is text');
    assert.throws(() => expandVariables('postgres://u:${PW:-x}@h/db', env, 'here'), /here: \$\{ opens something other than \$\{NAME\}/);
  });

  test('part of a password or a user is encoded too; elsewhere a value that would move the URL is refused', () => {
    const url = expandVariables('postgres://app:pre${PW}@db.example/app', { PW: 'x@evil.example:5432/other#' }, 'here');
    assert.equal(new URL(url).hostname, 'db.example');
    assert.equal(new URL(url).pathname, '/app');
    for (const value of ['other?host=evil', 'a/b', 'x@y', 'a#b', 'a b']) {
      assert.throws(() => expandVariables('postgres://app@db.example/${DB}', { DB: value }, 'here'), (error: Error) => /would change where the URL points/.test(error.message) && !error.message.includes(value));
    }
  });

  test('an unset or empty variable is refused with where it was written, never its neighbours', () => {
    const unset = refusal(() => expandVariables('postgres://u:${PW}@h/${DB}', { PW: 'hunter2' }, 'targets.txt:7'));
    assert.equal(unset.code, 'USAGE');
    assert.match(unset.text, /^targets\.txt:7: \$\{DB\} is not set\n.*export DB/);
    assert.doesNotMatch(unset.text, /hunter2/);
    assert.match(refusal(() => expandVariables('${A}', { A: '' }, 'x:1')).text, /^x:1: \$\{A\} is set but empty/);
  });
});

describe('databaseFlagTargets', () => {
  test('each --database is a target named host:port/database, in order', () => {
    assert.deepEqual(brief(databaseFlagTargets(['postgres://u@h/a', 'postgresql://u@h:5433/b'])), [
      ['h:5432/a', 'postgres://u@h/a', '--database (1st)'],
      ['h:5433/b', 'postgresql://u@h:5433/b', '--database (2nd)'],
    ]);
  });

  test('the same database twice is refused naming both flags; a non-URL is refused without its text', () => {
    const twice = refusal(() => databaseFlagTargets(['postgres://u@h/a', 'postgres://u@h/b', 'postgres://v:hunter2@h:5432/a']));
    assert.equal(twice.code, 'USAGE');
    assert.match(twice.text, /^--database \(1st\) and --database \(3rd\) are both the target h:5432\/a/);
    assert.doesNotMatch(twice.text, /hunter2/);
    const urls = Array.from({ length: 12 }, (_, index) => `postgres://h/db${index}`);
    const notUrl = refusal(() => databaseFlagTargets([...urls.slice(0, 11), 'host=h password=hunter2']));
    assert.match(notUrl.text, /^--database \(12th\) must be a postgres:\/\/ or postgresql:\/\/ URL/);
    assert.doesNotMatch(notUrl.text, /hunter2/);
    // ${VAR} is the shell's business here: it is neither expanded nor refused.
    assert.equal(databaseFlagTargets(['postgres://h/${DB}', 'postgres://h/b'])[0]?.url, 'postgres://h/${DB}');
  });
});
