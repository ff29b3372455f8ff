/**
 * The line a many-database run keeps redrawn on a terminal: targets done, failed, not started and running,
 * and the file each running one is sending. Redrawn at most ten times a second and erased when the run
 * ends; log lines are written above it (the line is cleared first and redrawn after).
 */
import type { Logger, LogFields } from '../core/logger.js';
import type { TargetEvent } from '../migrator-types.js';

export interface Terminal {
  write(text: string): void;
  readonly columns?: number | undefined;
}

const CLEAR = '\r\u001b[K';
const REDRAW_MS = 100;

export class LiveProgress {
  private readonly running = new Map<string, string>();
  private done = 0;
  private failed = 0;
  /** Skipped (--fail-fast, a failed canary): neither done nor failed. */
  private notStarted = 0;
  private shown = false;
  private last = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly terminal: Terminal,
    private readonly total: number,
  ) {
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    this.timer.unref();
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
    const above =
      (level: 'warn' | 'error') =>
      (message: string, fields?: LogFields): void => {
        this.clear();
        logger[level](message, fields);
      };
    const ignore = (): void => undefined;
    return { debug: ignore, info: ignore, warn: above('warn'), error: above('error') };
  }

  close(): void {
    clearInterval(this.timer);
    this.clear();
  }

  private clear(): void {
    if (this.shown) this.terminal.write(CLEAR);
    this.shown = false;
  }

  private draw(): void {
    const running = [...this.running].map(([name, file]) => (file === '' ? name : `${name} ${file}`));
    const skipped = this.notStarted > 0 ? `, ${this.notStarted} not started` : '';
    const line = `targets: ${this.done}/${this.total} done, ${this.failed} failed${skipped}, ${this.running.size} running${running.length > 0 ? `: ${running.join(', ')}` : ''}`;
    // A terminal nobody sized (a pty under script(1), some CI runners) reports 0 columns: not a width to fit.
    const columns = this.terminal.columns === undefined || this.terminal.columns <= 0 ? 80 : this.terminal.columns;
    const width = Math.max(20, columns - 1);
    const text = line.length > width ? `${line.slice(0, width - 1)}…` : line;
    if (this.shown && text === this.last) return;
    this.terminal.write(`${CLEAR}${text}`);
    this.last = text;
    this.shown = true;
  }
}
