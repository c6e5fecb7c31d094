import { SweepSpecError } from './errors.js';
import type { SweepSpec } from './sweep-spec.js';

const MAX_SWEEP_ID_LENGTH = 64;

/**
 * Lowercase, accents dropped, every run of characters outside [a-z0-9] turned into one `-`,
 * no leading or trailing `-`: `"Noise vs. Width (v2)"` -> `noise-vs-width-v2`.
 */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * Why `name` cannot name a sweep, or undefined when it can. The slug becomes the sweep id and
 * an S3 key segment, so it must be 1 to 64 of [a-z0-9-]; names holding `/`, `\` or `..` are
 * refused outright rather than silently rewritten, as they look like paths.
 */
export function checkSweepName(name: string): string | undefined {
  const found = JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
  if (/[/\\]|\.\./.test(name)) {
    return `must not contain "/", "\\" or ".." (it becomes the sweep id, an S3 key segment); found ${found}`;
  }
  const slug = slugify(name);
  if (slug === '') return `must contain at least one letter or digit (it becomes the sweep id); found ${found}`;
  if (slug.length > MAX_SWEEP_ID_LENGTH) {
    return `must make a sweep id of at most ${MAX_SWEEP_ID_LENGTH} characters of [a-z0-9-]; found ${found} (${slug.length} as a slug)`;
  }
  return undefined;
}

/**
 * The sweep id: the slug of the name. Running the same file again (or another file with the
 * same name) addresses the same sweep, so its finished trials are reused.
 * @throws SweepSpecError when the name cannot make a valid id
 */
export function sweepId(spec: Pick<SweepSpec, 'name'>): string {
  const problem = checkSweepName(spec.name);
  if (problem !== undefined) {
    throw new SweepSpecError([{ source: 'sweep spec', path: ['name'], message: problem }]);
  }
  return slugify(spec.name);
}
