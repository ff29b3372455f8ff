/** `new` (Migrator.create): writes the next migration and its rollback from the template; no database. */
import type { Migrator } from '../migrator-types.js';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { scaffold } from '../core/scaffold.js';
import { loadCatalog, writeNewFiles } from '../io/loader.js';

export async function create({ dirs, logger }: ResolvedOptions, name: string): ReturnType<Migrator['create']> {
  const made = scaffold(await loadCatalog(dirs, { absentOk: true }), name);
  const written = await writeNewFiles(dirs, made.fileName, made.migration, made.rollback);
  for (const folder of written.createdFolders) logger.info(`created the folder ${folder}`);
  return written;
}
