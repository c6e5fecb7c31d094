/**
 * @denoise-sweep/shared/s3: the S3 implementation of ObjectStore. A subpath of its own so that
 * importing @denoise-sweep/shared does not load the AWS SDK.
 */
export { S3ObjectStore, type S3ObjectStoreConfig } from './s3-object-store.js';
;
