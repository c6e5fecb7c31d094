/**
 * A key path points at one value inside a sweep file or a job payload, e.g.
 * `['parameters', 'noise_factor', 'values', 2]`, rendered `parameters.noise_factor.values[2]`.
 */
export type KeyPath = readonly (string | number)[];

/** Renders a key path the way users write it: dots between keys, brackets around indices. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}
