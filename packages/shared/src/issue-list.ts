import { didYouMean } from './did-you-mean.js';
import { SweepSpecError, type SpecIssue } from './errors.js';
import type { KeyPath } from './key-path.js';
import { checkNumber, describeFound, type NumberBound } from './number-bounds.js';

/** A problem at a key path, before it is given a file location. */
export interface PathIssue {
  readonly path: KeyPath;
  readonly message: string;
  /** Point the location at the key itself (unknown keys), not at its value. */
  readonly atKey?: boolean;
  /** Locate the problem at another path (a missing key is best shown next to its cause). */
  readonly locateAt?: KeyPath;
}

/**
 * Collects every problem in a plain value (parsed YAML or a job payload) with its key path.
 * The check helpers return `undefined` after recording a problem, so validation carries on
 * and reports everything in one go.
 */
export class IssueList {
  readonly items: PathIssue[] = [];

  get isEmpty(): boolean {
    return this.items.length === 0;
  }

  add(path: KeyPath, message: string, atKey = false, locateAt?: KeyPath): void {
    this.items.push(locateAt === undefined ? { path, message, atKey } : { path, message, atKey, locateAt });
  }

  /** For values that have no file location (job payloads, hand-built specs). */
  toError(source: string): SweepSpecError {
    const issues: SpecIssue[] = this.items.map((i) => ({ source, path: i.path, message: i.message }));
    return new SweepSpecError(issues);
  }

  /** The value as a mapping, or a `must be a mapping` problem. */
  mapping(value: unknown, path: KeyPath, expected = 'a mapping'): Record<string, unknown> | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
    this.add(path, `must be ${expected}; found ${describeFound(value)}`);
    return undefined;
  }

  /** The value as a non-empty list, or a problem. */
  list(value: unknown, path: KeyPath, expected = 'a non-empty list'): unknown[] | undefined {
    if (Array.isArray(value) && value.length > 0) return value;
    const found = Array.isArray(value) ? 'an empty list' : describeFound(value);
    this.add(path, `must be ${expected}; found ${found}`);
    return undefined;
  }

  /**
   * Reports every key of `obj` not in `allowed`, with a did-you-mean suggestion or a specific
   * hint (e.g. for Weights & Biases keys we do not support).
   */
  unknownKeys(
    obj: Record<string, unknown>,
    path: KeyPath,
    allowed: readonly string[],
    hints: Readonly<Record<string, string>> = {},
  ): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const hint = Object.hasOwn(hints, key) ? hints[key] : undefined;
      const guess = didYouMean(key, allowed);
      const advice = hint ?? (guess === undefined ? '' : `did you mean "${guess}"? `);
      this.add([...path, key], `unknown key; ${advice}allowed here: ${allowed.join(', ')}`, true);
    }
  }

  number(value: unknown, path: KeyPath, bound: NumberBound): number | undefined {
    const problem = checkNumber(value, bound);
    if (problem === undefined) return value as number;
    this.add(path, problem);
    return undefined;
  }

  string(value: unknown, path: KeyPath): string | undefined {
    if (typeof value === 'string') return value;
    this.add(path, `must be a string; found ${describeFound(value)}`);
    return undefined;
  }

  /** One of a fixed set of words, with did-you-mean on a near miss. */
  choice<T extends string>(
    value: unknown,
    path: KeyPath,
    allowed: readonly T[],
    hints: Readonly<Record<string, string>> = {},
  ): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' && Object.hasOwn(hints, value) ? hints[value] : undefined;
    const guess = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
    const advice = hint === undefined ? (guess === undefined ? '' : `did you mean "${guess}"? `) : `${hint}; `;
    this.add(path, `must be one of ${allowed.join(', ')}; ${advice}found ${describeFound(value)}`);
    return undefined;
  }
}
