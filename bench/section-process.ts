/** Runs one section in a child process (bench/section-main.ts under tsx), relaying its lines live. */
import { fileURLToPath } from 'node:url';
import type { SectionName } from './bench-options.js';
import { runJsonChild, TFJS_BANNER } from './child-process.js';
import { RESULT_MARKER } from './section-protocol.js';
import type { SectionResults } from './sections.js';

const ENTRY = fileURLToPath(new URL('./section-main.ts', import.meta.url));

export interface SectionRun<K extends SectionName> {
  result: SectionResults[K] | null;
  error: string | null;
  seconds: number;
  /** Peak RSS of the section's own process tree is not known here; see each section's figures. */
  exitCode: number | null;
}

export async function runSectionProcess<K extends SectionName>(name: K, quick: boolean, log: (line: string) => void): Promise<SectionRun<K>> {
  const started = performance.now();
  const run = await runJsonChild<SectionResults[K]>(process.execPath, ['--import', 'tsx', ENTRY, name, ...(quick ? ['--quick'] : [])], {
    resultOf: (line) => (line.startsWith(`${RESULT_MARKER} `) ? line.slice(RESULT_MARKER.length + 1) : undefined),
    log: (line) => {
      if (!TFJS_BANNER.test(line)) log(line);
    },
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const error = run.code === 0 && run.result !== null
    ? null
    : `section '${name}' failed (exit code ${run.code}): ${run.stderrTail.trim().split('\n').slice(-15).join('\n')}`;
  return { result: run.result, error, seconds, exitCode: run.code };
}
