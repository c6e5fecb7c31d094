/**
 * Reuse of the large output arrays of this package's kernels.
 *
 * The cpu backend keeps each tensor in its own typed array, and a training step allocates and
 * drops dozens of arrays of tens of megabytes. A fresh one costs far more than the kernel
 * that fills it: the allocator maps new pages and the kernel faults each one in (a 25 MB
 * array: about 20 ms to allocate and touch, against 0.6 ms to overwrite one already mapped).
 * So the kernels take their outputs from this pool, and the arrays come back when the
 * backend frees their tensor.
 *
 * An array comes back only when nothing else can still see it. The pool watches the
 * backend: an array whose values were read out (`dataSync`, `data`, `bufferSync`) or whose
 * buffer was handed to the backend again (a stock kernel returning a view or the same
 * array, such as a contiguous Slice) is never reused, and is left to the garbage collector.
 */

/** The methods of tfjs-backend-cpu's MathBackendCPU the pool watches. */
interface WatchedBackend {
  data: { get(dataId: object): { values?: unknown } | undefined; has(dataId: object): boolean };
  write(values: unknown, shape: number[], dtype: string): object;
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Arrays smaller than this (in floats) are cheap to allocate and not pooled. */
export const POOL_MIN_LENGTH = 1 << 14;

/** The pool's counters, for tests and benchmarks. */
export interface BufferPoolStats {
  /** Arrays handed out from the pool. */
  reused: number;
  /** Arrays allocated because the pool had none of that length. */
  allocated: number;
  /** Arrays returned to the pool when their tensor was freed. */
  recycled: number;
  /** Arrays not returned because their values escaped. */
  escaped: number;
  /** Bytes held by the pool now. */
  pooledBytes: number;
}

const enum State {
  /** Handed out by the pool, not yet given to the backend. */
  Fresh,
  /** The values of exactly one backend tensor. */
  Owned,
  /** Seen outside that one tensor: never reused. */
  Escaped,
}

class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly states = new WeakMap<ArrayBufferLike, State>();
  private readonly originals = new Map<WatchedBackend, Pick<WatchedBackend, 'write' | 'read' | 'readSync' | 'disposeData'>>();
  private limitBytes = 0;
  readonly stats: BufferPoolStats = { reused: 0, allocated: 0, recycled: 0, escaped: 0, pooledBytes: 0 };

  /** A float32 array of `length` for a kernel's output; zeroed when `zeroed`. */
  allocate(length: number, zeroed: boolean): Float32Array {
    if (length < POOL_MIN_LENGTH || this.originals.size === 0) return new Float32Array(length);
    const array = this.free.get(length)?.pop();
    if (array === undefined) {
      this.stats.allocated++;
      const fresh = new Float32Array(length);
      this.states.set(fresh.buffer, State.Fresh);
      return fresh;
    }
    this.stats.reused++;
    this.stats.pooledBytes -= array.byteLength;
    this.states.set(array.buffer, State.Fresh);
    if (zeroed) array.fill(0);
    return array;
  }

  /** Starts watching `backend`, holding at most `limitBytes` of free arrays. */
  watch(backend: WatchedBackend, limitBytes: number): void {
    this.limitBytes = limitBytes;
    if (this.originals.has(backend)) return;
    const original = {
      write: backend.write,
      read: backend.read,
      readSync: backend.readSync,
      disposeData: backend.disposeData,
    };
    this.originals.set(backend, original);
    backend.write = (values, shape, dtype) => {
      this.onWrite(values);
      return original.write.call(backend, values, shape, dtype);
    };
    backend.readSync = (dataId) => {
      this.escape(backend.data.get(dataId)?.values);
      return original.readSync.call(backend, dataId);
    };
    backend.read = (dataId) => {
      this.escape(backend.data.get(dataId)?.values);
      return original.read.call(backend, dataId);
    };
    backend.disposeData = (dataId, force) => {
      const values = backend.data.get(dataId)?.values;
      const freed = original.disposeData.call(backend, dataId, force);
      if (freed && !backend.data.has(dataId)) this.recycle(values);
      return freed;
    };
  }

  /** Stops watching every backend and drops the free arrays. */
  unwatchAll(): void {
    for (const [backend, original] of this.originals) Object.assign(backend, original);
    this.originals.clear();
    this.free.clear();
    this.stats.pooledBytes = 0;
  }

  private onWrite(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const state = this.states.get(values.buffer);
    if (state === undefined) return;
    const whole = values instanceof Float32Array && values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
    if (state === State.Fresh && whole) this.states.set(values.buffer, State.Owned);
    else this.escape(values);
  }

  private escape(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const state = this.states.get(values.buffer);
    if (state === undefined || state === State.Escaped) return;
    this.states.set(values.buffer, State.Escaped);
    this.stats.escaped++;
  }

  private recycle(values: unknown): void {
    if (!(values instanceof Float32Array) || this.states.get(values.buffer) !== State.Owned) return;
    this.states.delete(values.buffer);
    if (this.stats.pooledBytes + values.byteLength > this.limitBytes) return;
    const list = this.free.get(values.length);
    if (list === undefined) this.free.set(values.length, [values]);
    else list.push(values);
    this.stats.pooledBytes += values.byteLength;
    this.stats.recycled++;
  }
}

const pool = new BufferPool();

/** An output array for a kernel, from the pool when large; zeroed when `zeroed`. */
export function allocateOutput(length: number, zeroed = true): Float32Array {
  return pool.allocate(length, zeroed);
}

/** Starts reusing output arrays on this cpu backend instance. */
export function watchBackend(backend: object, limitBytes: number): void {
  pool.watch(backend as WatchedBackend, limitBytes);
}

/** Stops reusing arrays and restores the backend's own methods. */
export function unwatchBackends(): void {
  pool.unwatchAll();
}

/** The pool's counters since the process started. */
export function bufferPoolStats(): BufferPoolStats {
  return { ...pool.stats };
}
