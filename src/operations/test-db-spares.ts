/**
 * Spares: clones of a template made ahead, while the tests that took the last test database run, so that
 * the next one is a rename away instead of a copy. A process makes one at a time per template, on a session
 * of its own, and only up to the number asked for; one that cannot be made costs speed, nothing else.
 */
import { randomInt } from 'node:crypto';
import type { ResolvedOptions } from '../config/migrator-options.js';
import { freeSpareSlot, spareName } from '../core/test-databases.js';
import { openSession } from '../db/connect.js';
import { ServerError } from '../db/server-error.js';
import type { ConnectionSettings } from '../db/settings.js';
import { createSpare, spareNames } from '../db/test-databases.js';

const making = new Map<string, Promise<void>>();
let warned = false;

/** This process's spare of `template` being made, if any, once done: taking it beats a second copy beside it. */
export async function spareUnderWay(template: string): Promise<void> {
  await making.get(template);
}

/** Starts making a spare of `template` unless `wanted` are there already or one is under way; never throws. */
export function makeSpare(context: ResolvedOptions, settings: ConnectionSettings, template: string, wanted: number): void {
  if (wanted <= 0 || making.has(template)) return;
  const work = (async () => {
    const session = await openSession(settings, context.logger, { waitSeconds: context.connectWaitSeconds });
    try {
      // Another process may make the slot drawn first: then another free one, while there is one.
      for (let attempt = 0; attempt < wanted; attempt++) {
        const slot = freeSpareSlot(template, (await spareNames(session, template)).all, wanted, (count) => randomInt(count));
        if (slot === undefined) return;
        const name = spareName(template, slot);
        const made = await createSpare(session, name, template).then(
          () => true,
          (error: unknown) => {
            if (error instanceof ServerError && (error.fields.sqlState === '42P04' || error.fields.sqlState === '23505')) return false;
            throw error;
          },
        );
        if (made) {
          context.logger.debug(`spare ${name} made of ${template}`);
          return;
        }
      }
    } finally {
      await session.close().catch(() => undefined);
    }
  })()
    .catch((error: unknown) => {
      // The template is being dropped, or copied by hand: nothing to say.
      const state = error instanceof ServerError ? error.fields.sqlState : undefined;
      if (state === '55006' || state === '3D000' || warned) return;
      warned = true;
      context.logger.warn(`cannot make a spare test database of ${template} (the next ones are copied when asked for): ${(error as Error).message}`);
    })
    .finally(() => making.delete(template));
  making.set(template, work);
}
