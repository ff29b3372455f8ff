/**
 * Work done once and shared by every target of a many-database run: the files read, git asked, each file
 * parsed and linted. Only what succeeded is kept; work that failed is done again by the next caller.
 */
export class Memo {
  private readonly kept = new Map<string, Promise<unknown>>();

  once<T>(key: string, make: () => Promise<T>): Promise<T> {
    const known = this.kept.get(key);
    if (known !== undefined) return known as Promise<T>;
    const made = make();
    this.kept.set(key, made);
    made.catch(() => this.kept.delete(key));
    return made;
  }
}

/** `make()` through the memo when there is one, else simply `make()`. */
export function shared<T>(memo: Memo | undefined, key: string, make: () => Promise<T>): Promise<T> {
  return memo === undefined ? make() : memo.once(key, make);
}
