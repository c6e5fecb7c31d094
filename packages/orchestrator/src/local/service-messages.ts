/** What the entry files of local services (s3rver-main, parent-guard-main) tell their parent over IPC. */
export type ServiceMessage =
  | { type: 'ready'; port: number; pid: number }
  | { type: 'spawned'; pid: number }
  | { type: 'error'; code?: string; message: string };
