/**
 * Canonical JSON: object keys sorted (by UTF-16 code units, i.e. `Array.prototype.sort`),
 * no whitespace, numbers in ECMAScript's shortest round-trip form (so `1.0` and `1` are the
 * same, `-0` is `0`, `0.001` is `0.001`, `1e-7` is `1e-7`). That form is specified by the
 * language, so the same value gives the same text on every machine and Node version.
 * Anything JSON cannot represent exactly (NaN, Infinity, undefined, functions, bigint) throws
 * rather than silently changing a hash.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
  }
}
