/**
 * The line a many-database run keeps redrawn on a terminal: targets done, failed, not started and running,
 * and the file each running one is sending. Redrawn at most ten times a second and erased when the run
 * ends; log lines are written above it (the line is cleared first and redrawn after).
 */
import type { Logger } from '../core/logger.js';
import type { TargetEvent } from '../migrator-types.js';
import { LiveLine, type Terminal } from './live-line.js';

export class LiveProgress {
  private readonly running = new Map<string, string>();
  private done = 0;
  private failed = 0;
  /** Skipped (--fail-fast, a failed canary): neither done nor failed. */
  private notStarted = 0;
  private readonly line: LiveLine;

  constructor(
    terminal: Terminal,
    private readonly total: number,
  ) {
    this.line = new LiveLine(terminal, () => this.text());
  }

  readonly onEvent = (event: TargetEvent): void => {
    if (event.type === 'started') this.running.set(event.name, '');
    else if (event.type === 'file') this.running.set(event.name, event.path.replace(/^.*\//, ''));
    else if (event.result.outcome === 'skipped') this.notStarted++;
    else {
      this.running.delete(event.result.name);
      this.done++;
      if (event.result.outcome !== 'ok') this.failed++;
    }
  };

  /** Warnings and errors only: the line and the summary say the rest, and every target's info would bury it. */
  logger(logger: Logger): Logger {
    return this.line.above(logger, ['warn', 'error']);
  }

  close(): void {
    this.line.close();
  }

  private text(): string {
    const running = [...this.running].map(([name, file]) => (file === '' ? name : `${name} ${file}`));
    const skipped = this.notStarted > 0 ? `, ${this.notStarted} not started` : '';
    return `targets: ${this.done}/${this.total} done, ${this.failed} failed${skipped}, ${this.running.size} running${running.length > 0 ? `: ${running.join(', ')}` : ''}`;
  }
}
