/** File naming, checksums and positions: the per-file rules of README.md "Writing migrations" and error reporting. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checksumOf, contentOf, normalizeText } from '../../src/core/checksum.js';
import { isSqlFile, parseFileName } from '../../src/core/naming.js';
import { caretSnippet, indexOfServerPosition, lineColumnAt } from '../../src/core/position.js';

describe('parseFileName', () => {
  const valid = [
    ['001_create_users.sql', 1, 'create_users'],
    ['1_x.sql', 1, 'x'],
    ['42_add-index.sql', 42, 'add-index'],
    ['0100_Mixed_Case-9.sql', 100, 'Mixed_Case-9'],
    ['20240101120000_timestamped.sql', 20240101120000, 'timestamped'],
  ] as const;
  for (const [baseName, version, name] of valid) {
    test(`${baseName} is version ${version} named ${name}`, () => {
      assert.deepEqual(parseFileName(baseName), { version, name });
    });
  }

  const invalid = ['1-x.sql', 'abc.sql', '001_.sql', '001_a b.sql', '_x.sql', '001x.sql', '001_x.SQL', '001_x.sql.bak', '001_caf\u00e9.sql'];
  for (const baseName of invalid) {
    test(`${JSON.stringify(baseName)} is refused with a reason`, () => {
      const parsed = parseFileName(baseName);
      assert.ok('error' in parsed, `expected an error, got ${JSON.stringify(parsed)}`);
      assert.match(parsed.error, /NNN_name\.sql/);
    });
  }

  test('accepts exactly the names /^(\\d+)_([A-Za-z0-9_-]+)\\.sql$/ matches, with the same version and name', () => {
    const pattern = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;
    const names = ['1_a.sql', '12_3_4.sql', '007__.sql', '1_-.sql', '12a_x.sql', '1_x.sqlx', '1_x.sq', '1_.sql', '_1_x.sql', '1_x.sql\n', '\u0661_x.sql', '1_x y.sql', '1_x.Sql', '9007199254740991_max.sql', '1__x__.sql', '.sql', '1_.sql.sql', '1_a.b.sql'];
    for (const baseName of names) {
      const match = pattern.exec(baseName);
      const parsed = parseFileName(baseName);
      if (match) assert.deepEqual(parsed, { version: Number(match[1]), name: match[2] }, baseName);
      else assert.ok('error' in parsed, `${JSON.stringify(baseName)} should be refused`);
    }
  });

  test('a version beyond the largest safe integer is refused instead of being rounded onto another', () => {
    const parsed = parseFileName('99999999999999999999_x.sql');
    assert.ok('error' in parsed);
    assert.match(parsed.error, /larger than/);
  });
});

describe('isSqlFile', () => {
  test('any name ending in .sql, in any case, belongs to pgshift; anything else is ignored', () => {
    assert.deepEqual(
      ['001_a.sql', 'typo.SQL', 'abc.sql', 'README.md', '001_a.sql.bak', '.gitkeep'].map(isSqlFile),
      [true, true, true, false, false, false],
    );
  });
});

describe('normalizeText', () => {
  test('removes a leading BOM only', () => {
    assert.equal(normalizeText('\ufeffSELECT 1;'), 'SELECT 1;');
    assert.equal(normalizeText("SELECT '\ufeff';"), "SELECT '\ufeff';", 'a BOM inside the text is content');
  });

  test('turns CRLF and lone CR into LF', () => {
    assert.equal(normalizeText('a\r\nb\rc\r\r\nd\n'), 'a\nb\nc\n\nd\n');
  });

  test('leaves LF text unchanged', () => {
    const text = 'SELECT 1;\n\nSELECT 2;\n';
    assert.equal(normalizeText(text), text);
  });
});

describe('checksumOf', () => {
  test('is lowercase hex SHA-256 of the UTF-8 text', () => {
    assert.equal(checksumOf(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(checksumOf('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(checksumOf('\u00e9'), '4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
    assert.match(checksumOf('CREATE TABLE t (id int);\n'), /^[0-9a-f]{64}$/);
  });

  test('a CRLF copy with a BOM hashes the same as the LF original once normalised', () => {
    // A Windows checkout or an editor adding a BOM must not count as drift of an applied migration.
    const original = '-- users\nCREATE TABLE users (id int);\nCREATE INDEX ON users (id);\n';
    const windowsCopy = `\ufeff${original.replaceAll('\n', '\r\n')}`;
    assert.notEqual(checksumOf(windowsCopy), checksumOf(original), 'the raw bytes differ');
    assert.equal(checksumOf(normalizeText(windowsCopy)), checksumOf(normalizeText(original)));
  });

  test('any real edit changes the checksum', () => {
    assert.notEqual(checksumOf('SELECT 1;\n'), checksumOf('SELECT 1; \n'));
  });
});

describe('contentOf', () => {
  // The ledger holds checksums of normalised text: hashing the bytes directly must give exactly those.
  const texts = {
    empty: '',
    ascii: 'CREATE TABLE t (id int);\n',
    'non-ASCII': "SELECT 'déjà vu', '日本', '\u{1F600}';\n",
    'BOM only': '\ufeff',
    BOM: '\ufeffSELECT 1;\n',
    'two BOMs': '\ufeff\ufeffSELECT 1;\n',
    'two BOMs and CRLF': '\ufeff\ufeffSELECT 1;\r\n',
    'BOM inside': "SELECT '\ufeff';\n",
    CRLF: 'SELECT 1;\r\nSELECT 2;\r\n',
    'lone CR': 'a\rb\r\r\nc',
    'BOM, CRLF and non-ASCII': "\ufeffSELECT 'é';\r\n-- 日本\r\n",
    'no final newline': 'SELECT 1;',
  };
  for (const [what, text] of Object.entries(texts)) {
    test(`${what}: the normalised text and its checksum, as normalizeText and checksumOf give them`, () => {
      const normalized = normalizeText(text);
      assert.deepEqual(contentOf(Buffer.from(text, 'utf8')), { text: normalized, checksum: checksumOf(normalized) });
    });
  }

  test('every mix of leading BOMs, line ends and non-ASCII text gives what the text route gives', () => {
    for (const prefix of ['', '\ufeff', '\ufeff\ufeff', ' \ufeff']) {
      for (const body of ['SELECT 1;', 'a\nb\n', 'a\r\nb\r\n', 'a\rb', "'é'\r", '\r', '\n\r\n', '日本\n']) {
        const text = prefix + body;
        const normalized = normalizeText(text);
        assert.deepEqual(contentOf(Buffer.from(text, 'utf8')), { text: normalized, checksum: checksumOf(normalized) }, JSON.stringify(text));
      }
    }
  });

  test('bytes that are not UTF-8 give the line of the first bad byte, and no text', () => {
    const latin1 = Buffer.concat([Buffer.from('SELECT 1;\n-- caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    assert.deepEqual(contentOf(latin1), { invalidUtf8AtLine: 2 });
    assert.deepEqual(contentOf(Buffer.from([0xed, 0xa0, 0x80])), { invalidUtf8AtLine: 1 }, 'an encoded surrogate is not UTF-8');
    assert.deepEqual(contentOf(Buffer.from([0xc0, 0xaf])), { invalidUtf8AtLine: 1 }, 'nor is an overlong encoding');
  });

  test('a view into a larger buffer hashes only its own bytes', () => {
    const shared = Buffer.from('\ufeffSELECT 1;\nSELECT 2;\n', 'utf8');
    const first = shared.subarray(0, Buffer.byteLength('\ufeffSELECT 1;\n'));
    assert.deepEqual(contentOf(first), { text: 'SELECT 1;\n', checksum: checksumOf('SELECT 1;\n') });
  });
});

describe('indexOfServerPosition', () => {
  test('turns a 1-based position into a 0-based index in ASCII text', () => {
    const query = 'SELECT bad FROM t';
    assert.equal(indexOfServerPosition(query, 1), 0);
    assert.equal(indexOfServerPosition(query, 8), query.indexOf('bad'));
  });

  test('counts an astral character (two UTF-16 units) as one, as the server does', () => {
    const query = "SELECT '\u{1F600}\u{1D4B3}', bad FROM t";
    // The server counts code points: 'bad' is character 14, at UTF-16 index 15.
    assert.equal(query.indexOf('bad'), 15);
    assert.equal(indexOfServerPosition(query, 14), 15);
  });

  test('treats characters from the BMP, accented or CJK, as one unit each', () => {
    const query = "SELECT 'h\u00e9\u65e5', bad";
    assert.equal(indexOfServerPosition(query, 15), query.indexOf('bad'));
  });

  test('a position past the end stops at the end of the text', () => {
    assert.equal(indexOfServerPosition('SELECT 1', 100), 8);
  });
});

describe('lineColumnAt', () => {
  test('is 1-based in lines and columns', () => {
    const text = 'SELECT 1;\nSELECT bad;\n';
    assert.deepEqual(lineColumnAt(text, 0), { line: 1, column: 1 });
    assert.deepEqual(lineColumnAt(text, text.indexOf('bad')), { line: 2, column: 8 });
  });

  test('counts the column in code points, so an emoji before the offending token counts once', () => {
    const text = "SELECT 1;\nSELECT '\u{1F600}', bad;";
    assert.deepEqual(lineColumnAt(text, text.indexOf('bad')), { line: 2, column: 13 });
  });

  test('a newline belongs to the line it ends', () => {
    assert.deepEqual(lineColumnAt('ab\ncd', 2), { line: 1, column: 3 });
    assert.deepEqual(lineColumnAt('ab\ncd', 3), { line: 2, column: 1 });
  });
});

describe('caretSnippet', () => {
  test('shows only the offending line, with a caret under the character', () => {
    const text = 'SELECT 1;\nSELECT bad FROM t;\nSELECT 3;\n';
    assert.equal(caretSnippet(text, text.indexOf('bad')), 'SELECT bad FROM t;\n       ^');
  });

  test('keeps tabs so that the caret lines up in a terminal', () => {
    const text = 'SELECT 1;\n\tSELECT\tbad;';
    assert.equal(caretSnippet(text, text.indexOf('bad')), '\tSELECT\tbad;\n\t      \t^');
  });

  test('pads an astral character with one space, not two', () => {
    const text = "SELECT '\u{1F600}', bad";
    assert.equal(caretSnippet(text, text.indexOf('bad')), `${text}\n${' '.repeat(12)}^`);
  });

  test('works at the first character and on a last line without a newline', () => {
    assert.equal(caretSnippet('bad', 0), 'bad\n^');
    assert.equal(caretSnippet('ok;\nbad', 4), 'bad\n^');
  });
});
