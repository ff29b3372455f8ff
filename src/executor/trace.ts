/**
 * The lock trace's executor: a migration file run on a scratch session, statement by statement, with the
 * locks and catalog changes of each read before its transaction ends. Never run on a target: every file
 * commits (later files need the schema it leaves) and nothing is recorded in a ledger.
 */
import { isPgshiftError, rewrap } from '../core/errors.js';
import { analyzeScript, type ScriptStatement } from '../core/file-analysis.js';
import { lineColumnAt } from '../core/position.js';
import { quoteLiteral } from '../core/sql-quote.js';
import { catalogChanges, catalogState, heldLocks, preExisting, statementSummary, type CatalogState, type LockRow, type PreExisting } from '../core/trace-diff.js';
import type { FileTrace, LockObservation, StatementTrace } from '../core/trace-types.js';
import { versionOf } from '../core/directives.js';
import type { ScriptFile } from '../core/types.js';
import { SESSION_RESET_SQL } from '../db/session-state.js';
import type { Session } from '../db/session.js';
import { readCatalogRows, readHeldLocks } from '../db/trace-probe.js';
import { aloneScript } from '../db/wire-sql.js';
import type { FailureWording } from './failure.js';
import { sendScript, type ScriptContext } from './send-script.js';
import { watchAlone } from './trace-observer.js';

export interface TraceOptions {
  /**
   * Opens a second session on the same scratch database. Given, a statement that cannot run in a
   * transaction block is watched from it while it runs (`while-waiting`); without it, it is `unobserved`.
   */
  readonly openObserver?: () => Promise<Session>;
}

const WORDING: FailureWording = {
  code: 'MIGRATION_FAILED',
  hint: 'the trace runs each file on a scratch database that holds the applied migrations and the traced files before it (with --migration, that file alone), never on the target: fix the statement, or create what it needs in an earlier migration, and run the trace again',
  stopped: 'the trace ran on a scratch database only: nothing was changed on the target',
};

/** Runs `file` on the scratch session of `context` and says what each statement locked and changed. */
export async function traceFile(context: ScriptContext, file: ScriptFile, options: TraceOptions = {}): Promise<FileTrace> {
  const { directives, statements } = analyzeScript(file);
  try {
    const tracer = await Tracer.start(context, file, options);
    if (directives.transaction) await tracer.inTransaction(statements);
    else for (const statement of statements) await tracer.alone(statement);
    return { path: file.path, ...versionOf(file), name: file.name, transaction: directives.transaction, statements: tracer.traces };
  } catch (error) {
    if (isPgshiftError(error) && error.code === 'MIGRATION_FAILED') {
      throw rewrap(error, 'MIGRATION_FAILED', `${file.path} fails on the scratch copy of the schema: ${error.message}`);
    }
    throw error;
  } finally {
    // As replay does: a SET ROLE or search_path of this file must not decide how the next one runs.
    await context.session.execute(SESSION_RESET_SQL).catch(() => undefined);
  }
}

/** One file's run: the relations it found, the catalogs as the last statement left them, and the traces so far. */
class Tracer {
  readonly traces: StatementTrace[] = [];

  private constructor(
    private readonly context: ScriptContext,
    private readonly file: ScriptFile,
    private readonly options: TraceOptions,
    private readonly pre: PreExisting,
    private state: CatalogState,
  ) {}

  static async start(context: ScriptContext, file: ScriptFile, options: TraceOptions): Promise<Tracer> {
    const state = catalogState(await readCatalogRows(context.session));
    return new Tracer(context, file, options, preExisting(state), state);
  }

  /** The whole file in one transaction, committed at the end; the locks read after each statement accumulate. */
  async inTransaction(statements: readonly ScriptStatement[]): Promise<void> {
    await this.transaction(async () => {
      for (const statement of statements) await this.inOpenTransaction(statement);
    });
  }

  /**
   * A statement of a no-transaction file: in a transaction of its own where PostgreSQL allows one, so its
   * locks are still held when they are read; else sent alone, watched by an observer session if there is one.
   */
  async alone(statement: ScriptStatement): Promise<void> {
    if (statement.outsideTransaction === undefined) {
      await this.transaction(() => this.inOpenTransaction(statement));
      return;
    }
    const { openObserver } = this.options;
    if (openObserver === undefined) {
      await this.send(statement);
      await this.record(statement, [], 'unobserved');
      return;
    }
    const { locks, observed } = await watchAlone(openObserver, this.context.session.info.pid, () => this.send(statement));
    await this.record(statement, locks, observed);
  }

  private async inOpenTransaction(statement: ScriptStatement): Promise<void> {
    await this.send(statement);
    await this.unhurried(async () => this.record(statement, await readHeldLocks(this.context.session, this.context.session.info.pid), 'after'));
  }

  /**
   * A file may SET statement_timeout for its own statements (1ms, say): the catalog reads between them must
   * not fail for it. Lifted for the reads, transaction-locally, and put back after, so the file's next
   * statement runs under its own setting and the session keeps it after commit as it would without the trace.
   */
  private async unhurried(work: () => Promise<void>): Promise<void> {
    const { session } = this.context;
    const { rows } = await session.query<{ previous: string }>(
      "SELECT pg_catalog.current_setting('statement_timeout') AS previous, pg_catalog.set_config('statement_timeout', '0', true)",
    );
    await work();
    await session.execute(`SELECT pg_catalog.set_config('statement_timeout', ${quoteLiteral(rows[0]?.previous ?? '0')}, true)`);
  }

  /** BEGIN, the work, COMMIT; rolled back on any failure (sendScript leaves a one-statement script's transaction to its caller). */
  private async transaction(work: () => Promise<void>): Promise<void> {
    const { session } = this.context;
    await session.execute('BEGIN');
    try {
      await work();
      await session.execute('COMMIT');
    } catch (error) {
      await session.rollback();
      throw error;
    }
  }

  private async send(statement: ScriptStatement): Promise<void> {
    await sendScript(this.context, aloneScript(this.file, statement), WORDING);
  }

  private async record(statement: ScriptStatement, locks: readonly LockRow[], observed: LockObservation): Promise<void> {
    const after = catalogState(await readCatalogRows(this.context.session));
    const { line, column } = lineColumnAt(this.file.text, statement.start);
    this.traces.push({
      number: this.traces.length + 1,
      line,
      column,
      start: statement.start,
      end: statement.end,
      summary: statementSummary(this.file.text.slice(statement.start, statement.end)),
      locks: heldLocks(locks, this.pre),
      observed,
      changes: catalogChanges(this.state, after, this.pre),
    });
    this.state = after;
  }
}
