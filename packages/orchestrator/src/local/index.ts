/**
 * @denoise-sweep/orchestrator/local: Redis as a local child process, for local mode and
 * integration tests. It binds loopback only, keeps its data in a given directory, and exits
 * when the process that started it dies; spawnService runs other services the same way.
 */
export { findFreePort } from './free-port.js';
export {
  attachToLocal, defaultWorkerCount, localStore, startLocalServices, workerBin, type LocalServices,
} from './local-mode.js';
export { REDIS_NOT_FOUND_MESSAGE, startRedisServer, type RedisServer } from './redis-server.js';
export type { ServiceMessage } from './service-messages.js';
export { spawnService } from './service-process.js';
