/**
 * The issue's table for one size of history: apply N from empty, a no-op `up` with all applied, `status`, and
 * `down` of all, for psql (the floor of apply and down), the bare floor of no-op and status (node connecting
 * with postgres.js to read the ledger; `node -e 0` beside it), a bare Node script sending psql's apply and down
 * scripts (minimal-script.mjs: what Node alone costs there), dbmate, node-pg-migrate, postgrator and pgshift
 * with a cold and a warm parse cache (cold also with the code cache a fresh install has). Each round gives
 * every tool a fresh database and takes it through the four phases, each phase in the round's rotating order;
 * after each phase the tables t_1..t_N and the tool's ledger are counted, so a tool that skipped work fails
 * the bench rather than looking fast.
 */
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { peerTools, type Tool } from './peers.js';
import { compare, oneRound, times, type Compared, type Runner } from './rounds.js';
import { freshInstallCodeCache, psqlApplyScript, psqlRevertScript, root, timed, writeProject, type Bench, type Measure } from './support.js';

export const PHASES = ['apply', 'noop', 'status', 'down'] as const;
export type Phase = (typeof PHASES)[number];
/** The floor each phase's ratios are taken against. */
export const FLOOR: Record<Phase, string> = { apply: 'psql', noop: 'bare floor', status: 'bare floor', down: 'psql' };

export interface IssueTable {
  readonly count: number;
  /** The tools in column order. */
  readonly columns: readonly string[];
  /** Each phase's tools compared with the phase's floor (the floor against itself too). */
  readonly cells: ReadonlyMap<Phase, ReadonlyMap<string, Compared>>;
  /** Per phase and tool, the per-round ratios against another tool of the same round (for "below dbmate"). */
  readonly against: (phase: Phase, tool: string, other: string) => Compared | undefined;
  /** Peers left out, with why. */
  readonly missing: readonly string[];
}

const LEDGER = 'SELECT count(*)::int AS n FROM public.schema_migrations';

/** psql, the bare floors and pgshift cold and warm, laid out in `dir`. */
async function ownTools(bench: Bench, dir: string, count: number): Promise<Tool[]> {
  const [applyScript, revertScript] = [await psqlApplyScript(dir, count), await psqlRevertScript(dir, count)];
  const [cold, warm] = [join(dir, '..', 'pgshift-cold'), join(dir, '..', 'pgshift-warm')];
  for (const copy of [cold, warm]) await cp(dir, copy, { recursive: true });
  // Warm: the cache a run on the same files left behind; here a run before round one, on a database of its own.
  const primed = await bench.freshDatabase();
  await bench.pgshift(['up'], primed, warm);
  await bench.dropDatabase(primed);
  const pgshift = (name: string, project: string, fresh: boolean): Tool => {
    const run = (args: readonly string[]) => async (url: string) => {
      if (fresh) await Promise.all([rm(join(project, '.pgshift'), { recursive: true, force: true }), freshInstallCodeCache()]);
      return bench.pgshift(args, url, project);
    };
    return { name, ledger: LEDGER, apply: run(['up']), noop: run(['up']), status: run(['status']), down: run(['down', '--all']) };
  };
  const node = (args: readonly string[]) => (url: string) => timed(process.execPath, args, { ...bench.env, DATABASE_URL: url }, root);
  const bare = node([join(root, 'bench', 'minimal-ledger.mjs')]);
  const script = (text: string) => (url: string) => timed(process.execPath, [join(root, 'bench', 'minimal-script.mjs')], { ...bench.env, DATABASE_URL: url }, root, text);
  return [
    { name: 'psql', ledger: LEDGER, apply: (url) => bench.psql(url, applyScript), down: (url) => bench.psql(url, revertScript) },
    { name: 'bare floor', ledger: '', noop: bare, status: bare },
    { name: 'bare node', ledger: LEDGER, apply: script(applyScript), down: script(revertScript) },
    { name: 'node -e 0', ledger: '', noop: node(['-e', '0']), status: node(['-e', '0']) },
    pgshift('pgshift cold', cold, true),
    pgshift('pgshift warm', warm, false),
  ];
}

/** Counts the tables t_1..t_N and the tool's ledger rows; both must be `expected`. */
async function check(url: string, tool: Tool, expected: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const [tables] = await sql<Array<{ n: number }>>`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t_[0-9]+$'`;
    const [ledger] = await sql.unsafe<Array<{ n: number }>>(tool.ledger);
    if (tables?.n !== expected || ledger?.n !== expected) {
      throw new Error(`bench: ${tool.name} left ${tables?.n} tables and ${ledger?.n} ledger rows, not ${expected}`);
    }
  } finally {
    await sql.end();
  }
}

export async function issueTable(bench: Bench, count: number, installProblem: string | undefined): Promise<IssueTable> {
  const dir = join(bench.scratch, `issue-${count}`, 'corpus');
  await writeProject(dir, count);
  const peers = await peerTools({ dir, count, into: join(dir, '..'), env: bench.env }, installProblem);
  for (const reason of new Set(peers.missing.map((line) => line.replace(/^[^:]+: /, '')))) process.stderr.write(`bench: peers left out: ${reason}\n`);
  const own = await ownTools(bench, dir, count);
  const tools = [...own.slice(0, 4), ...peers.tools, ...own.slice(4)];
  const seen = new Map(PHASES.map((phase) => [phase, new Map<string, Measure[]>()]));
  for (let round = 0; round < bench.runs; round++) {
    const urls = new Map<string, string>();
    for (const phase of PHASES) {
      const contenders = new Map<string, Runner>();
      for (const tool of tools) {
        const command = tool[phase];
        if (command !== undefined) contenders.set(tool.name, () => step(bench, tool, phase, command, urls, count));
      }
      await oneRound(round, contenders, seen.get(phase) as Map<string, Measure[]>);
    }
    for (const url of urls.values()) await bench.dropDatabase(url);
    // A round of 1,000 migrations takes minutes on a small machine: say how far the run is.
    process.stderr.write(`bench: ${count} migrations, round ${round + 1} of ${bench.runs} done\n`);
  }
  const cells = new Map(
    PHASES.map((phase) => {
      const measured = seen.get(phase) as Map<string, Measure[]>;
      const floor = times(measured.get(FLOOR[phase]));
      return [phase, new Map([...measured].map(([name, measures]) => [name, compare(measures, floor)]))];
    }),
  );
  const against = (phase: Phase, tool: string, other: string): Compared | undefined => {
    const [mine, theirs] = [seen.get(phase)?.get(tool), seen.get(phase)?.get(other)];
    return mine === undefined || theirs === undefined ? undefined : compare(mine, times(theirs));
  };
  return { count, columns: tools.map((tool) => tool.name), cells, against, missing: peers.missing };
}

/** One tool's turn at one phase: a fresh database to apply to, a checkpoint before the writing phases, the count after. */
async function step(bench: Bench, tool: Tool, phase: Phase, command: (url: string) => Promise<Measure>, urls: Map<string, string>, count: number): Promise<Measure> {
  if (phase === 'apply') urls.set(tool.name, await bench.freshDatabase());
  // The bare floors read the ledger psql's floor wrote.
  const url = (urls.get(tool.name) ?? urls.get('psql')) as string;
  if (phase === 'apply' || phase === 'down') await bench.admin.unsafe('CHECKPOINT');
  const measure = await command(url);
  if (tool.ledger !== '') await check(url, tool, phase === 'down' ? 0 : count);
  return measure;
}
