/**
 * `up --dry-run --format markdown|github`, compared with golden files: what a pull request shows is
 * reviewed like code. PGSHIFT_UPDATE_GOLDEN=1 rewrites the files from this run (then read the diff).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { testDatabase } from '../support/database.js';
import { errorLine, makeProject, repoRoot } from '../support/project.js';
import { reviewProject } from '../support/review.js';

const db = await testDatabase(import.meta.url);
const runGit = (cwd: string, args: readonly string[]) => promisify(execFile)('git', ['-c', 'user.email=review@example.com', '-c', 'user.name=review', ...args], { cwd });

async function golden(name: string, actual: string): Promise<void> {
  const path = join(repoRoot, 'test', 'integration', 'golden', name);
  if (process.env['PGSHIFT_UPDATE_GOLDEN'] === '1') await writeFile(path, actual);
  assert.equal(actual, await readFile(path, 'utf8'), `${name} differs from this run's output`);
}

test('markdown: a verdict, each pending file with its findings and its SQL folded, and exit 0 when up would go through', async () => {
  const { project, args } = await reviewProject(db.url);
  const run = await project.run(args('up', '--dry-run', '--format', 'markdown'));
  assert.equal(run.status, 0, run.stderr);
  await golden('review.md', run.stdout);
});

test('github: one workflow annotation per finding at its file and line, then the verdict', async () => {
  const { project, args } = await reviewProject(db.url);
  const run = await project.run(args('up', '--dry-run', '--format', 'github'));
  assert.equal(run.status, 0, run.stderr);
  await golden('review.github.txt', run.stdout);
  const strict = await project.run(args('up', '--dry-run', '--format', 'github', '--strict'));
  assert.equal(strict.status, 3, 'under --strict the warnings stop up, and the review says so');
  await golden('review-strict.github.txt', strict.stdout);
  // The whole review still, every file with its findings, those that stop up marked as such.
  const markdown = await project.run(args('up', '--dry-run', '--format', 'markdown', '--strict'));
  assert.equal(markdown.status, 3);
  assert.match(markdown.stdout, /^### pgshift: ❌ up would stop with nothing applied: 2 findings under --strict$/m);
  assert.equal(markdown.stdout.match(/^- ❌ `migrations\/002_customer_note\.sql:2:1` /gm)?.length, 2);
  assert.match(markdown.stdout, /^#### `migrations\/003_ix_customers_name\.sql` \(no transaction\)$/m);
  // On a runner, annotations name files from the workspace, which may be above the project.
  const runner = await project.run(args('up', '--dry-run', '--format', 'github'), { env: { GITHUB_WORKSPACE: dirname(project.dir) } });
  assert.match(runner.stdout, new RegExp(`^::warning file=${basename(project.dir)}/migrations/002_customer_note\\.sql,line=2,`, 'm'));
});

test('a run up would refuse: the problems are the review, and the exit status is the refusal', async () => {
  const { project, args } = await reviewProject(db.url);
  await project.write('migrations/004_broken.sql', 'CREATE TABLE broken (id int,);\n');
  const markdown = await project.run(args('up', '--dry-run', '--format', 'markdown'));
  assert.equal(markdown.status, 3);
  await golden('review-refused.md', markdown.stdout);
  const github = await project.run(args('up', '--dry-run', '--format', 'github'));
  assert.equal(github.status, 3);
  assert.match(github.stdout, /^::error file=migrations\/004_broken\.sql,line=1,title=pgshift SYNTAX_ERROR::/m);
  // An error that is no list of problems is the review too, so a workflow never posts an empty comment.
  const unreadable = await project.run(args('up', '--dry-run', '--format', 'github', '--migrations-dir', 'nowhere'));
  assert.equal(unreadable.status, 3);
  assert.match(unreadable.stdout, /^::error title=pgshift UNREADABLE_FILE::the migrations folder nowhere does not exist%0Ahint: /m);
});

test('--format needs --dry-run and is not --json; a format not offered is refused by name', async () => {
  const { project, args } = await reviewProject(db.url);
  for (const [command, message] of [
    [['up', '--format', 'markdown'], '--format markdown goes with --dry-run: a real run prints no review'],
    [['up', '--dry-run', '--format', 'github', '--json'], '--format github and --json are two answers: pick one'],
  ] as const) {
    const run = await project.run(args(...command));
    assert.equal(run.status, 2);
    assert.equal(errorLine(run.stderr)['msg'], message);
  }
  const unknown = await project.run(args('up', '--dry-run', '--format', 'html'));
  assert.equal(unknown.status, 2);
  assert.match(String(errorLine(unknown.stderr)['msg']), /--format.*html/);
  assert.deepEqual((await project.run(args('status', '--json'))).stdout.match(/"state": "applied"/g)?.length, 1, 'nothing was applied');
});

test('with --trace, the trace findings are listed under their file too', async () => {
  const { project, args } = await reviewProject(db.url);
  await project.write('migrations/002_customer_note.sql', 'ALTER TABLE customers ALTER COLUMN name TYPE varchar(200);\n');
  const run = await project.run(args('up', '--dry-run', '--format', 'markdown', '--trace', '--big', '0'));
  assert.equal(run.status, 0, run.stderr);
  const section = run.stdout.slice(run.stdout.indexOf('#### `migrations/002_customer_note.sql`'), run.stdout.indexOf('#### `migrations/003'));
  assert.match(section, /^- ⚠️ `migrations\/002_customer_note\.sql:1:1` \*\*alter-column-type\*\* rewrites review\\_[\w\\]+\\\.customers .* under ACCESS EXCLUSIVE/m);
});

test('--base-ref reviews, with no database, the files added since a git commit; files edited or deleted since are its problems', async () => {
  const { project } = await reviewProject(db.url);
  const git = (...args: string[]) => runGit(project.dir, args);
  await git('init', '-q', '-b', 'main');
  await project.remove('migrations/002_customer_note.sql');
  await project.remove('migrations/003_ix_customers_name.sql');
  await git('add', '.');
  await git('commit', '-qm', 'base');
  await git('checkout', '-qb', 'feature');
  const { project: pending } = await reviewProject(db.url);
  for (const name of ['002_customer_note.sql', '003_ix_customers_name.sql']) await project.write(`migrations/${name}`, await pending.read(`migrations/${name}`));
  await git('add', '.');
  await git('commit', '-qm', 'feature');
  // No database anywhere: the CLI must not look for one, and under CI it would refuse the embedded server.
  const noDatabase = { env: { DATABASE_URL: undefined, CI: 'true' } };
  const review = await project.run(['up', '--dry-run', '--format', 'markdown', '--base-ref', 'main'], noDatabase);
  assert.equal(review.status, 0, review.stderr);
  assert.equal(review.stdout, await readFile(join(repoRoot, 'test', 'integration', 'golden', 'review.md'), 'utf8'), 'the same review as against a database at the base commit');

  // With --trace: the base commit's files rebuilt on a fresh embedded server of the trace's own, removed after.
  await project.write('migrations/004_customer_name.sql', 'ALTER TABLE customers ALTER COLUMN name TYPE varchar(200);\n');
  const traced = await project.run(['up', '--dry-run', '--format', 'markdown', '--trace', '--base-ref', 'main'], noDatabase);
  assert.equal(traced.status, 0, traced.stderr);
  assert.match(traced.stdout, /^- ⚠️ `migrations\/004_customer_name\.sql:1:1` \*\*alter-column-type\*\* rewrites public\\\.customers under ACCESS EXCLUSIVE/m);
  assert.deepEqual((await readdir(project.path('.pgshift'))).filter((name) => name.startsWith('scratch-')), [], 'the scratch server is gone');
  await project.remove('migrations/004_customer_name.sql');

  // Changed in any way git sees: replaced by a link to other text, or taken out of git and edited.
  const original = await project.read('migrations/001_customers.sql');
  await project.write('elsewhere.sql', '-- other text\n');
  await project.remove('migrations/001_customers.sql');
  await symlink('../elsewhere.sql', project.path('migrations/001_customers.sql'));
  const linked = await project.run(['up', '--dry-run', '--format', 'github', '--base-ref', 'main'], noDatabase);
  assert.equal(linked.status, 3, linked.stdout);
  assert.match(linked.stdout, /title=pgshift CHECKSUM_MISMATCH::/);
  await project.remove('migrations/001_customers.sql');
  await project.write('migrations/001_customers.sql', `${original}-- edited\n`);
  await git('rm', '-q', '--cached', 'migrations/001_customers.sql');
  const untracked = await project.run(['up', '--dry-run', '--format', 'github', '--base-ref', 'main'], noDatabase);
  assert.equal(untracked.status, 3, untracked.stdout);
  assert.match(untracked.stdout, /title=pgshift CHECKSUM_MISMATCH::/);
  await git('add', 'migrations/001_customers.sql');

  await project.write('migrations/001_customers.sql', '-- edited after it shipped\n');
  const edited = await project.run(['up', '--dry-run', '--format', 'github', '--base-ref', 'main'], noDatabase);
  assert.equal(edited.status, 3);
  assert.match(edited.stdout, /^::error file=migrations\/001_customers\.sql,title=pgshift CHECKSUM_MISMATCH::/m);
  await project.remove('migrations/001_customers.sql');
  const deleted = await project.run(['up', '--dry-run', '--format', 'github', '--base-ref', 'main'], noDatabase);
  assert.equal(deleted.status, 3);
  assert.match(deleted.stdout, /^::error title=pgshift MIGRATION_MISSING::version 1 \(customers\) is applied but no migration file has that version/m);

  const outside = await makeProject({ 'migrations/001_a.sql': 'SELECT 1;\n' });
  const notGit = await outside.run(['up', '--dry-run', '--format', 'github', '--base-ref', 'main'], noDatabase);
  assert.equal(notGit.status, 2);
  assert.equal(errorLine(notGit.stderr)['msg'], '--base-ref main: migrations/ is not in a git repository');
  await runGit(outside.dir, ['init', '-q']);
  const noCommits = await outside.run(['up', '--dry-run', '--format', 'github', '--base-ref', 'main'], noDatabase);
  assert.equal(errorLine(noCommits.stderr)['msg'], '--base-ref main: the repository has no commits yet');

  for (const [args, message] of [
    [['--base-ref', 'no-such-branch', '--format', 'github'], '--base-ref no-such-branch: git knows no such commit in the repository holding migrations/'],
    [['--base-ref=--output=x', '--format', 'github'], '--base-ref "--output=x" is not a git revision'],
    [['--base-ref', 'main'], '--base-ref goes with --dry-run --format markdown or github: it reviews the files, with no database to plan a script for'],
  ] as const) {
    const run = await project.run(['up', '--dry-run', ...args], noDatabase);
    assert.equal(run.status, 2, run.stderr);
    assert.equal(errorLine(run.stderr)['msg'], message);
  }
});
