import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from './cli-errors.js';
import { environmentHelp, environmentOf, flagProperty, readSettings, SETTINGS, settingFlags, settingsTable, type SettingKey } from './settings.js';

describe('readSettings', () => {
  it('takes a flag over the environment over the default', () => {
    expect(readSettings(['concurrency'], {}, {})).toEqual({ concurrency: 1 });
    expect(readSettings(['concurrency'], {}, { WORKER_CONCURRENCY: '3' })).toEqual({ concurrency: 3 });
    expect(readSettings(['concurrency'], { concurrency: '5' }, { WORKER_CONCURRENCY: '3' })).toEqual({ concurrency: 5 });
  });

  it('reads the first environment variable that is set, and treats an empty one as unset', () => {
    expect(readSettings(['s3Region'], {}, { AWS_REGION: 'eu-west-1' }).s3Region).toBe('eu-west-1');
    expect(readSettings(['s3Region'], {}, { S3_REGION: 'eu-north-1', AWS_REGION: 'eu-west-1' }).s3Region).toBe('eu-north-1');
    expect(readSettings(['s3Region'], {}, { S3_REGION: '' }).s3Region).toBe('us-east-1');
  });

  it('names the flag or the variable, what it found and what is allowed', () => {
    expect(() => readSettings(['metricsPort'], { metricsPort: '70000' }, {})).toThrow(UsageError);
    expect(() => readSettings(['metricsPort'], { metricsPort: '70000' }, {})).toThrow("--metrics-port must be a whole number from 0 to 65535; found '70000'");
    expect(() => readSettings(['lockMs'], {}, { DENOISE_SWEEP_LOCK_MS: '5s' })).toThrow("DENOISE_SWEEP_LOCK_MS must be a whole number from 1000 to 3600000; found '5s'");
    expect(() => readSettings(['engine'], {}, { TFJS_BACKEND: 'quantum' })).toThrow("TFJS_BACKEND must be one of auto, gpu, tensorflow-gpu, webgpu, tensorflow, cpu; found 'quantum'");
    expect(() => readSettings(['redis'], {}, { REDIS_URL: 'http://:hunter2@queue:6379' })).toThrow("REDIS_URL must start with redis:// or rediss://; found 'http://:***@queue:6379'");
  });

  it('refuses the S3_BUCKET and S3_PREFIX that STORE_URL replaced, so that artifacts never go elsewhere silently', () => {
    expect(() => readSettings(['store'], {}, { S3_BUCKET: 'team-bucket' })).toThrow('S3_BUCKET is no longer read: use STORE_URL=s3://<bucket>/<prefix> (or --store)');
    expect(readSettings(['store'], {}, { S3_BUCKET: 'team-bucket', STORE_URL: 's3://team-bucket' }).store).toBe('s3://team-bucket');
  });

  it('validates store URLs', () => {
    expect(readSettings(['store'], { store: 'file:///data/sweeps' }, {}).store).toBe('file:///data/sweeps');
    expect(() => readSettings(['store'], { store: 'gs://bucket' }, {})).toThrow("--store must start with s3:// or file://; found 'gs://bucket'");
  });
});

describe('the declarations', () => {
  const keys = Object.keys(SETTINGS) as SettingKey[];

  it('give every flag its commander property and every setting a source, help and default text', () => {
    expect(flagProperty('--s3-endpoint <url>')).toBe('s3Endpoint');
    for (const key of keys) {
      const s = SETTINGS[key];
      expect(s.flag !== undefined || (s.env?.length ?? 0) > 0, key).toBe(true);
      expect(s.help.length, key).toBeGreaterThan(10);
      expect(s.defaultText.length, key).toBeGreaterThan(0);
      if (s.flag !== undefined) expect(flagProperty(s.flag), `${key}: the typed object's key is commander's property`).toBe(key === 'exporterPort' ? 'port' : key === 'exporterHost' ? 'host' : key);
    }
  });

  it('use each flag and each variable once', () => {
    const flags = keys.flatMap((k) => (SETTINGS[k].flag ? [SETTINGS[k].flag!.split(' ')[0]] : []));
    const envs = keys.flatMap((k) => [...(SETTINGS[k].env ?? [])]);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
  });

  it('render the help lines and the environment section', () => {
    expect(settingFlags(['redis'])).toEqual([{ flags: '--redis <url>', description: expect.stringContaining('(env REDIS_URL; default: local mode)') }]);
    expect(environmentHelp(['lockMs'])).toContain('DENOISE_SWEEP_LOCK_MS');
    expect(environmentHelp(['redis'])).toBe('');
    expect(environmentOf('worker').has('WORKER_CONCURRENCY')).toBe(true);
    expect(environmentOf('orchestrator').has('WORKER_CONCURRENCY')).toBe(false);
  });

  it('are the configuration table of the README, word for word (regenerate: npm run --silent settings-table)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(settingsTable());
  });
});
