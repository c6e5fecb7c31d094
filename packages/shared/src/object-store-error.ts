/**
 * A failed object-store operation, naming the object and how to fix the cause. Messages never
 * carry credentials. Callers branch on `transient`: true means the store was unreachable or
 * overloaded for the whole retry budget (worth retrying the job later), false means a
 * configuration or data problem that retrying will not fix.
 */
export class ObjectStoreError extends Error {
  constructor(
    message: string,
    readonly details: {
      operation: string;
      /** s3://bucket/key, or the bucket alone for bucket operations. */
      uri: string;
      attempts: number;
      transient: boolean;
      /** The store's or the network's error code, e.g. ECONNREFUSED, NoSuchBucket, AccessDenied. */
      code?: string;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ObjectStoreError';
  }

  get transient(): boolean {
    return this.details.transient;
  }
}
