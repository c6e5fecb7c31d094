import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './cli-errors.js';
import { DEBIAN_FASHION_MNIST_DIR } from './fashion-mnist-files.js';
import { checkStoreUrl } from './store-url.js';

/** The programs a setting applies to. */
export type Program = 'orchestrator' | 'worker';

/**
 * One setting, declared once: where it comes from (a flag, environment variables), how its
 * text becomes a value, its default and one line of help. Flags override the environment, the
 * environment overrides the default. `--help`, the README's configuration table and the check
 * that deployment files set only variables the programs read all come from these declarations.
 */
export interface Setting<T> {
  /** commander's form, e.g. '--redis <url>'; none: environment only. */
  flag?: string;
  /** Environment variables, the first one set wins; none: flag only. */
  env?: readonly string[];
  help: string;
  /** The default as people read it (help and README). */
  defaultText: string;
  /** The default's value (computed when needed: the machine's cores, the home directory). */
  default: () => T;
  /** Text to value; throws an Error saying what is allowed. */
  parse: (text: string) => T;
  programs: readonly Program[];
}

const setting = <T>(s: Setting<T>): Setting<T> => s;

const BOTH: readonly Program[] = ['orchestrator', 'worker'];
const WORKER: readonly Program[] = ['worker'];
const ORCHESTRATOR: readonly Program[] = ['orchestrator'];

function integer(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new Error(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function positiveNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new Error('must be a positive number');
  return n;
}

function oneOf<const T extends string>(values: readonly T[]): (text: string) => T {
  return (text) => {
    if ((values as readonly string[]).includes(text)) return text as T;
    throw new Error(`must be one of ${values.join(', ')}`);
  };
}

function url(protocols: readonly string[]): (text: string) => string {
  return (text) => {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new Error(`must be a URL such as ${protocols[0]}//host:port`);
    }
    if (!protocols.includes(parsed.protocol)) throw new Error(`must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    return text;
  };
}

const text = (value: string): string => value;
const optionalText = (value: string): string | undefined => value;
const none = () => undefined;

export const ENGINE_CHOICES = ['auto', 'gpu', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'cpu'] as const;

/** Every setting of both programs. */
export const SETTINGS = {
  redis: setting<string | undefined>({
    flag: '--redis <url>', env: ['REDIS_URL'], programs: BOTH, parse: url(['redis:', 'rediss:']), default: none, defaultText: 'local mode',
    help: 'the queue of a deployment, redis:// or rediss:// with its password if any; unset: local mode (the orchestrator runs its own)',
  }),
  store: setting<string | undefined>({
    flag: '--store <url>', env: ['STORE_URL'], programs: BOTH, parse: checkStoreUrl, default: none,
    defaultText: 'local mode: file://<state-dir>/store; else s3://denoise-sweep',
    help: 'where artifacts go: s3://bucket/prefix (AWS, MinIO...) or file:///dir (a local or shared directory)',
  }),
  s3Endpoint: setting<string | undefined>({
    flag: '--s3-endpoint <url>', env: ['S3_ENDPOINT'], programs: BOTH, parse: url(['http:', 'https:']), default: none, defaultText: 'AWS',
    help: 'endpoint of an S3-compatible store for s3:// URLs, e.g. http://minio:9000; AWS credentials come from the SDK\'s usual chain',
  }),
  s3Region: setting<string>({
    flag: '--s3-region <region>', env: ['S3_REGION', 'AWS_REGION'], programs: BOTH, parse: text, default: () => 'us-east-1', defaultText: 'us-east-1',
    help: 'region of the s3:// store',
  }),
  stateDir: setting<string>({
    flag: '--state-dir <dir>', env: ['DENOISE_SWEEP_STATE_DIR'], programs: ORCHESTRATOR, parse: text, default: () => '.denoise-sweep', defaultText: '.denoise-sweep',
    help: 'local mode: where its Redis data, store, logs and reports live',
  }),
  workers: setting<number | undefined>({
    flag: '--workers <n>', env: ['DENOISE_SWEEP_WORKERS'], programs: ORCHESTRATOR, parse: integer(1, 256), default: none, defaultText: 'one per core, at most 8',
    help: 'local mode: worker processes to start',
  }),
  refresh: setting<number>({
    flag: '--refresh <seconds>', programs: ORCHESTRATOR, parse: positiveNumber, default: () => 1, defaultText: '1',
    help: 'seconds between refreshes of the progress view (longer for a big sweep, so that reading it takes at most a tenth of the time)',
  }),
  exporterPort: setting<number>({
    flag: '--port <port>', env: ['EXPORTER_PORT'], programs: ORCHESTRATOR, parse: integer(0, 65535), default: () => 9465, defaultText: '9465',
    help: '`serve`: port of the Prometheus exporter (0: any free port)',
  }),
  exporterHost: setting<string>({
    flag: '--host <host>', env: ['EXPORTER_HOST'], programs: ORCHESTRATOR, parse: text, default: () => '0.0.0.0', defaultText: '0.0.0.0',
    help: '`serve`: address the exporter binds to',
  }),
  recentHours: setting<number>({
    flag: '--recent-hours <h>', programs: ORCHESTRATOR, parse: positiveNumber, default: () => 24, defaultText: '24',
    help: '`serve`: export the sweeps run within this many hours',
  }),
  trialSeries: setting<number>({
    flag: '--trial-series <n>', programs: ORCHESTRATOR, parse: integer(0, 1_000_000), default: () => 1000, defaultText: '1000',
    help: '`serve`: per sweep, the finished trials exported with their hyperparameters as labels: the best N by its metric (bounds the series)',
  }),
  top: setting<number | undefined>({
    flag: '--top <n>', programs: ORCHESTRATOR, parse: integer(1, 1_000_000), default: none, defaultText: 'every trial',
    help: '`results`: only the best N trials',
  }),
  workerBin: setting<string | undefined>({
    env: ['DENOISE_SWEEP_WORKER_BIN'], programs: ORCHESTRATOR, parse: optionalText, default: none, defaultText: 'the installed worker',
    help: 'local mode: the worker program to start (a path to its bin.js)',
  }),
  redisServerBin: setting<string>({
    env: ['REDIS_SERVER_BIN'], programs: ORCHESTRATOR, parse: text, default: () => 'redis-server', defaultText: 'redis-server',
    help: 'local mode: the redis-server binary, a name on the PATH or a path',
  }),
  concurrency: setting<number>({
    flag: '--concurrency <n>', env: ['WORKER_CONCURRENCY'], programs: WORKER, parse: integer(1, 64), default: () => 1, defaultText: '1',
    help: 'trials trained at once, each in its own child process: one per GPU; on a CPU machine 1 is fastest',
  }),
  cacheDir: setting<string>({
    flag: '--cache-dir <dir>', env: ['DENOISE_SWEEP_CACHE_DIR'], programs: WORKER, parse: text,
    default: () => join(homedir(), '.cache', 'denoise-sweep'), defaultText: '~/.cache/denoise-sweep',
    help: 'local cache of the dataset fetched from the store',
  }),
  metricsPort: setting<number>({
    flag: '--metrics-port <port>', env: ['METRICS_PORT'], programs: WORKER, parse: integer(0, 65535), default: () => 9464, defaultText: '9464',
    help: 'port of the worker\'s Prometheus metrics (0: any free port)',
  }),
  metricsHost: setting<string>({
    flag: '--metrics-host <host>', env: ['METRICS_HOST'], programs: WORKER, parse: text, default: () => '0.0.0.0', defaultText: '0.0.0.0',
    help: 'address the metrics server binds to',
  }),
  lockMs: setting<number>({
    env: ['DENOISE_SWEEP_LOCK_MS'], programs: WORKER, parse: integer(1000, 3_600_000), default: () => 30_000, defaultText: '30000',
    help: 'job lock duration, ms: a dead worker\'s trial is taken over after it',
  }),
  shutdownGraceMs: setting<number>({
    env: ['DENOISE_SWEEP_SHUTDOWN_GRACE_MS'], programs: WORKER, parse: integer(1000, 3_600_000), default: () => 30_000, defaultText: '30000',
    help: 'after a stop signal, how long running trials may take to checkpoint and go back to the queue before the worker exits anyway (its lock then expires), ms',
  }),
  stalledMs: setting<number>({
    env: ['DENOISE_SWEEP_STALLED_MS'], programs: WORKER, parse: integer(1000, 3_600_000), default: () => 30_000, defaultText: '30000',
    help: 'how often stalled trials (of dead workers) are looked for, ms',
  }),
  engine: setting<(typeof ENGINE_CHOICES)[number]>({
    flag: '--engine <name>', env: ['TFJS_BACKEND'], programs: WORKER, parse: oneOf(ENGINE_CHOICES), default: () => 'auto', defaultText: 'auto',
    help: `training engine: ${ENGINE_CHOICES.join(', ')} (auto: the fastest that loads; gpu: tensorflow-gpu, else webgpu on a GPU, never the CPU)`,
  }),
  cpuThreads: setting<number | undefined>({
    env: ['DENOISE_SWEEP_CPU_THREADS'], programs: WORKER, parse: integer(1, 64), default: none, defaultText: 'every core (oneDNN kernels), 1 (TypeScript ones)',
    help: 'cpu engine: threads of the training kernels',
  }),
  nativeKernels: setting<'on' | 'off'>({
    env: ['DENOISE_SWEEP_NATIVE_KERNELS'], programs: WORKER, parse: (t) => (t === '0' ? 'off' : oneOf(['on', 'off'] as const)(t)), default: () => 'on', defaultText: 'on',
    help: 'cpu engine: off turns the oneDNN kernels off (TypeScript kernels instead)',
  }),
  nativeIsa: setting<string | undefined>({
    env: ['DENOISE_SWEEP_NATIVE_ISA'], programs: WORKER, parse: (t) => oneOf(['avx512', 'avx2', 'baseline'] as const)(t), default: none, defaultText: 'the widest the CPU runs',
    help: 'cpu engine: which build of the oneDNN kernels loads (avx512, avx2, baseline); all compute the same bits',
  }),
  injectFaults: setting<string | undefined>({
    env: ['DENOISE_SWEEP_INJECT_FAULTS'], programs: WORKER, parse: optionalText, default: none, defaultText: 'none',
    help: 'tests and drills only: nan-loss:<trial id>, batch-delay:<ms>, comma-separated',
  }),
  fashionMnistDir: setting<string>({
    env: ['FASHION_MNIST_DIR'], programs: BOTH, parse: text, default: () => DEBIAN_FASHION_MNIST_DIR, defaultText: DEBIAN_FASHION_MNIST_DIR,
    help: 'the Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist)',
  }),
  debug: setting<boolean>({
    env: ['DEBUG'], programs: BOTH, parse: (t) => t !== '' && t !== '0', default: () => false, defaultText: 'off',
    help: 'print stack traces with errors',
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
type SettingValue<K extends SettingKey> = ReturnType<(typeof SETTINGS)[K]['default']>;
export type Settings<K extends SettingKey> = { [P in K]: SettingValue<P> };

/** commander's property name of a flag: '--s3-endpoint <url>' -> 's3Endpoint'. */
export function flagProperty(flag: string): string {
  const name = flag.split(/[ ,]/)[0]!.replace(/^--/, '');
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function flagName(flag: string): string {
  return flag.split(' ')[0]!;
}

/** Environment variables replaced by STORE_URL: set alone, they would send artifacts elsewhere. */
const REPLACED: Readonly<Record<string, string>> = {
  S3_BUCKET: 'STORE_URL=s3://<bucket>/<prefix> (or --store)',
  S3_PREFIX: 'STORE_URL=s3://<bucket>/<prefix> (or --store)',
};

/**
 * Reads the given settings: flags (commander's option values, by property name) over the
 * environment over defaults. A value that does not parse is a UsageError (exit 2) naming the
 * flag or variable, what was found and what is allowed.
 */
export function readSettings<K extends SettingKey>(
  keys: readonly K[],
  flags: Readonly<Record<string, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Settings<K> {
  for (const [name, instead] of Object.entries(REPLACED)) {
    if (env[name] && !env.STORE_URL) throw new UsageError(`${name} is no longer read: use ${instead}`);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const s = SETTINGS[key] as Setting<unknown>;
    let source: string | undefined;
    let raw: string | undefined;
    const flagValue = s.flag === undefined ? undefined : flags[flagProperty(s.flag)];
    if (flagValue !== undefined && s.flag !== undefined) {
      source = flagName(s.flag);
      raw = String(flagValue);
    } else {
      for (const name of s.env ?? []) {
        const value = env[name];
        if (value !== undefined && value !== '') {
          source = name;
          raw = value;
          break;
        }
      }
    }
    if (raw === undefined || source === undefined) {
      out[key] = s.default();
      continue;
    }
    try {
      out[key] = s.parse(raw);
    } catch (error) {
      const shown = /URL|REDIS|redis|store/i.test(source) ? redactUrl(raw) : raw;
      throw new UsageError(`${source} ${(error as Error).message}; found '${shown.slice(0, 200)}'`, { cause: error });
    }
  }
  return out as Settings<K>;
}

/** A URL with any password replaced, for messages and logs. */
export function redactUrl(value: string): string {
  // On the text, not through URL: the rest stays as the user wrote it.
  return value.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/** The flag options of these settings, for commander: `--flag <value>` and its help line. */
export function settingFlags(keys: readonly SettingKey[]): { flags: string; description: string }[] {
  return keys.flatMap((key) => {
    const s = SETTINGS[key] as Setting<unknown>;
    if (s.flag === undefined) return [];
    const env = s.env?.length ? `env ${s.env.join(' or ')}; ` : '';
    return [{ flags: s.flag, description: `${s.help} (${env}default: ${s.defaultText})` }];
  });
}

/** Help text for the settings that have no flag: one line each. */
export function environmentHelp(keys: readonly SettingKey[]): string {
  const lines = keys.flatMap((key) => {
    const s = SETTINGS[key] as Setting<unknown>;
    return s.flag === undefined && s.env ? [`  ${s.env.join(' or ').padEnd(28)} ${s.help} (default: ${s.defaultText})`] : [];
  });
  return lines.length ? `\n\nEnvironment:\n${lines.join('\n')}\n` : '';
}

/** The configuration table of the README, in Markdown. */
export function settingsTable(): string {
  const rows = (Object.keys(SETTINGS) as SettingKey[]).map((key) => {
    const s = SETTINGS[key] as Setting<unknown>;
    const cell = (v: string) => v.replace(/\|/g, '\\|');
    return `| ${s.flag ? `\`${flagName(s.flag)}\`` : ''} | ${(s.env ?? []).map((e) => `\`${e}\``).join(', ')} | ${cell(s.defaultText)} | ${s.programs.join(', ')} | ${cell(s.help)} |`;
  });
  return ['| flag | environment | default | programs | what it sets |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** Every environment variable a program reads through its settings. */
export function environmentOf(program: Program): Set<string> {
  const names = new Set<string>();
  for (const s of Object.values(SETTINGS) as Setting<unknown>[]) {
    if (s.programs.includes(program)) for (const name of s.env ?? []) names.add(name);
  }
  return names;
}

/** FASHION_MNIST_DIR, else Debian's directory. */
export function fashionMnistDir(env: NodeJS.ProcessEnv = process.env): string {
  return readSettings(['fashionMnistDir'], {}, env).fashionMnistDir;
}
