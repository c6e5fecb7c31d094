import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RuntimeConfigFlags } from '@denoise-sweep/shared';
import { RUNTIME_FLAGS, readRuntimeConfig } from '@denoise-sweep/shared';
import type { Command } from 'commander';
import type { Connections } from '../connections.js';
import { openConnections } from '../connections.js';
import type { LocalServices } from '../local-mode.js';
import { attachToLocal, DEFAULT_STATE_DIR, startLocalServices } from '../local-mode.js';

export interface RuntimeOptions extends RuntimeConfigFlags {
  stateDir: string;
}

/** --redis, --s3-*, and --state-dir for local mode. */
export function addRuntimeOptions(command: Command): Command {
  for (const flag of RUNTIME_FLAGS) command.option(flag.flags, flag.description);
  return command.option('--state-dir <dir>', 'local mode (no REDIS_URL): where its Redis, store and logs live', DEFAULT_STATE_DIR);
}

export const RUNTIME_HELP = `
Configuration (flags override the environment): REDIS_URL, S3_ENDPOINT, S3_BUCKET, S3_REGION,
S3_PREFIX; AWS credentials come from the AWS SDK's usual chain. With no REDIS_URL the
orchestrator works in local mode, on the Redis and store it runs from --state-dir.`;

/**
 * Opens the queue and store of the configured deployment; in local mode those of the local
 * sweep running from the state directory, or, when none runs, its services started for the
 * length of the command.
 */
export async function withConnections<T>(options: RuntimeOptions, queue: boolean, f: (c: Connections) => Promise<T>): Promise<T> {
  let config = readRuntimeConfig(options);
  let temporary: LocalServices | undefined;
  if (!config.redisUrl) {
    const stateDir = resolve(options.stateDir);
    const attached = attachToLocal(stateDir);
    if (attached) config = attached;
    else {
      if (!existsSync(stateDir)) {
        throw new Error(`no local sweeps in ${stateDir}: run 'orchestrator sweep FILE' first, pass --state-dir, or set REDIS_URL and S3_ENDPOINT for a deployment`);
      }
      temporary = await startLocalServices(stateDir);
      config = temporary.config;
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
