import { checksumOf } from './checksum.js';
import { defined } from './defined.js';
import { misplacedDirectives, parseDirectives, versionOf, type Directives } from './directives.js';
import type { Problem } from './errors.js';
import { lineColumnAt } from './position.js';
import { scanSql } from './sql-lexer.js';
import { outsideTransactionName, sessionSettingName, transactionControlName } from './statement-kinds.js';
import type { ScriptFile } from './types.js';

export interface ScriptStatement {
  /** Where the statement starts and ends in the file's text (without its semicolon). */
  readonly start: number;
  readonly end: number;
  readonly words: readonly string[];
  /** Set when PostgreSQL cannot run the statement in a transaction block: its name. */
  readonly outsideTransaction?: string;
}

/** A file read as statements, with how it asks to be run and everything that stops it from running. */
export interface ScriptAnalysis {
  readonly directives: Directives;
  readonly statements: readonly ScriptStatement[];
  readonly problems: readonly Problem[];
}

/**
 * Everything about a file that can be known without a server: its directives, its statements, and what it
 * must not contain. A transactional file must not control the transaction itself (a COMMIT halfway would
 * commit half the file) or hold a statement PostgreSQL refuses inside one; no file may hold psql-only syntax.
 */
export function analyzeScript(file: ScriptFile): ScriptAnalysis {
  const scan = scanSql(file.text);
  const { directives, problems } = parseDirectives(file, scan.leadingComments);
  problems.push(...misplacedDirectives(file, scan.laterPgshiftComments));
  const add = (at: number, code: Problem['code'], message: string, hint: string): void => void problems.push(problemAt(file, at, code, message, hint));

  const statements = scan.statements.map((statement): ScriptStatement => {
    const outside = outsideTransactionName(statement.words);
    return {
      start: statement.start,
      end: statement.end,
      words: statement.words,
      ...defined({ outsideTransaction: outside }),
    };
  });

  const control = statements.find((statement) => transactionControlName(statement.words) !== undefined);
  if (control) {
    add(
      control.start,
      'TRANSACTION_CONTROL',
      `${transactionControlName(control.words)} would take the transaction out of pgshift's hands`,
      directives.transaction
        ? 'remove BEGIN/COMMIT from the file: pgshift already runs each file and its ledger row in one transaction'
        : 'remove BEGIN/COMMIT: in a no-transaction file pgshift commits each statement with its progress record',
    );
  }
  const outside = directives.transaction ? statements.find((statement) => statement.outsideTransaction) : undefined;
  if (outside) {
    add(
      outside.start,
      'NEEDS_NO_TRANSACTION',
      `${outside.outsideTransaction} cannot run inside a transaction, and this file runs in one`,
      'put "-- pgshift:no-transaction" in the comment block at the top of the file (best in a file of its own: its statements then run one at a time, each recorded, and a failure resumes where it stopped)',
    );
  }
  // Each one: a file that drops the first SET must not then pass with the second still in it unseen.
  const settings = directives.transaction ? [] : statements.filter((statement) => sessionSettingName(statement.words) !== undefined);
  for (const setting of settings) {
    add(
      setting.start,
      'SESSION_SETTING',
      `${sessionSettingName(setting.words)} changes the session, and in a no-transaction file a run that resumes at a later statement starts a new session without it`,
      'for timeouts use a directive (-- pgshift:lock-timeout=5s, -- pgshift:statement-timeout=30min); each statement here runs in its own transaction, so SET LOCAL lasts for one statement: move statements that need the setting into a transactional file, where SET LOCAL holds for the whole file',
    );
  }
  const nul = file.text.indexOf('\0');
  if (nul !== -1) {
    add(nul, 'INVALID_ENCODING', 'a NUL byte, which PostgreSQL cannot take in SQL text', 'remove it (a file saved as UTF-16 is full of them: save it as UTF-8)');
  }
  if (directives.unwritten && file.kind !== 'rollback') {
    add(Math.max(0, file.text.search(/^[ \t]*--[ \t]*pgshift:unwritten/m)), 'UNWRITTEN', 'still unwritten: it carries -- pgshift:unwritten', `write the ${file.kind === 'migration' ? 'migration' : 'file'}, then delete the -- pgshift:unwritten line`);
  }
  if (scan.unterminated) {
    add(scan.unterminated.at, 'UNTERMINATED', `this ${scan.unterminated.kind} is never closed`, 'close it; everything after it was read as part of it');
  }
  if (scan.metaCommandAt !== undefined) {
    add(
      scan.metaCommandAt,
      'PSQL_ONLY',
      'a psql meta-command (backslash command) is not SQL the server can run',
      'write the SQL it stands for (\\i: paste the included file into a migration of its own; \\set: use the value directly)',
    );
  }
  if (scan.copyFromStdinAt !== undefined) {
    add(
      scan.copyFromStdinAt,
      'PSQL_ONLY',
      'COPY ... FROM STDIN needs psql to send the data lines that follow it',
      'turn the data into INSERT ... VALUES statements, or COPY from a file the server can read',
    );
  }
  return { directives, statements, problems };
}

/**
 * SHA-256 of a statement's text: what resuming a partly applied file checks for edits. Computed only where
 * needed (no-transaction files), not for every statement of every file: a 100 MB bulk load would pay twice.
 */
export function statementHash(file: ScriptFile, statement: ScriptStatement): string {
  return checksumOf(file.text.slice(statement.start, statement.end));
}

/** A problem at a place in a file, its message headed by file:line:column. */
export function problemAt(file: ScriptFile, at: number, code: Problem['code'], message: string, hint: string): Problem {
  const { line, column } = lineColumnAt(file.text, at);
  return { code, file: file.path, ...versionOf(file), line, message: `${file.path}:${line}:${column}: ${message}`, hint };
}
