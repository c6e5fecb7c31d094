import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/** A name beside `path` that no other writer, process or concurrent call, uses. */
export function temporaryNameBeside(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Writes a file whole or not at all: to a temporary name beside it, then a rename, so a reader
 * (a browser, a concurrent fetch, a resume) never sees half of it. The directory must exist.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = temporaryNameBeside(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
