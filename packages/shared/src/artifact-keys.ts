/**
 * Where a sweep's artifacts live in the object store (docs/architecture.md, "Artifact keys").
 * The store is the source of truth: a trial whose result.json exists is done, whatever the
 * queue says. Keys are relative to the store's URL (its bucket prefix or directory) and built
 * only from validated slugs (sweep ids) and hashes (trial ids), never from free text.
 */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const HASH = /^[0-9a-f]{6,64}$/;

function checkSegment(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`invalid ${what} '${value}' in an object key`);
  return value;
}

export class ArtifactKeys {
  sweepDir(sweep: string): string {
    return `sweeps/${checkSegment(sweep, SLUG, 'sweep id')}`;
  }

  sweepJson(sweep: string): string {
    return `${this.sweepDir(sweep)}/sweep.json`;
  }

  /** An adaptive sweep's suggestion record, one object per suggestion (Redis holds the live copy). */
  suggestions(sweep: string): string {
    return `${this.sweepDir(sweep)}/suggestions`;
  }

  suggestion(sweep: string, index: number): string {
    if (!Number.isSafeInteger(index) || index < 0) throw new Error(`invalid suggestion index ${index} in an object key`);
    return `${this.suggestions(sweep)}/${String(index).padStart(5, '0')}.json`;
  }

  trialDir(sweep: string, trial: string): string {
    return `${this.sweepDir(sweep)}/trials/${checkSegment(trial, HASH, 'trial id')}`;
  }

  trialConfig(sweep: string, trial: string): string {
    return `${this.trialDir(sweep, trial)}/config.json`;
  }

  checkpoints(sweep: string, trial: string): string {
    return `${this.trialDir(sweep, trial)}/checkpoints`;
  }

  metrics(sweep: string, trial: string): string {
    return `${this.trialDir(sweep, trial)}/metrics.jsonl`;
  }

  result(sweep: string, trial: string): string {
    return `${this.trialDir(sweep, trial)}/result.json`;
  }

  /** The last failed attempt of a trial: why, when, where (cleared by nothing: result.json wins). */
  failure(sweep: string, trial: string): string {
    return `${this.trialDir(sweep, trial)}/failure.json`;
  }

  samples(sweep: string, trial: string): string {
    return `${this.trialDir(sweep, trial)}/samples.png`;
  }

  dataset(name: string, sha256: string): string {
    return `datasets/${checkSegment(name, SLUG, 'dataset name')}/${checkSegment(sha256, HASH, 'dataset digest')}`;
  }
}
