/**
 * One pass over a file's parse trees that tells every registered rule what each statement does. Rules hear
 * of a statement's parts in the order they appear, and the findings keep that order.
 */
import { constraintsOf, hasConstraint, list, names, obj, relName, str, unwrap, type Node } from './ast.js';
import type { RuleContext, Visitor } from './rule.js';
import { RULE_LIST, type RuleId } from './rules/index.js';

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
  readonly path: string;
  readonly kind: 'migration' | 'rollback';
  readonly transaction: boolean;
}

type Hook = Exclude<keyof Visitor, 'end'>;
type Emit = <K extends Hook>(hook: K, event: Parameters<NonNullable<Visitor[K]>>[0]) => void;

/** Every rule's findings for one file's statements, before configuration and suppressions apply. */
export function checkStatements(statements: readonly StatementNode[], facts: FileFacts): RawFinding[] {
  const findings: RawFinding[] = [];
  const created = new Set<string>();
  const visitors = RULE_LIST.map((rule) => {
    const context: RuleContext = {
      path: facts.path,
      migration: facts.kind === 'migration',
      transaction: facts.transaction,
      existing: (table) => !created.has(table),
      report: (statement, message) => void findings.push({ rule: rule.id, statement, message }),
    };
    return rule.visitor(context);
  });
  const emit: Emit = (hook, event) => {
    for (const visitor of visitors) (visitor[hook] as ((event: unknown) => void) | undefined)?.call(visitor, event);
  };
  statements.forEach(({ node }, statement) => {
    const [kind, stmt] = unwrap(node);
    if (kind === 'CreateStmt') created.add(relName(stmt['relation']));
    emit('statement', { statement, kind, node: stmt });
    walkStatement(kind, stmt, statement, emit);
  });
  for (const visitor of visitors) visitor.end?.();
  return findings;
}

function walkStatement(kind: string, stmt: Node, statement: number, emit: Emit): void {
  switch (kind) {
    case 'CreateStmt':
      return walkCreateTable(stmt, statement, emit);
    case 'IndexStmt': {
      const table = relName(stmt['relation']);
      const columns = list(stmt['indexParams']).map((param) => str(obj(obj(param)['IndexElem'])['name'])?.toLowerCase() ?? '');
      emit('guard', { statement, verb: 'CREATE', object: 'INDEX', name: str(stmt['idxname']) ?? '', guarded: Boolean(stmt['if_not_exists']) });
      return emit('index', { statement, table, columns, concurrent: Boolean(stmt['concurrent']) });
    }
    case 'CreateSchemaStmt':
    case 'CreateSeqStmt':
    case 'CreateExtensionStmt':
      return emit('guard', { statement, verb: 'CREATE', object: kind.slice('Create'.length, -'Stmt'.length).toUpperCase(), guarded: Boolean(stmt['if_not_exists']) });
    case 'DropStmt': {
      const object = str(stmt['removeType'])?.replace('OBJECT_', '').toLowerCase() ?? 'object';
      emit('guard', { statement, verb: 'DROP', object: object.toUpperCase(), guarded: Boolean(stmt['missing_ok']) });
      return emit('drop', { statement, object, concurrent: Boolean(stmt['concurrent']) });
    }
    case 'RenameStmt': {
      const type = str(stmt['renameType']);
      if (type === 'OBJECT_COLUMN' || type === 'OBJECT_TABLE') emit('rename', { statement, object: type === 'OBJECT_COLUMN' ? 'COLUMN' : 'TABLE', table: relName(stmt['relation']) });
      return;
    }
    case 'CommentStmt': {
      const parts = names(obj(obj(stmt['object'])['List'])['items']).map((part) => part.toLowerCase());
      if (stmt['objtype'] === 'OBJECT_TABLE') emit('comment', { statement, target: parts.at(-1) ?? '' });
      if (stmt['objtype'] === 'OBJECT_COLUMN') emit('comment', { statement, target: parts.slice(-2).join('.') });
      return;
    }
    case 'AlterTableStmt':
      return walkAlterTable(stmt, statement, emit);
    case 'AlterRoleSetStmt':
    case 'AlterDatabaseSetStmt': {
      const setting = str(obj(stmt['setstmt'])['name']) ?? 'ALL';
      const target = kind === 'AlterRoleSetStmt' ? `ROLE ${str(obj(stmt['role'])['rolename']) ?? 'ALL'}` : `DATABASE ${str(stmt['dbname']) ?? ''}`;
      return emit('setting', { statement, target, setting });
    }
    default:
      return;
  }
}

/** Table constraints come before the columns: a column is the primary key when a table constraint says so. */
function walkCreateTable(stmt: Node, statement: number, emit: Emit): void {
  const table = relName(stmt['relation']);
  emit('guard', { statement, verb: 'CREATE', object: 'TABLE', name: table, guarded: Boolean(stmt['if_not_exists']) });
  emit('createTable', { statement, table });
  const elements = list(stmt['tableElts']).map(unwrap);
  const primaryKey = new Set<string>();
  for (const [kind, constraint] of elements) {
    if (kind !== 'Constraint') continue;
    if (constraint['contype'] === 'CONSTR_PRIMARY') names(constraint['keys']).forEach((key) => primaryKey.add(key));
    emit('constraint', { statement, table, constraint, added: false });
  }
  for (const [kind, def] of elements) {
    if (kind !== 'ColumnDef') continue;
    const name = str(def['colname']) ?? '';
    const constraints = constraintsOf(def);
    emit('column', { statement, table, name, def, constraints, primaryKey: primaryKey.has(name) || hasConstraint(constraints, 'CONSTR_PRIMARY'), added: false });
  }
}

function walkAlterTable(stmt: Node, statement: number, emit: Emit): void {
  const table = relName(stmt['relation']);
  for (const item of list(stmt['cmds'])) {
    const command = obj(obj(item)['AlterTableCmd']);
    const subtype = str(command['subtype']) ?? '';
    if (subtype === 'AT_AddColumn') {
      const def = obj(obj(command['def'])['ColumnDef']);
      const constraints = constraintsOf(def);
      const column = { statement, table, name: str(def['colname']) ?? '', def, constraints, primaryKey: hasConstraint(constraints, 'CONSTR_PRIMARY'), added: true };
      emit('column', column);
      emit('addColumn', column);
    } else if (subtype === 'AT_AddConstraint') {
      emit('constraint', { statement, table, constraint: unwrap(command['def'])[1], added: true });
    } else {
      emit('alter', { statement, table, subtype, name: str(command['name']) ?? '' });
    }
  }
}
