/** Runs one section in a child process (bench/section-main.ts under tsx), relaying its lines live. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SectionName } from './bench-options.js';
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

export function runSectionProcess<K extends SectionName>(name: K, quick: boolean, log: (line: string) => void): Promise<SectionRun<K>> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, name, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let result: SectionResults[K] | null = null;
  let stderrTail = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith(`${RESULT_MARKER} `)) result = JSON.parse(line.slice(RESULT_MARKER.length + 1)) as SectionResults[K];
      else if (line.trim() && !/^=+$|running TensorFlow\.js in Node\.js/.test(line)) log(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      const error = code === 0 && result !== null ? null : `section '${name}' failed (exit code ${code}): ${stderrTail.trim().split('\n').slice(-15).join('\n')}`;
      resolve({ result, error, seconds, exitCode: code });
    });
  });
}
