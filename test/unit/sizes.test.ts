/** Sizes as the lock trace reports them, and --big as a user types it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgshiftError } from '../../src/core/errors.js';
import { describeSize, formatBytes, formatRows, parseSize } from '../../src/core/sizes.js';

test('bytes in PostgreSQL units, 1024-based, one decimal', () => {
  const cases: Array<[number, string]> = [
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1024, '1 kB'],
    [8192, '8 kB'],
    [1536, '1.5 kB'],
    [1024 * 1024 - 1, '1 MB'],
    [Math.round(1.2 * 1024 ** 3), '1.2 GB'],
    [3 * 1024 ** 4, '3 TB'],
    [2048 * 1024 ** 4, '2048 TB'],
  ];
  for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text, `${bytes}`);
});

test('rows as an estimate, or unknown where the table was never analyzed', () => {
  const cases: Array<[number | undefined, string]> = [
    [undefined, 'rows unknown (never analyzed)'],
    [0, '~0 rows'],
    [1, '~1 row'],
    [999, '~999 rows'],
    [1000, '~1 k rows'],
    [8_400_000, '~8.4 M rows'],
    [999_990, '~1 M rows'],
    [2_500_000_000, '~2.5 G rows'],
  ];
  for (const [rows, text] of cases) assert.equal(formatRows(rows), text, `${String(rows)}`);
});

test('--big takes bytes or a number with a unit, in any case, spaces allowed', () => {
  const cases: Array<[string | number, number]> = [
    ['10MB', 10 * 1024 ** 2],
    ['1GB', 1024 ** 3],
    ['500kB', 500 * 1024],
    ['500 KB', 500 * 1024],
    [' 2 tb ', 2 * 1024 ** 4],
    ['1.5gb', 1.5 * 1024 ** 3],
    ['0', 0],
    [0, 0],
    ['4096', 4096],
    ['10 bytes', 10],
  ];
  for (const [raw, bytes] of cases) assert.equal(parseSize('--big', raw), bytes, `${raw}`);
});

test('anything else is a usage error naming the value and listing the units', () => {
  for (const raw of ['', '10XB', '-1MB', 'MB', '1e3', '10 M B', 'ten', '99999999999 TB', ['1MB', '2MB'], -5, null, { size: 1 }]) {
    assert.throws(
      () => parseSize('--big', raw),
      (error: unknown) => {
        assert.ok(error instanceof PgshiftError);
        assert.equal(error.code, 'USAGE');
        assert.match(error.message, /^--big .* (is not a size|is larger than any table can be \(8 PB at most\))$/);
        assert.doesNotMatch(error.message, /object Object/);
        assert.match(error.hint ?? '', /kB, MB, GB, TB/);
        return true;
      },
      String(raw),
    );
  }
  assert.throws(() => parseSize('--big', '10XB'), /--big 10XB is not a size/);
});

test('a size with its rows, or unknown where the table was never vacuumed or analyzed (relpages 0 then says nothing)', () => {
  assert.equal(describeSize({ bytes: 4.2 * 1024 ** 2, rows: 100_000 }), '4.2 MB, ~100 k rows');
  assert.equal(describeSize({ bytes: 0, rows: undefined }), 'size unknown: never vacuumed or analyzed');
});
