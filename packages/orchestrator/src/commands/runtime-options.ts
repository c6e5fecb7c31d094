import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RuntimeConfig, SettingKey } from '@denoise-sweep/shared';
import { environmentHelp, readRuntimeSettings, readSettings, RUNTIME_SETTINGS, settingFlags, storeConfigOf } from '@denoise-sweep/shared';
import type { Command } from 'commander';
import type { Connections } from '../connections.js';
import { openConnections } from '../connections.js';
import type { LocalServices } from '../local/index.js';
import { attachToLocal, localStore, startLocalServices } from '../local/index.js';

/** Flag values as commander gives them: read through readSettings, never used raw. */
export type RuntimeOptions = Record<string, unknown>;

/** The settings every command that opens the queue or the store takes. */
const CONNECTION_SETTINGS = [...RUNTIME_SETTINGS, 'stateDir'] as const satisfies readonly SettingKey[];

/** Adds the flags of these settings (default: the queue, the store and --state-dir) and their help. */
export function addSettingOptions(command: Command, keys: readonly SettingKey[] = CONNECTION_SETTINGS): Command {
  for (const flag of settingFlags(keys)) command.option(flag.flags, flag.description);
  return command;
}

export const RUNTIME_HELP = `
With no REDIS_URL (or --redis) the orchestrator works in local mode, on the Redis it runs from
--state-dir and on the store of that directory (file://<state-dir>/store unless --store named
another). AWS credentials for s3:// stores come from the AWS SDK's usual chain.${environmentHelp(['fashionMnistDir', 'workerBin', 'redisServerBin', 'debug'])}`;

/**
 * Opens the queue and store of the configured deployment; in local mode those of the local
 * sweep running from the state directory, or, when none runs, its services started for the
 * length of the command.
 */
export async function withConnections<T>(options: RuntimeOptions, queue: boolean, f: (c: Connections) => Promise<T>): Promise<T> {
  const settings = readRuntimeSettings(options);
  let config: { redisUrl?: string; store: RuntimeConfig['store'] } | undefined;
  let temporary: LocalServices | undefined;
  if (settings.redisUrl) {
    config = { redisUrl: settings.redisUrl, store: storeConfigOf(settings) };
  } else {
    const stateDir = resolve(readSettings(['stateDir'], options).stateDir);
    config = attachToLocal(stateDir);
    if (!config) {
      if (!existsSync(stateDir)) {
        throw new Error(`no local sweeps in ${stateDir}: run 'orchestrator sweep FILE' first, pass --state-dir, or set REDIS_URL (and STORE_URL) for a deployment`);
      }
      // The store alone serves commands that read results; the queue needs the local Redis.
      if (queue) {
        temporary = await startLocalServices(stateDir, settings);
        config = temporary.config;
      } else {
        config = { store: localStore(stateDir, settings) };
      }
    }
  }
  const connections = await openConnections(config, { queue });
  try {
    return await f(connections);
  } finally {
    await connections.close();
    await temporary?.stop();
  }
}
