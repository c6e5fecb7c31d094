import { createHash } from 'node:crypto';

/*
 * A checkpoint as one object (`<trial>/checkpoints/<name>.ckpt`): a header line of JSON naming
 * each file with its size and sha256, then the files' bytes back to back in the header's order.
 * One object is written by one PUT, so a checkpoint is in the store whole or not at all, and
 * saving, verifying and deleting one costs one request each instead of one per file.
 */

/** The object's name suffix. */
export const PACKED_CHECKPOINT_SUFFIX = '.ckpt';

interface PackedHeader {
  format: 2;
  name: string;
  createdAt: string;
  files: Record<string, { bytes: number; sha256: string }>;
}

const NEWLINE = 0x0a;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The checkpoint's files as one object's bytes. */
export function packCheckpoint(name: string, files: Readonly<Record<string, Uint8Array>>, createdAt = new Date()): Uint8Array {
  const header: PackedHeader = { format: 2, name, createdAt: createdAt.toISOString(), files: {} };
  for (const [file, bytes] of Object.entries(files)) header.files[file] = { bytes: bytes.length, sha256: sha256(bytes) };
  const head = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
  return Buffer.concat([head, ...Object.values(files)]);
}

/**
 * The files of a packed checkpoint, each checked against the header's size and sha256.
 * @throws Error naming what is wrong (`checkpoint <name>: ...`) when the bytes are not a whole, intact checkpoint
 */
export function unpackCheckpoint(bytes: Uint8Array, name: string): Record<string, Uint8Array> {
  const end = bytes.indexOf(NEWLINE);
  if (end < 0) throw new Error(`checkpoint ${name} is not a packed checkpoint (no header)`);
  let header: PackedHeader;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(0, end)).toString('utf8')) as PackedHeader;
  } catch {
    throw new Error(`checkpoint ${name} has an unreadable header`);
  }
  if (header.format !== 2 || typeof header.files !== 'object' || header.files === null) throw new Error(`checkpoint ${name} has a header of unknown format`);
  const files: Record<string, Uint8Array> = {};
  let at = end + 1;
  for (const [file, expected] of Object.entries(header.files)) {
    const body = bytes.subarray(at, at + expected.bytes);
    if (body.length !== expected.bytes) throw new Error(`checkpoint ${name}: ${file} does not match its header (${body.length} bytes, expected ${expected.bytes})`);
    if (sha256(body) !== expected.sha256) throw new Error(`checkpoint ${name}: ${file} does not match its header (its sha256 differs)`);
    files[file] = body;
    at += expected.bytes;
  }
  if (at !== bytes.length) throw new Error(`checkpoint ${name} has ${bytes.length - at} bytes after its last file`);
  return files;
}
