/**
 * Checkpoints in the files layout earlier versions wrote (`<name>/<file>`, then
 * `<name>/manifest.json` last), for tests that CheckpointStore still reads, resumes from and
 * prunes them.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore } from '@denoise-sweep/shared';

export async function saveCheckpointAsFiles(objects: ObjectStore, prefix: string, name: string, files: Record<string, Uint8Array>): Promise<void> {
  const manifest = { format: 1, name, createdAt: new Date(0).toISOString(), files: {} as Record<string, { bytes: number; sha256: string }> };
  for (const [file, content] of Object.entries(files)) {
    await objects.put(`${prefix}/${name}/${file}`, content);
    manifest.files[file] = { bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') };
  }
  await objects.put(`${prefix}/${name}/manifest.json`, JSON.stringify(manifest));
}
