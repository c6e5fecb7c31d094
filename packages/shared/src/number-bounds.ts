/** The allowed range of one numeric setting. Bounds are inclusive unless `minExclusive`. */
export interface NumberBound {
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  /** The minimum itself is not allowed (learning_rate must be > 0). @defaultValue false */
  readonly minExclusive?: boolean;
}

/** `an integer from 1 to 1000`, `a number greater than 0 and at most 1`, ... */
export function describeBound(bound: NumberBound): string {
  const kind = bound.integer ? 'an integer' : 'a number';
  if (bound.max === Number.MAX_SAFE_INTEGER) {
    return `${kind} of at least ${bound.min} (and at most 2^53 - 1)`;
  }
  if (bound.minExclusive) return `${kind} greater than ${bound.min} and at most ${bound.max}`;
  return `${kind} from ${bound.min} to ${bound.max}`;
}

/** How a found value reads in a message: numbers and booleans as is, strings quoted. */
export function describeFound(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (empty value)';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    return String(value);
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Uint8Array) return 'binary data';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** True when `value` is a finite number inside `bound`. */
export function inBound(value: unknown, bound: NumberBound): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (bound.integer && !Number.isSafeInteger(value)) return false;
  if (bound.minExclusive ? value <= bound.min : value < bound.min) return false;
  return value <= bound.max;
}

/** Undefined when `value` is inside `bound`, else the message `must be ...; found ...`. */
export function checkNumber(value: unknown, bound: NumberBound): string | undefined {
  if (inBound(value, bound)) return undefined;
  return `must be ${describeBound(bound)}; found ${describeFound(value)}`;
}
