/**
 * What a statement is, from its leading words (as the lexer gives them: lower-case, outside parentheses).
 * The questions pgshift must answer before running anything: does it control the transaction, can it run
 * inside one at all, and does it reach beyond the database it runs in.
 */

/** The statement's name if it starts, ends or prepares a transaction; savepoints are harmless and allowed. */
export function transactionControlName(words: readonly string[]): string | undefined {
  const [first, second, third] = words;
  switch (first) {
    case 'begin':
    case 'commit':
    case 'end':
    case 'abort':
      return second === 'prepared' ? undefined : first.toUpperCase();
    case 'start':
      return second === 'transaction' ? 'START TRANSACTION' : undefined;
    case 'rollback': {
      // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name only undoes part of the transaction.
      const next = second === 'work' || second === 'transaction' ? third : second;
      return next === 'to' || second === 'prepared' ? undefined : 'ROLLBACK';
    }
    case 'prepare':
      return second === 'transaction' ? 'PREPARE TRANSACTION' : undefined;
    default:
      return undefined;
  }
}

/**
 * The statement's name if PostgreSQL refuses to run it inside a transaction block (SQLSTATE 25001), as
 * its reference pages say for each: such a statement can only run in a `-- pgshift:no-transaction` file.
 */
export function outsideTransactionName(words: readonly string[]): string | undefined {
  const [first, second, third] = words;
  const has = (word: string): boolean => words.includes(word);
  switch (first) {
    case 'create':
      if ((second === 'index' || (second === 'unique' && third === 'index')) && has('concurrently')) return 'CREATE INDEX CONCURRENTLY';
      if (second === 'database' || second === 'tablespace' || second === 'subscription') return `CREATE ${second.toUpperCase()}`;
      return undefined;
    case 'drop':
      if (second === 'index' && third === 'concurrently') return 'DROP INDEX CONCURRENTLY';
      if (second === 'database' || second === 'tablespace' || second === 'subscription') return `DROP ${second.toUpperCase()}`;
      return undefined;
    case 'reindex':
      if (has('concurrently')) return 'REINDEX CONCURRENTLY';
      return second === 'database' || second === 'system' ? `REINDEX ${second.toUpperCase()}` : undefined;
    case 'vacuum':
      return 'VACUUM';
    case 'cluster':
      // Only the form without a table clusters every table, each in its own transaction.
      return words.length === 1 ? 'CLUSTER' : undefined;
    case 'alter':
      if (second === 'system') return 'ALTER SYSTEM';
      if (second === 'database' && has('tablespace') && has('set')) return 'ALTER DATABASE SET TABLESPACE';
      if (second === 'table' && has('detach') && has('concurrently')) return 'DETACH PARTITION CONCURRENTLY';
      return undefined;
    case 'commit':
    case 'rollback':
      return second === 'prepared' ? `${first.toUpperCase()} PREPARED` : undefined;
    case 'discard':
      return second === 'all' ? 'DISCARD ALL' : undefined;
    default:
      return undefined;
  }
}

/**
 * The statement if it changes a setting for the rest of the session (SET, SET SESSION, SET ROLE, SET
 * SESSION AUTHORIZATION), unlike SET LOCAL, SET TRANSACTION and SET CONSTRAINTS, which end with the
 * transaction.
 */
export function sessionSettingName(words: readonly string[]): string | undefined {
  const [first, second] = words;
  if (first !== 'set' || second === 'local' || second === 'transaction' || second === 'constraints') return undefined;
  return second === undefined ? 'SET' : `SET ${second === 'session' ? words.slice(1, 3).join(' ').toUpperCase() : second}`;
}

/** The name a CREATE INDEX statement gives its index, if it names one (its schema is its table's). */
export function createdIndexName(words: readonly string[]): string | undefined {
  const at = words.indexOf('index');
  if (words[0] !== 'create' || at === -1) return undefined;
  let i = at + 1;
  if (words[i] === 'concurrently') i++;
  if (words[i] === 'if' && words[i + 1] === 'not' && words[i + 2] === 'exists') i += 3;
  const name = words[i];
  return name === undefined || name === 'on' ? undefined : name;
}

const SHARED_OBJECTS = new Set(['role', 'user', 'group', 'tablespace', 'database']);

/**
 * The statement's name if it changes the server as a whole rather than one database: roles and their
 * membership, tablespaces, databases and their settings and privileges, the server's configuration and
 * the privileges on its parameters, subscriptions, comments and security labels on shared objects. A
 * scratch database on the target's server would carry such a change out of the scratch.
 * Statements built at run time (a DO block, EXECUTE) cannot be seen from their words.
 */
export function clusterWideName(words: readonly string[]): string | undefined {
  const [first, second, third] = words;
  if (first === undefined || second === undefined) return undefined;
  if ((first === 'create' || first === 'alter' || first === 'drop') && SHARED_OBJECTS.has(second)) {
    // A user mapping belongs to one database's foreign server.
    return third === 'mapping' ? undefined : `${first} ${second}`.toUpperCase();
  }
  if (first === 'alter' && second === 'system') return 'ALTER SYSTEM';
  if (first === 'comment' && second === 'on' && third !== undefined && SHARED_OBJECTS.has(third) && third !== 'user' && third !== 'group') {
    return `COMMENT ON ${third.toUpperCase()}`;
  }
  if (first === 'grant' || first === 'revoke') return grantsRole(words) ? `${first.toUpperCase()} role` : grantOnShared(words);
  if (first === 'security' && second === 'label') {
    const on = words.indexOf('on');
    return SHARED_OBJECTS.has(words[on + 1] ?? '') ? `SECURITY LABEL ON ${(words[on + 1] as string).toUpperCase()}` : undefined;
  }
  // A subscription lives in a shared catalog and makes a replication slot on its publisher.
  if ((first === 'create' || first === 'alter' || first === 'drop') && second === 'subscription') return `${first} subscription`.toUpperCase();
  // Both also change privileges on, and the owners of, databases and tablespaces.
  if ((first === 'reassign' || first === 'drop') && second === 'owned') return `${first} owned`.toUpperCase();
  // A command run on the server's machine, or a file written there.
  if (first === 'copy' && words.some((word, index) => word === 'program' && ['to', 'from'].includes(words[index - 1] ?? ''))) return 'COPY ... PROGRAM';
  const called = words.find((word) => SERVER_FUNCTIONS.has(word));
  return called === undefined ? undefined : `${called}()`;
}

/** Functions whose effect outlives any one database: replication slots and origins, other sessions, files, other servers. */
const SERVER_FUNCTIONS = new Set([
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_replication_origin_create',
  'pg_replication_origin_drop',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'lo_export',
  'dblink_exec',
  'dblink_connect',
]);

/** Privileges on a database, a tablespace or a server parameter are kept in the server's shared catalogs. */
const SHARED_GRANTED = new Set(['database', 'tablespace', 'parameter']);

function grantOnShared(words: readonly string[]): string | undefined {
  const on = words[words.indexOf('on') + 1];
  return on !== undefined && SHARED_GRANTED.has(on) ? `${words[0]} ON ${on}`.toUpperCase() : undefined;
}

/** Privileges are named by keywords; anything else granted is a role (whose membership is server-wide). */
const PRIVILEGES = new Set(['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger', 'create', 'connect', 'temporary', 'temp', 'execute', 'usage', 'set', 'alter', 'maintain', 'all']);

function grantsRole(words: readonly string[]): boolean {
  // REVOKE { GRANT | ADMIN | INHERIT | SET } OPTION FOR ...: what follows says what is revoked.
  const granted = words[0] === 'revoke' && words[2] === 'option' && words[3] === 'for' ? words[4] : words[1];
  return granted === undefined || !PRIVILEGES.has(granted);
}
