#!/usr/bin/env node
/**
 * The `pgshift` executable: runs main() on the process's arguments and exits with its status. The first
 * SIGINT or SIGTERM stops the run cleanly; a second one exits at once.
 */
import { hideBin } from 'yargs/helpers';
import { terminalRedraws } from '../config/cli-environment.js';
import { DEFAULTS } from '../config/defaults.js';
import { phasesSoFar } from '../core/timings.js';
import { jsonLogger } from '../log.js';
import { EXIT_INTERRUPTED } from './exit-status.js';
import { main } from './main.js';

const controller = new AbortController();
/** On a terminal, what starts a line of its own: the live progress line, if one is drawn, is erased first. */
const CLEAR_LINE = process.stderr.isTTY && terminalRedraws() ? '\r\u001b[K' : '';
const interrupt = (signal: NodeJS.Signals): void => {
  if (controller.signal.aborted) {
    process.stderr.write(CLEAR_LINE);
    process.exit(EXIT_INTERRUPTED);
  }
  const notice = `${signal}: stopping: a statement that is running is cancelled and its transaction rolled back (send it again to exit at once)`;
  // On a terminal, words; piped, a log line like every other line there.
  if (process.stderr.isTTY) process.stderr.write(`${CLEAR_LINE}pgshift: ${notice}\n`);
  else jsonLogger(DEFAULTS.logLevel, process.stderr).warn(notice, { signal });
  controller.abort();
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);
void main(hideBin(process.argv), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal }).then((status) => {
  process.off('SIGINT', interrupt);
  process.off('SIGTERM', interrupt);
  // Pipes may be asynchronous (macOS): let stdout drain before the process ends. The exit is explicit: a
  // handle left open (the embedded server's exit hook) must not keep the process, or its status, from ending.
  process.stdout.write('', () => process.exit(status));
});

/**
 * Whether the run opened a database session (it closed one: a failed connect records 'connect' too): the
 * launcher keeps the code cache of such a run (launcher.ts).
 */
export function openedSession(): boolean {
  return phasesSoFar().some(([phase]) => phase === 'close');
}
