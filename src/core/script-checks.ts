import type { Problem } from './errors.js';
import { lineColumnAt } from './position.js';
import { scanSql, type ScanResult } from './sql-lexer.js';
import type { SqlFile } from './types.js';

/**
 * What a file must not contain for pgshift to run it as one transaction with its ledger row:
 * its own transaction control (a COMMIT halfway would commit half the file), and psql-only syntax.
 */
export function scriptProblems(file: SqlFile, scan: ScanResult = scanSql(file.text)): Problem[] {
  const problems: Problem[] = [];
  const at = (index: number): string => {
    const { line, column } = lineColumnAt(file.text, index);
    return `${file.path}:${line}:${column}`;
  };
  const lineOf = (index: number): number => lineColumnAt(file.text, index).line;

  for (const statement of scan.statements) {
    const control = transactionControlName(statement.words);
    if (control) {
      problems.push({
        code: 'TRANSACTION_CONTROL',
        file: file.path,
        version: file.version,
        line: lineOf(statement.start),
        message: `${at(statement.start)}: ${control} would end the transaction pgshift runs this file in`,
        hint: 'remove BEGIN/COMMIT from the file: pgshift already runs each file and its ledger row in one transaction',
      });
      break;
    }
  }
  if (scan.metaCommandAt !== undefined) {
    problems.push({
      code: 'PSQL_ONLY',
      file: file.path,
      version: file.version,
      line: lineOf(scan.metaCommandAt),
      message: `${at(scan.metaCommandAt)}: a psql meta-command (backslash command) is not SQL the server can run`,
      hint: 'write the SQL it stands for (\\i: paste the included file into a migration of its own; \\set: use the value directly)',
    });
  }
  if (scan.copyFromStdinAt !== undefined) {
    problems.push({
      code: 'PSQL_ONLY',
      file: file.path,
      version: file.version,
      line: lineOf(scan.copyFromStdinAt),
      message: `${at(scan.copyFromStdinAt)}: COPY ... FROM STDIN needs psql to send the data lines that follow it`,
      hint: 'turn the data into INSERT ... VALUES statements, or COPY from a file the server can read',
    });
  }
  return problems;
}

/** The statement's name if it starts, ends or prepares a transaction; savepoints are harmless and allowed. */
export function transactionControlName(words: readonly string[]): string | undefined {
  const [first, second] = words;
  switch (first) {
    case 'begin':
    case 'commit':
    case 'end':
    case 'abort':
      return first.toUpperCase();
    case 'start':
      return second === 'transaction' ? 'START TRANSACTION' : undefined;
    case 'rollback':
      return second === 'to' ? undefined : 'ROLLBACK';
    case 'prepare':
      return second === 'transaction' ? 'PREPARE TRANSACTION' : undefined;
    default:
      return undefined;
  }
}
