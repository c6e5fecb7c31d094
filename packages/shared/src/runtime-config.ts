import type { StoreConfig } from './store-factory.js';
import type { SettingKey } from './settings.js';
import { readSettings } from './settings.js';

/** The settings both programs take for the queue and the store. */
export const RUNTIME_SETTINGS = ['redis', 'store', 's3Endpoint', 's3Region'] as const satisfies readonly SettingKey[];

/** The store of a deployment that names none (REDIS_URL set, STORE_URL not). */
const DEFAULT_STORE_URL = 's3://denoise-sweep';

/** Where the queue and the store are, as configured; undefined where nothing was set. */
export interface RuntimeSettings {
  /** undefined: local mode (the orchestrator runs its own Redis). */
  redisUrl?: string;
  /** undefined: the caller's default (local mode's file store, else DEFAULT_STORE_URL). */
  storeUrl?: string;
  s3Endpoint?: string;
  s3Region: string;
}

/** The queue and the store of a running system, resolved. */
export interface RuntimeConfig {
  redisUrl: string;
  store: StoreConfig;
}

export function readRuntimeSettings(flags: Readonly<Record<string, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const s = readSettings(RUNTIME_SETTINGS, flags, env);
  return { redisUrl: s.redis, storeUrl: s.store, s3Endpoint: s.s3Endpoint, s3Region: s.s3Region };
}

/** The store these settings name, or `fallbackUrl` when they name none. */
export function storeConfigOf(settings: RuntimeSettings, fallbackUrl = DEFAULT_STORE_URL): StoreConfig {
  return { url: settings.storeUrl ?? fallbackUrl, s3Endpoint: settings.s3Endpoint, s3Region: settings.s3Region };
}
