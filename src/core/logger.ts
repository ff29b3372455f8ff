/** The logging seam: the core logs through this, and only log.ts knows it is pino. */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const ignore = (): void => undefined;

/** The API's default: a library prints nothing unless its caller asks. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
