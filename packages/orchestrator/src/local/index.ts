/**
 * @denoise-sweep/orchestrator/local: Redis and an S3-protocol server as local child processes,
 * for local mode and integration tests. Both bind loopback only, keep their data in a given
 * directory, and exit when the process that started them dies.
 */
export { findFreePort } from './free-port.js';
export { REDIS_NOT_FOUND_MESSAGE, startRedisServer, type RedisServer, type RedisServerOptions } from './redis-server.js';
export { S3RVER_CREDENTIALS, startS3Server, type S3Server, type S3ServerOptions } from './s3-server.js';
