import { readFile, stat } from 'node:fs/promises';
import { SweepSpecError } from './errors.js';
import { parseSweepText } from './sweep-parse.js';
import { MAX_SWEEP_FILE_BYTES, type SweepSpec } from './sweep-spec.js';

/**
 * Reads, parses and validates a sweep.yaml. The path is shown as given in every message.
 * @throws SweepSpecError for a missing or unreadable file, a directory, a file over 1 MiB,
 *   text that is not UTF-8, and every problem `parseSweepText` finds
 */
export async function parseSweepFile(path: string): Promise<SweepSpec> {
  const fail = (message: string, cause?: unknown, line?: number): never => {
    throw new SweepSpecError([{ source: path, path: [], message, ...(line === undefined ? {} : { line }) }], { cause });
  };
  let size = 0;
  try {
    const info = await stat(path);
    if (info.isDirectory()) fail('is a directory: give the path of a sweep YAML file');
    if (!info.isFile()) fail('is not a regular file: give the path of a sweep YAML file');
    size = info.size;
  } catch (error) {
    if (error instanceof SweepSpecError) throw error;
    fail(describeFsError(error), error);
  }
  if (size > MAX_SWEEP_FILE_BYTES) fail(`is ${size} bytes: sweep files are limited to ${MAX_SWEEP_FILE_BYTES} bytes (1 MiB)`);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return fail(describeFsError(error), error);
  }
  if (bytes.length > MAX_SWEEP_FILE_BYTES) fail(`is over ${MAX_SWEEP_FILE_BYTES} bytes (1 MiB), the limit for sweep files`);
  const badLine = firstNonUtf8Line(bytes);
  if (badLine !== undefined) fail('is not valid UTF-8 text: save it as UTF-8', undefined, badLine);
  return parseSweepText(new TextDecoder('utf-8').decode(bytes), path);
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file: check the path';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    case 'ENOTDIR':
      return 'no such file: a part of the path is not a directory';
    default:
      return `cannot be read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * The 1-based line holding the first byte sequence that is not UTF-8, or undefined when all is
 * valid. Lines are split on the byte 0x0A, which never occurs inside a multi-byte sequence.
 */
export function firstNonUtf8Line(bytes: Uint8Array): number | undefined {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    line++;
    start = end + 1;
  }
  return undefined;
}
