import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SweepSpecError, renderIssue } from './errors.js';
import { expandSweep } from './sweep-expand.js';
import { parseSweepFile } from './sweep-file.js';

/*
 * Runs the corpus in test/fixtures/sweeps through the parser. Each invalid file states what it
 * must produce in its first lines: `# expect: <fragment>` (every one must appear in a single
 * issue line) and optionally `# expect-line: N`; files that cannot hold a comment are listed in
 * invalid/expect.json. Each valid file states `# expect-trials: N`.
 */
const corpus = fileURLToPath(new URL('../../../test/fixtures/sweeps/', import.meta.url));

interface Expectation { fragments: string[]; line?: number }

function expectationOf(dir: string, file: string): Expectation {
  const index = JSON.parse(readFileSync(`${dir}expect.json`, 'utf8')) as Record<string, { expect: string; line?: number }>;
  const listed = index[file];
  if (listed !== undefined) return { fragments: [listed.expect], ...(listed.line === undefined ? {} : { line: listed.line }) };
  const text = readFileSync(`${dir}${file}`, 'latin1');
  const fragments = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1] ?? '');
  const line = /^# expect-line: (\d+)$/m.exec(text)?.[1];
  return { fragments, ...(line === undefined ? {} : { line: Number(line) }) };
}

const invalidDir = `${corpus}invalid/`;
const invalid = readdirSync(invalidDir).filter((f) => f.endsWith('.yaml')).sort();
const validDir = `${corpus}valid/`;
const valid = readdirSync(validDir).filter((f) => f.endsWith('.yaml')).sort();

describe('sweep corpus', () => {
  it('has at least 30 invalid files, each with an expectation', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(30);
    for (const file of invalid) expect(expectationOf(invalidDir, file).fragments.length, file).toBeGreaterThan(0);
  });

  it.each(invalid)('refuses invalid/%s with the expected key path and line', async (file) => {
    const { fragments, line } = expectationOf(invalidDir, file);
    const error: unknown = await parseSweepFile(`${invalidDir}${file}`).then(() => undefined, (e: unknown) => e);
    expect(error, file).toBeInstanceOf(SweepSpecError);
    const issues = (error as SweepSpecError).issues;
    const match = issues.find((issue) => fragments.every((f) => renderIssue(issue).includes(f)));
    expect(match, `${file}: no issue contains ${JSON.stringify(fragments)} in\n${(error as Error).message}`).toBeDefined();
    if (line !== undefined) expect(match?.line, file).toBe(line);
    expect(renderIssue(match ?? issues[0]!)).toContain(`${invalidDir}${file}`);
  });

  it.each(valid)('accepts valid/%s with the expected number of trials', async (file) => {
    const text = readFileSync(`${validDir}${file}`, 'utf8');
    const count = Number(/^# expect-trials: (\d+)$/m.exec(text)?.[1]);
    const trials = expandSweep(await parseSweepFile(`${validDir}${file}`));
    expect(trials).toHaveLength(count);
    expect(new Set(trials.map((t) => t.id)).size).toBe(count);
  });

  it('accepts examples/sweep.yaml: 4 trials', async () => {
    const spec = await parseSweepFile(fileURLToPath(new URL('../../../examples/sweep.yaml', import.meta.url)));
    expect(spec.name).toBe('example');
    expect(expandSweep(spec).map((t) => [t.params.noise_factor, t.params.filters])).toEqual([
      [0.3, [8, 16]], [0.3, [16, 32]], [0.6, [8, 16]], [0.6, [16, 32]],
    ]);
  });
});
