/**
 * One line kept redrawn at the bottom of a terminal, under the log: redrawn at most ten times a second,
 * only when its text changed, and erased when the run ends. Log lines go above it: the line is cleared
 * first and drawn again at the next tick.
 */
import stringWidth from 'string-width';
import type { Logger, LogFields } from '../core/logger.js';

export interface Terminal {
  write(text: string): void;
  readonly columns?: number | undefined;
}

const CLEAR = '\r\u001b[K';
const REDRAW_MS = 100;

type Level = keyof Logger;

export class LiveLine {
  private shown = false;
  private last = '';
  private readonly timer: NodeJS.Timeout;

  /** `text` is asked for at each tick, for the width there is; undefined erases the line. */
  constructor(
    private readonly terminal: Terminal,
    private readonly text: (width: number) => string | undefined,
  ) {
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    this.timer.unref();
  }

  /** `logger` writing above the line, at the levels given; the others are dropped (the line says them). */
  above(logger: Logger, levels: readonly Level[]): Logger {
    const wrap =
      (level: Level) =>
      (message: string, fields?: LogFields): void => {
        if (!levels.includes(level)) return;
        this.clear();
        logger[level](message, fields);
      };
    return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
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
    // Read at each tick: the terminal may have been resized. One nobody sized (a pty under script(1), some
    // CI runners) reports 0 columns: not a width to fit.
    const columns = this.terminal.columns === undefined || this.terminal.columns <= 0 ? 80 : this.terminal.columns;
    const width = Math.max(1, columns - 1);
    const line = this.text(width);
    if (line === undefined) return this.clear();
    const text = fitted(line, width);
    if (this.shown && text === this.last) return;
    this.terminal.write(`${CLEAR}${text}`);
    this.last = text;
    this.shown = true;
  }
}

/**
 * `line` cut to `width` columns, with an ellipsis where it was cut. Counted in columns, not characters: a CJK
 * character or an emoji takes two, and a line cut by its length would wrap, and be redrawn one row lower at
 * every tick.
 */
function fitted(line: string, width: number): string {
  if (stringWidth(line) <= width) return line;
  let kept = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(line)) {
    const columns = stringWidth(segment);
    if (used + columns > width - 1) break;
    kept += segment;
    used += columns;
  }
  return `${kept}…`;
}
