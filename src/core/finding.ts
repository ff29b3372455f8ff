/** The one format lint's and the trace's findings share: `file:line:column rule message`, then the hint. */
export interface Finding<Rule extends string = string> {
  readonly rule: Rule;
  readonly severity: 'warning' | 'error';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** Why it matters and the safe way, from the rule. */
  readonly hint: string;
}
