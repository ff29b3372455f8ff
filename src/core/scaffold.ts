/**
 * `pgshift new NAME`: the next file names and their starting text, built on the team's template and best
 * practices (header comments, IF NOT EXISTS, an index for each new foreign key, COMMENT ON).
 */
import type { Catalog } from './catalog.js';
import { PgshiftError } from './errors.js';
import { parseFileName } from './naming.js';

export interface Scaffold {
  readonly version: number;
  /** File names (no folder) of the migration and its rollback: the same name. */
  readonly fileName: string;
  readonly migration: string;
  readonly rollback: string;
}

/** The marker `new` puts in both files: validation refuses to run either until it is deleted. */
const UNWRITTEN_MARKER = '-- pgshift:unwritten';

export function scaffold(catalog: Catalog, name: string): Scaffold {
  if (/^\d/.test(name)) {
    throw new PgshiftError('USAGE', `new ${JSON.stringify(name)}: the name starts with a number`, {
      hint: `pgshift numbers the file itself: pgshift new ${name.replace(/^[\d_-]+/, '') || 'add_orders'}`,
    });
  }
  const newest = catalog.migrations.at(-1);
  const version = newest ? newest.version + 1 : 1;
  // Keep the width already in use, so that names keep sorting the same way in a file listing.
  const width = newest ? (newest.path.split('/').at(-1)?.split('_')[0]?.length ?? 3) : 3;
  const fileName = `${String(version).padStart(width, '0')}_${name}.sql`;
  const parsed = parseFileName(fileName);
  if ('error' in parsed) {
    throw new PgshiftError('USAGE', `new ${JSON.stringify(name)}: not a valid migration name`, {
      hint: 'use ASCII letters, digits, _ and -, for example: pgshift new add_orders',
    });
  }
  // Most file systems take 255 bytes for a file name; a longer one fails only when it is written.
  if (new TextEncoder().encode(fileName).length > 255) {
    throw new PgshiftError('USAGE', `new: the name is too long for a file name (${fileName.length} characters with its number and .sql; at most 255 bytes)`, {
      hint: 'use a short name that says what the change does, for example: pgshift new add_orders',
    });
  }
  const taken = catalog.migrations.find((file) => file.name === name);
  if (taken) {
    throw new PgshiftError('USAGE', `new ${name}: ${taken.path} already has that name`, {
      hint: 'pick a name that says what this change does; each migration needs its own',
    });
  }
  const title = name.replace(/[_-]+/g, ' ');
  // The examples are commented out; uncommented, they pass pgshift lint as they stand.
  return {
    version,
    fileName,
    migration: `-- Migration: ${title}
-- Purpose: [why this change is needed]
-- Rollback: rollbacks/${fileName}
--
-- Runs in one transaction with its ledger row: do not write BEGIN/COMMIT.
-- For CREATE INDEX CONCURRENTLY on an existing table, put it in a file of its own that starts with:
-- -- pgshift:no-transaction
--
-- up refuses this file until the marker below is deleted: delete it once the migration is written.
${UNWRITTEN_MARKER}

-- Add columns
-- ALTER TABLE table_name
--     ADD COLUMN IF NOT EXISTS new_column text;

-- Create tables
-- CREATE TABLE IF NOT EXISTS child (
--     id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
--     parent_id  bigint NOT NULL REFERENCES table_name (id),
--     created_at timestamptz NOT NULL DEFAULT now()
-- );

-- Create indexes (one for each new foreign key)
-- CREATE INDEX IF NOT EXISTS ix_child_parent_id
--     ON child (parent_id);

-- Add comments
-- COMMENT ON COLUMN table_name.new_column IS 'Description of column';
-- COMMENT ON TABLE child IS 'Description of table';
`,
    rollback: `-- Rollback of migration ${String(version).padStart(width, '0')}: ${title}
-- Undo every change of migrations/${fileName}, newest first, with IF EXISTS.
-- Check it with: pgshift verify --migration migrations/${fileName}
--
-- down refuses this file until the marker below is deleted: delete it once the rollback is written.
${UNWRITTEN_MARKER}

-- DROP TABLE IF EXISTS child;
-- ALTER TABLE table_name DROP COLUMN IF EXISTS new_column;
`,
  };
}
