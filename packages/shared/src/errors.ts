import { formatKeyPath, type KeyPath } from './key-path.js';

/** Issues listed in an error message; `SweepSpecError.issues` always holds all of them. */
const MAX_RENDERED_ISSUES = 50;

/** One problem found in a sweep file or a job payload. */
export interface SpecIssue {
  /** Where the input came from: a file path as the user gave it, or a label such as `job payload`. */
  readonly source: string;
  /** Key path of the offending value; empty for the whole document or file. */
  readonly path: KeyPath;
  /** 1-based line and column, when the YAML parser knows them. */
  readonly line?: number;
  readonly column?: number;
  /** What is allowed and what was found, e.g. `must be an integer from 1 to 1000; found 2.5`. */
  readonly message: string;
}

/** Renders one issue on one line: `file:line:col: key.path: message`. */
export function renderIssue(issue: SpecIssue): string {
  const where = issue.line === undefined
    ? issue.source
    : `${issue.source}:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}`;
  const path = issue.path.length === 0 ? '' : `${formatKeyPath(issue.path)}: `;
  return `${where}: ${path}${issue.message}`;
}

/**
 * An invalid sweep file or trial payload. It carries every problem found, not just the first,
 * so a user fixes a file in one pass. The CLI maps it to exit code 2; the worker treats it as
 * unrecoverable (retrying an invalid config cannot help).
 */
export class SweepSpecError extends Error {
  override readonly name = 'SweepSpecError';
  readonly issues: readonly SpecIssue[];

  constructor(issues: readonly SpecIssue[], options?: ErrorOptions) {
    super(SweepSpecError.render(issues), options);
    this.issues = issues;
  }

  /**
   * One line per issue, after a summary line naming the source(s); past MAX_RENDERED_ISSUES
   * the rest are counted, not listed (a file of 100,000 bad values should not flood a terminal).
   */
  static render(issues: readonly SpecIssue[]): string {
    const sources = [...new Set(issues.map((i) => i.source))].join(', ');
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const shown = issues.slice(0, MAX_RENDERED_ISSUES).map(renderIssue);
    if (issues.length > MAX_RENDERED_ISSUES) shown.push(`... and ${issues.length - MAX_RENDERED_ISSUES} more`);
    return [`Invalid sweep input (${count} in ${sources}):`, ...shown].join('\n');
  }
}
