/** main() runs in this process: what it prints and the status it returns, with nothing left behind. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main, type CliIo } from '../../src/cli/main.js';
import { PGSHIFT_VERSION } from '../../src/version.js';

async function run(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (text: string) => void (stdout += text) }, stderr: { write: (text: string) => void (stderr += text) } };
  const status = await main(args, io);
  return { status, stdout, stderr };
}

test('--version prints the version on the given stdout and returns 0', async () => {
  assert.deepEqual(await run(['--version']), { status: 0, stdout: `${PGSHIFT_VERSION}\n`, stderr: '' });
});

test('--help prints the usage on the given stdout and returns 0', async () => {
  const help = await run(['--help']);
  assert.equal(help.status, 0);
  assert.equal(help.stderr, '');
  assert.match(help.stdout, /^pgshift <command> \[options\]\n/);
  assert.match(help.stdout, /\nConnection:\n/);
});

test('a usage error returns 2 and says why on the given stderr, before anything runs', async () => {
  const noCommand = await run([]);
  assert.equal(noCommand.status, 2);
  assert.equal(noCommand.stdout, '');
  assert.match(noCommand.stderr, /name a command/);
  const badNumber = await run(['status', '--lock-retries', 'x']);
  assert.equal(badNumber.status, 2);
  assert.match(badNumber.stderr, /--lock-retries/);
});

test('main() neither exits nor leaves signal handlers on the process that calls it', async () => {
  const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  assert.equal((await run(['up', '--dry-run=yes'])).status, 2);
  assert.deepEqual([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], before);
});
