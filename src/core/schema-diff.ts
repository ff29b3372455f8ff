/** Differences between two schema snapshots, worded for a person: which object, and what about it. */

type SnapshotMap = ReadonlyMap<string, string>;

const WORDS = {
  rollback: { extra: 'still exists after rollback', missing: 'is missing after rollback (the rollback removes too much)', when: 'after rollback' },
  reapply: { extra: 'exists after re-apply but not after the first apply', missing: 'is missing after re-apply', when: 'after re-apply' },
} as const;

/**
 * `expected` is what the schema should look like, `actual` what it does, after the rollback (expected: the
 * schema before the migration) or after applying the migration again (expected: after its first apply).
 * Objects are named as the snapshot names them: "column public.user_sessions.visibility", "index public.ix_x".
 */
export function describeDifferences(expected: SnapshotMap, actual: SnapshotMap, phase: keyof typeof WORDS): string[] {
  const words = WORDS[phase];
  const when = words.when;
  const differences: string[] = [];
  for (const [object, definition] of actual) {
    const before = expected.get(object);
    if (before === undefined) differences.push(`${object} ${words.extra}`);
    else if (before !== definition) differences.push(`${object} differs ${when}: expected ${clip(before)}, found ${clip(definition)}`);
  }
  for (const object of expected.keys()) {
    if (!actual.has(object)) differences.push(`${object} ${words.missing}`);
  }
  return differences.sort();
}

function clip(definition: string): string {
  const flat = definition.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 160 ? `${flat.slice(0, 157)}...` : flat);
}
