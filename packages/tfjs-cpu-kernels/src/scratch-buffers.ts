/**
 * Reusable scratch arrays, so the hot loops never allocate. Kernels run one at a time on the
 * cpu backend's thread; a buffer's contents are only meaningful inside the call that asked.
 */
const buffers = new Map<string, Float32Array>();

/** A Float32Array of at least `length` elements for the caller's `slot`; contents undefined. */
export function scratch(slot: string, length: number): Float32Array {
  const existing = buffers.get(slot);
  if (existing !== undefined && existing.length >= length) return existing;
  const fresh = new Float32Array(Math.max(length, Math.ceil((existing?.length ?? 0) * 1.5)));
  buffers.set(slot, fresh);
  return fresh;
}

/** Drops every scratch array (after unregistering, so the memory can be collected). */
export function releaseScratch(): void {
  buffers.clear();
}
