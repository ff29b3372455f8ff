/**
 * A name someone else spelled (a table, a role, an application, a target), with each control character shown
 * as `?`: a newline would break a line of output in two, and an escape would drive the terminal.
 */
export function printable(name: string): string {
  return name.replace(/\p{Cc}/gu, '?');
}

/** Whether a name given to pgshift holds a character printable() would replace: such a name is refused. */
export function holdsControlCharacter(name: string): boolean {
  return /\p{Cc}/u.test(name);
}
