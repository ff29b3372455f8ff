/**
 * Lint rules over parse trees: the migrations that would lock production or break the team's own rules.
 * Pure: statements in, findings out. Each rule says what it catches, why (the lock it takes or the
 * failure it risks) and the safe way to do it.
 */

export interface RuleInfo {
  readonly id: string;
  /** What the rule catches. */
  readonly catches: string;
  /** Why it matters: the lock taken or the failure risked. */
  readonly why: string;
  /** The safe way to do it. */
  readonly safe: string;
}

export const RULES = [
  {
    id: 'index-not-concurrent',
    catches: 'CREATE INDEX or DROP INDEX without CONCURRENTLY on an existing table',
    why: 'it takes a SHARE (create) or ACCESS EXCLUSIVE (drop) lock: writes to the table wait until it ends',
    safe: 'CREATE INDEX CONCURRENTLY / DROP INDEX CONCURRENTLY in a file of its own with -- pgshift:no-transaction',
  },
  {
    id: 'add-column-not-null',
    catches: 'ADD COLUMN ... NOT NULL without a DEFAULT on an existing table',
    why: 'it fails on any table that has rows',
    safe: 'add the column with a DEFAULT, or add it nullable, backfill, then SET NOT NULL',
  },
  {
    id: 'volatile-default',
    catches: 'ADD COLUMN with a volatile DEFAULT (random(), gen_random_uuid(), clock_timestamp(), nextval()) on an existing table',
    why: 'it rewrites the whole table under an ACCESS EXCLUSIVE lock',
    safe: 'add the column without a default (or a constant one), then backfill in batches',
  },
  {
    id: 'alter-column-type',
    catches: 'ALTER COLUMN ... TYPE on an existing table',
    why: 'most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock',
    safe: 'add a new column, backfill, switch readers and writers, then drop the old one',
  },
  {
    id: 'set-not-null',
    catches: 'SET NOT NULL on an existing table without a validated CHECK (col IS NOT NULL) first',
    why: 'it scans the whole table under an ACCESS EXCLUSIVE lock',
    safe: 'ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT; then SET NOT NULL (it uses the check)',
  },
  {
    id: 'constraint-not-valid',
    catches: 'a FOREIGN KEY or CHECK added to an existing table without NOT VALID',
    why: 'it validates every row while holding a lock that blocks writes',
    safe: 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration (it takes a weaker lock)',
  },
  {
    id: 'unique-constraint',
    catches: 'ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) on an existing table without USING INDEX',
    why: 'it builds the index while blocking writes',
    safe: 'CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE USING INDEX',
  },
  {
    id: 'rename-or-drop',
    catches: 'renaming or dropping a column or table (in a migration; rollbacks are exempt)',
    why: 'code still running against the old schema breaks',
    safe: 'stop using it in the code first and deploy; drop or rename it in a later migration',
  },
  {
    id: 'concurrently-in-transaction',
    catches: 'CONCURRENTLY in a transactional file',
    why: 'PostgreSQL refuses it inside a transaction block',
    safe: 'start the file with -- pgshift:no-transaction (best in a file of its own)',
  },
  {
    id: 'create-if-not-exists',
    catches: 'CREATE TABLE, INDEX, SCHEMA, SEQUENCE or EXTENSION without IF NOT EXISTS',
    why: "the team's rule: a migration must also work on a database changed by hand",
    safe: 'CREATE ... IF NOT EXISTS',
  },
  {
    id: 'drop-if-exists',
    catches: 'DROP without IF EXISTS',
    why: "the team's rule: a migration (and a rollback) must also work on a database changed by hand",
    safe: 'DROP ... IF EXISTS',
  },
  {
    id: 'foreign-key-index',
    catches: 'a new foreign key whose columns lead no index created in the same file',
    why: "the team's rule: without one, deletes on the parent table scan the child table",
    safe: 'CREATE INDEX on the foreign key columns in the same migration',
  },
  {
    id: 'missing-comment',
    catches: 'a new table, or a column added to an existing table, with no COMMENT ON in the same file',
    why: "the team's rule: document changes with comments",
    safe: "COMMENT ON TABLE ... IS '...'; COMMENT ON COLUMN ... IS '...'",
  },
  {
    id: 'timestamp-without-time-zone',
    catches: 'a timestamp (without time zone) column',
    why: 'it stores wall-clock values without an offset: times shift with the server and client time zones',
    safe: 'timestamptz',
  },
  {
    id: 'serial-or-int-key',
    catches: 'serial columns, or an int/smallint primary key',
    why: 'serial has awkward ownership and permissions; a 32-bit key runs out',
    safe: 'bigint GENERATED ALWAYS AS IDENTITY',
  },
  {
    id: 'varchar-length',
    catches: 'varchar(n)',
    why: 'the limit is a constraint in disguise, and raising it later can rewrite the table',
    safe: 'text (with a CHECK on length if a limit matters)',
  },
  {
    id: 'role-or-database-setting',
    catches: 'ALTER ROLE ... SET or ALTER DATABASE ... SET',
    why: 'it changes the default for connections opened later: neither this run nor the migrations after it see the setting, whatever the file order suggests',
    safe: 'SET LOCAL in each migration that needs the setting; keep ALTER ROLE/DATABASE ... SET for the defaults of later connections (the application\'s)',
  },
  {
    id: 'empty-file',
    catches: 'a file with no statements',
    why: 'it is recorded as applied while doing nothing, which is usually a mistake',
    safe: 'write the migration, or delete the file',
  },
] as const satisfies readonly RuleInfo[];

export type RuleId = (typeof RULES)[number]['id'];
export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((rule) => rule.id));

export interface StatementNode {
  readonly node: Readonly<Record<string, unknown>>;
  /** Character index of the statement's first token in the file. */
  readonly start: number;
}

export interface RawFinding {
  readonly rule: RuleId;
  readonly message: string;
  /** Index (into the file's statements) of the statement it is about. */
  readonly statement: number;
}

export interface FileFacts {
  readonly kind: 'migration' | 'rollback';
  readonly transaction: boolean;
}

type Value = unknown;
const obj = (value: Value): Record<string, unknown> => (value && typeof value === 'object' ? (value as Record<string, unknown>) : {});
const list = (value: Value): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: Value): string | undefined => (typeof value === 'string' ? value : undefined);
/** `{ Kind: {...} }` → ['Kind', {...}] */
const unwrap = (value: Value): [string, Record<string, unknown>] => {
  const [entry] = Object.entries(obj(value));
  return entry ? [entry[0], obj(entry[1])] : ['', {}];
};
const relName = (relation: Value): string => str(obj(relation)['relname'])?.toLowerCase() ?? '';
const names = (items: Value): string[] => list(items).map((item) => str(obj(obj(item)['String'])['sval']) ?? '');
const typeName = (columnDef: Record<string, unknown>): { name: string; modifiers: number } => {
  const type = obj(columnDef['typeName']);
  const parts = names(type['names']);
  return { name: parts.at(-1) ?? '', modifiers: list(type['typmods']).length };
};
const constraintsOf = (columnDef: Record<string, unknown>): Array<Record<string, unknown>> =>
  list(columnDef['constraints']).map((item) => unwrap(item)[1]);

const VOLATILE = new Set(['random', 'gen_random_uuid', 'uuid_generate_v4', 'clock_timestamp', 'timeofday', 'nextval', 'txid_current']);

function callsVolatile(expression: Value): boolean {
  if (Array.isArray(expression)) return expression.some(callsVolatile);
  if (!expression || typeof expression !== 'object') return false;
  const record = expression as Record<string, unknown>;
  const call = record['FuncCall'];
  if (call && VOLATILE.has(names(obj(call)['funcname']).at(-1) ?? '')) return true;
  return Object.values(record).some(callsVolatile);
}

/** Every rule's findings for one file's statements, before configuration and suppressions apply. */
export function checkStatements(statements: readonly StatementNode[], facts: FileFacts): RawFinding[] {
  const findings: RawFinding[] = [];
  const createdTables = new Set<string>();
  const commented = new Set<string>();
  const indexedLeads = new Set<string>();
  const foreignKeys: Array<{ table: string; columns: string[]; statement: number }> = [];
  const newTables: Array<{ table: string; statement: number }> = [];
  const newColumns: Array<{ table: string; column: string; statement: number }> = [];
  const notNullChecks = new Set<string>();
  const pendingNullChecks = new Map<string, string>();
  const migration = facts.kind === 'migration';
  const add = (rule: RuleId, statement: number, message: string): void => void findings.push({ rule, statement, message });
  const existing = (table: string): boolean => !createdTables.has(table);

  const checkColumnType = (columnDef: Record<string, unknown>, where: string, index: number, primaryKey: boolean): void => {
    const { name, modifiers } = typeName(columnDef);
    if (name === 'timestamp') add('timestamp-without-time-zone', index, `${where} is timestamp without time zone`);
    if (name === 'varchar' && modifiers > 0) add('varchar-length', index, `${where} is varchar(n)`);
    if (['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2'].includes(name)) add('serial-or-int-key', index, `${where} is ${name}`);
    else if (primaryKey && ['int4', 'int2'].includes(name)) add('serial-or-int-key', index, `${where} is a ${name === 'int4' ? 'integer' : 'smallint'} primary key`);
  };
  const noteForeignKey = (table: string, constraint: Record<string, unknown>, columns: string[], index: number): void => {
    const fkColumns = names(constraint['fk_attrs']);
    foreignKeys.push({ table, columns: fkColumns.length > 0 ? fkColumns : columns, statement: index });
  };
  const noteIndex = (table: string, columns: string[]): void => {
    if (columns[0]) indexedLeads.add(`${table}.${columns[0]}`);
  };

  statements.forEach(({ node }, index) => {
    const [kind, stmt] = unwrap(node);
    switch (kind) {
      case 'CreateStmt': {
        const table = relName(stmt['relation']);
        createdTables.add(table);
        newTables.push({ table, statement: index });
        if (!stmt['if_not_exists']) add('create-if-not-exists', index, `CREATE TABLE ${table} without IF NOT EXISTS`);
        const tablePrimaryKey = new Set<string>();
        for (const element of list(stmt['tableElts'])) {
          const [elementKind, body] = unwrap(element);
          if (elementKind === 'Constraint') {
            const keys = names(body['keys']);
            if (body['contype'] === 'CONSTR_PRIMARY' || body['contype'] === 'CONSTR_UNIQUE') noteIndex(table, keys);
            if (body['contype'] === 'CONSTR_PRIMARY') keys.forEach((key) => tablePrimaryKey.add(key));
            if (body['contype'] === 'CONSTR_FOREIGN') noteForeignKey(table, body, [], index);
          }
        }
        for (const element of list(stmt['tableElts'])) {
          const [elementKind, column] = unwrap(element);
          if (elementKind !== 'ColumnDef') continue;
          const name = str(column['colname']) ?? '';
          const constraints = constraintsOf(column);
          const primary = tablePrimaryKey.has(name) || constraints.some((c) => c['contype'] === 'CONSTR_PRIMARY');
          if (constraints.some((c) => c['contype'] === 'CONSTR_PRIMARY' || c['contype'] === 'CONSTR_UNIQUE')) noteIndex(table, [name]);
          for (const constraint of constraints) if (constraint['contype'] === 'CONSTR_FOREIGN') noteForeignKey(table, constraint, [name], index);
          checkColumnType(column, `column ${table}.${name}`, index, primary);
        }
        break;
      }
      case 'IndexStmt': {
        const table = relName(stmt['relation']);
        noteIndex(table, list(stmt['indexParams']).map((param) => str(obj(obj(param)['IndexElem'])['name'])?.toLowerCase() ?? ''));
        if (!stmt['if_not_exists'] && migration) add('create-if-not-exists', index, `CREATE INDEX ${str(stmt['idxname']) ?? ''} without IF NOT EXISTS`);
        if (stmt['concurrent'] && facts.transaction) add('concurrently-in-transaction', index, 'CREATE INDEX CONCURRENTLY in a transactional file');
        if (!stmt['concurrent'] && existing(table)) add('index-not-concurrent', index, `CREATE INDEX on existing table ${table} without CONCURRENTLY`);
        break;
      }
      case 'DropStmt': {
        const what = str(stmt['removeType'])?.replace('OBJECT_', '').toLowerCase() ?? 'object';
        if (!stmt['missing_ok']) add('drop-if-exists', index, `DROP ${what.toUpperCase()} without IF EXISTS`);
        if (what === 'index') {
          if (stmt['concurrent'] && facts.transaction) add('concurrently-in-transaction', index, 'DROP INDEX CONCURRENTLY in a transactional file');
          if (!stmt['concurrent']) add('index-not-concurrent', index, 'DROP INDEX without CONCURRENTLY');
        }
        if (what === 'table' && migration) add('rename-or-drop', index, 'DROP TABLE');
        break;
      }
      case 'RenameStmt': {
        const what = str(stmt['renameType']);
        if (migration && (what === 'OBJECT_COLUMN' || what === 'OBJECT_TABLE')) {
          add('rename-or-drop', index, `RENAME ${what === 'OBJECT_COLUMN' ? 'COLUMN' : 'TABLE'} on ${relName(stmt['relation'])}`);
        }
        break;
      }
      case 'CommentStmt': {
        const parts = names(obj(obj(stmt['object'])['List'])['items']).map((part) => part.toLowerCase());
        if (stmt['objtype'] === 'OBJECT_TABLE') commented.add(parts.at(-1) ?? '');
        if (stmt['objtype'] === 'OBJECT_COLUMN') commented.add(parts.slice(-2).join('.'));
        break;
      }
      case 'CreateSchemaStmt':
      case 'CreateSeqStmt':
      case 'CreateExtensionStmt': {
        if (!stmt['if_not_exists'] && migration) add('create-if-not-exists', index, `${kind.replace('Create', 'CREATE ').replace('Stmt', '').toUpperCase()} without IF NOT EXISTS`);
        break;
      }
      case 'AlterTableStmt': {
        const table = relName(stmt['relation']);
        for (const item of list(stmt['cmds'])) {
          const command = obj(obj(item)['AlterTableCmd']);
          const subtype = str(command['subtype']);
          const def = command['def'];
          if (subtype === 'AT_AddColumn') {
            const column = obj(obj(def)['ColumnDef']);
            const name = str(column['colname']) ?? '';
            const constraints = constraintsOf(column);
            const defaults = constraints.filter((c) => c['contype'] === 'CONSTR_DEFAULT');
            newColumns.push({ table, column: name, statement: index });
            checkColumnType(column, `column ${table}.${name}`, index, constraints.some((c) => c['contype'] === 'CONSTR_PRIMARY'));
            for (const constraint of constraints) if (constraint['contype'] === 'CONSTR_FOREIGN') noteForeignKey(table, constraint, [name], index);
            if (existing(table)) {
              if (constraints.some((c) => c['contype'] === 'CONSTR_NOTNULL') && defaults.length === 0) {
                add('add-column-not-null', index, `ADD COLUMN ${table}.${name} NOT NULL without a DEFAULT`);
              }
              if (defaults.some((c) => callsVolatile(c['raw_expr']))) add('volatile-default', index, `ADD COLUMN ${table}.${name} with a volatile DEFAULT`);
            }
          } else if (subtype === 'AT_AlterColumnType' && existing(table)) {
            add('alter-column-type', index, `ALTER COLUMN ${table}.${str(command['name']) ?? ''} TYPE`);
          } else if (subtype === 'AT_SetNotNull' && existing(table) && !notNullChecks.has(`${table}.${str(command['name']) ?? ''}`)) {
            add('set-not-null', index, `SET NOT NULL on ${table}.${str(command['name']) ?? ''} without a validated CHECK first`);
          } else if (subtype === 'AT_DropColumn' && migration) {
            add('rename-or-drop', index, `DROP COLUMN ${table}.${str(command['name']) ?? ''}`);
          } else if (subtype === 'AT_AddConstraint') {
            const [, constraint] = unwrap(def);
            const type = constraint['contype'];
            const keys = names(constraint['keys']);
            if (type === 'CONSTR_FOREIGN') noteForeignKey(table, constraint, [], index);
            if (type === 'CONSTR_PRIMARY' || type === 'CONSTR_UNIQUE') noteIndex(table, keys);
            if (type === 'CONSTR_CHECK') {
              // A validated CHECK (col IS NOT NULL) lets SET NOT NULL skip its scan; a NOT VALID one counts once validated.
              const test = obj(obj(constraint['raw_expr'])['NullTest']);
              const column = names(obj(obj(test['arg'])['ColumnRef'])['fields']).at(-1);
              if (column && test['nulltesttype'] === 'IS_NOT_NULL') {
                if (constraint['skip_validation']) pendingNullChecks.set(str(constraint['conname']) ?? '', `${table}.${column}`);
                else notNullChecks.add(`${table}.${column}`);
              }
            }
            if (!existing(table)) continue;
            if ((type === 'CONSTR_FOREIGN' || type === 'CONSTR_CHECK') && !constraint['skip_validation']) {
              add('constraint-not-valid', index, `${type === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK'} added to ${table} without NOT VALID`);
            }
            if ((type === 'CONSTR_UNIQUE' || type === 'CONSTR_PRIMARY') && !constraint['indexname']) {
              add('unique-constraint', index, `${type === 'CONSTR_UNIQUE' ? 'UNIQUE' : 'PRIMARY KEY'} added to ${table} without USING INDEX`);
            }
          } else if (subtype === 'AT_ValidateConstraint') {
            const validated = pendingNullChecks.get(str(command['name']) ?? '');
            if (validated) notNullChecks.add(validated);
          }
        }
        break;
      }
      case 'AlterRoleSetStmt':
      case 'AlterDatabaseSetStmt': {
        const setting = str(obj(stmt['setstmt'])['name']) ?? 'ALL';
        const target = kind === 'AlterRoleSetStmt' ? `ROLE ${str(obj(stmt['role'])['rolename']) ?? 'ALL'}` : `DATABASE ${str(stmt['dbname']) ?? ''}`;
        add('role-or-database-setting', index, `ALTER ${target} ... ${setting} applies only to connections opened later, not to this run`);
        break;
      }
      default:
        break;
    }
  });

  for (const key of foreignKeys) {
    if (!indexedLeads.has(`${key.table}.${key.columns[0]?.toLowerCase() ?? ''}`)) {
      add('foreign-key-index', key.statement, `foreign key ${key.table}(${key.columns.join(', ')}) has no index leading with ${key.columns[0] ?? 'its column'}`);
    }
  }
  if (migration) {
    for (const { table, statement } of newTables) if (!commented.has(table)) add('missing-comment', statement, `new table ${table} has no COMMENT ON TABLE`);
    for (const { table, column, statement } of newColumns) {
      if (!commented.has(`${table}.${column.toLowerCase()}`)) add('missing-comment', statement, `new column ${table}.${column} has no COMMENT ON COLUMN`);
    }
  }
  return findings;
}
