/** What the entry files of local services (s3rver-main, parent-guard-main) tell their parent over IPC. */
export type ServiceMessage =
  | { type: 'ready'; port: number; pid: number }
  | { type: 'spawned'; pid: number }
  /** The guarded service exited (the guard exits right after). */
  | { type: 'exited'; code: number | null; signal: string | null }
  | { type: 'error'; code?: string; message: string };
