/**
 * The deployment in infra/ (docker compose, Dockerfiles, Kubernetes), validated offline: no
 * Docker engine and no cluster here.
 * - `docker-compose config` resolves infra/docker-compose.yml with infra/.env.example;
 * - every Kubernetes manifest validates against its schema (kubernetes-models for built-in
 *   kinds; @kubernetes-models/keda, generated from KEDA's CRD, for KEDA's kinds, plus checks of
 *   the fields that CRD version predates and of the redis trigger's documented metadata keys);
 * - `promtool check config` on every Prometheus config compose or Kubernetes uses;
 * - the environment the services are given is exactly what the programs read.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentOf, parseSweepText, QUEUE_NAME, QUEUE_PREFIX } from '@denoise-sweep/shared';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const infra = join(root, 'infra');
const k8sDir = join(infra, 'k8s');
const dockerDir = join(infra, 'docker');
const composeFile = join(infra, 'docker-compose.yml');
const envExample = join(infra, '.env.example');
const tmp = mkdtempSync(join(tmpdir(), 'deployment-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const has = (cmd: string, arg: string) => spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
const composeFound = has('docker-compose', 'version');
const promtoolFound = has('promtool', '--version');

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

// ---------------------------------------------------------------------------------------------
// What the programs read: the environment variables of their declared settings, plus a few
// that third-party code or the runtime reads on their behalf.

const VULKAN_LOADER_ENV = ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_ADD_DRIVER_FILES', 'XDG_CONFIG_DIRS', 'XDG_DATA_HOME', 'XDG_DATA_DIRS', 'HOME'];

/** Read by our code but belonging to others: the GPU runtime, OpenMP, the AWS SDK, the shell. */
const FOREIGN: Record<Program, string[]> = {
  worker: [
    'CUDA_VISIBLE_DEVICES', 'OMP_WAIT_POLICY', 'GOMP_SPINCOUNT', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'XDG_RUNTIME_DIR',
    // The Vulkan loader's, read to find its drivers as it would (webgpu-engine.ts).
    ...VULKAN_LOADER_ENV,
  ],
  orchestrator: ['PATH', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'DENOISE_SWEEP_CPU_THREADS'],
};

type Program = 'worker' | 'orchestrator';
const READS: Record<Program, Set<string>> = {
  worker: new Set([...environmentOf('worker'), ...FOREIGN.worker]),
  orchestrator: new Set([...environmentOf('orchestrator'), ...FOREIGN.orchestrator]),
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** Every `env.NAME` / `process.env.NAME` / env['NAME'] in a package's sources. */
function envReadsInSources(packages: string[]): Set<string> {
  const names = new Set<string>();
  for (const pkg of packages) {
    for (const file of sourceFiles(join(root, 'packages', pkg, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(m[1]!);
      for (const m of text.matchAll(/\benv\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g)) names.add(m[1]!);
    }
  }
  return names;
}

/** Read by a program, deliberately not given by the deployment, and why. */
const NOT_GIVEN: Record<Program, Record<string, string>> = {
  worker: {
    AWS_REGION: 'S3_REGION is given and wins',
    DEBUG: 'stack traces on demand',
    DENOISE_SWEEP_INJECT_FAULTS: 'fault injection for tests',
    WORKER_CONCURRENCY: 'one trial per GPU, the default; workers scale by replicas',
    DENOISE_SWEEP_SHUTDOWN_GRACE_MS: 'the default (30 s) fits the containers\' stop timeouts',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'the bin sets it itself',
    CUDA_VISIBLE_DEVICES: 'set by the GPU runtime or infra/docker/gpu-entrypoint.sh',
    FASHION_MNIST_DIR: 'shared code; only the orchestrator publishes the dataset',
    DENOISE_SWEEP_NATIVE_KERNELS: 'the oneDNN kernels serve wherever the addon was built; off only to compare tiers',
    DENOISE_SWEEP_NATIVE_ISA: 'the widest build the CPU runs is chosen at start; set only to compare builds',
    OMP_WAIT_POLICY: 'OpenMP tuning; the kernels choose a short spin when neither this nor GOMP_SPINCOUNT is set',
    GOMP_SPINCOUNT: 'OpenMP tuning; the kernels set 10,000 spins when unset',
    XDG_RUNTIME_DIR: 'the webgpu engine sets it for Dawn, which only warns without it',
    ...Object.fromEntries(VULKAN_LOADER_ENV.map((name) => [name, 'the Vulkan loader\'s own: where its drivers are'])),
  },
  orchestrator: {
    AWS_REGION: 'S3_REGION is given and wins',
    DEBUG: 'stack traces on demand',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'the bin sets it itself',
    PATH: 'local mode looks up redis-server',
    REDIS_SERVER_BIN: 'local mode only',
    DENOISE_SWEEP_WORKER_BIN: 'local mode only',
    DENOISE_SWEEP_CPU_THREADS: 'local mode shares the cores out between its workers',
    DENOISE_SWEEP_STATE_DIR: 'local mode only',
    DENOISE_SWEEP_WORKERS: 'local mode only',
  },
};

/** Given to our programs but read by third-party code (the AWS SDK, Node). */
const THIRD_PARTY = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'NODE_EXTRA_CA_CERTS', 'NODE_ENV', 'NODE_OPTIONS', 'NVIDIA_DRIVER_CAPABILITIES']);

/** Environment of the services that are not our programs, read by their own images. */
const SERVICE_ENV: Record<string, string[]> = {
  redis: ['REDIS_PASSWORD', 'REDISCLI_AUTH'],
  minio: ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD'],
  'minio-init': ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD', 'S3_BUCKET'],
  prometheus: [],
  grafana: ['GF_SECURITY_ADMIN_USER', 'GF_SECURITY_ADMIN_PASSWORD', 'GF_USERS_ALLOW_SIGN_UP'],
};

/** ENV instructions of a Dockerfile's last stage (what the image gives every container). */
function dockerfileEnv(file: string): string[] {
  const text = readFileSync(join(dockerDir, file), 'utf8').replace(/\\\n/g, ' ');
  const stages = text.split(/^FROM /m);
  const last = stages[stages.length - 1]!;
  return [...last.matchAll(/^ENV (.*)$/gm)].flatMap((m) => [...m[1]!.matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((n) => n[1]!));
}

const IMAGES: Record<string, { dockerfile: string; program: Program }> = {
  'worker-gpu': { dockerfile: 'worker-gpu.Dockerfile', program: 'worker' },
  'worker-cpu': { dockerfile: 'worker-cpu.Dockerfile', program: 'worker' },
  orchestrator: { dockerfile: 'orchestrator.Dockerfile', program: 'orchestrator' },
};
const imageOf = (image: string) => Object.keys(IMAGES).find((k) => image.includes(`/${k}:`));

/** Checks one deployment's env: per service, nothing the program does not read; over all the
 *  services that run a program, everything it reads except the documented NOT_GIVEN. */
function checkEnv(deployment: string, services: { name: string; image: string; env: string[] }[]): void {
  const given: Record<Program, Set<string>> = { worker: new Set(), orchestrator: new Set() };
  for (const s of services) {
    const image = imageOf(s.image);
    if (!image) {
      expect(SERVICE_ENV[s.name], `${deployment}: service ${s.name} is neither ours nor listed in SERVICE_ENV`).toBeDefined();
      expect(s.env.filter((e) => !SERVICE_ENV[s.name]!.includes(e)), `${deployment}: ${s.name} env not in its allow-list`).toEqual([]);
      continue;
    }
    const { program, dockerfile } = IMAGES[image]!;
    const env = [...s.env, ...dockerfileEnv(dockerfile)];
    const unread = env.filter((e) => !READS[program].has(e) && !THIRD_PARTY.has(e));
    expect(unread, `${deployment}: ${s.name} is given variables ${program} never reads`).toEqual([]);
    for (const e of env) given[program].add(e);
  }
  for (const program of ['worker', 'orchestrator'] as const) {
    const missing = [...READS[program]].filter((e) => !given[program].has(e) && !(e in NOT_GIVEN[program])).sort();
    expect(missing, `${deployment}: ${program} reads these but no service gives them (give them, or list them in NOT_GIVEN with the reason)`).toEqual([]);
    const stale = Object.keys(NOT_GIVEN[program]).filter((e) => !READS[program].has(e));
    expect(stale, `NOT_GIVEN.${program} lists variables ${program} no longer reads`).toEqual([]);
  }
}

// ---------------------------------------------------------------------------------------------

describe('the programs read the variables the deployment is built around', () => {
  it('read no variable outside their declared settings', () => {
    const sources: Record<Program, string[]> = { worker: ['shared', 'tfjs-cpu-kernels', 'worker'], orchestrator: ['shared', 'orchestrator'] };
    for (const program of ['worker', 'orchestrator'] as const) {
      const undeclared = [...envReadsInSources(sources[program])].filter((name) => !READS[program].has(name)
        // Shared code is read by both programs; a setting of the other program is not this one's.
        && !READS[program === 'worker' ? 'orchestrator' : 'worker'].has(name)).sort();
      expect(undeclared, `${program}: declare these in packages/shared/src/settings.ts`).toEqual([]);
    }
  });

  it('declare the variables the deployment is built around', () => {
    for (const name of ['REDIS_URL', 'STORE_URL', 'S3_ENDPOINT', 'S3_REGION', 'TFJS_BACKEND', 'METRICS_PORT', 'DENOISE_SWEEP_CACHE_DIR']) {
      expect(READS.worker.has(name), name).toBe(true);
    }
    for (const name of ['REDIS_URL', 'STORE_URL', 'EXPORTER_PORT', 'EXPORTER_HOST', 'FASHION_MNIST_DIR']) expect(READS.orchestrator.has(name), name).toBe(true);
  });
});

describe.skipIf(!composeFound)('docker compose (docker-compose config; skipped without Debian docker-compose)', () => {
  const config = (...extra: string[]) => spawnSync('docker-compose', ['--env-file', envExample, '-f', composeFile, ...extra, 'config'], { cwd: root, encoding: 'utf8' });
  const resolved = () => {
    const r = config('--profile', 'cpu', '--profile', 'sweep');
    expect(r.status, r.stderr).toBe(0);
    return obj(parse(r.stdout));
  };

  it('is valid with .env.example, with and without the cpu and sweep profiles', () => {
    const plain = config();
    expect(plain.status, plain.stderr).toBe(0);
    expect(Object.keys(obj(obj(parse(plain.stdout)).services))).toEqual(expect.arrayContaining(['grafana', 'minio', 'minio-init', 'orchestrator', 'prometheus', 'redis', 'worker']));
    expect(Object.keys(obj(resolved().services))).toEqual(expect.arrayContaining(['worker-cpu', 'sweep']));
  });

  it('refuses to start without the passwords', () => {
    const empty = join(tmp, 'empty.env');
    writeFileSync(empty, '');
    const r = spawnSync('docker-compose', ['--env-file', empty, '-f', composeFile, 'config'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/REDIS_PASSWORD|S3_ACCESS_KEY|S3_SECRET_KEY|GRAFANA_ADMIN_PASSWORD/);
  });

  it('has Redis with a password and append-only persistence, and MinIO with its bucket created at start', () => {
    const s = obj(resolved().services);
    const redis = obj(s.redis);
    expect(arr(redis.command).join(' ')).toMatch(/--appendonly yes.*--maxmemory-policy noeviction.*--requirepass/);
    expect(arr(redis.volumes).map((v) => obj(v).target ?? v).join(' ')).toMatch(/\/data/);
    const url = obj(obj(s.worker).environment).REDIS_URL as string;
    expect(new URL(url).password).toBe('change-me-redis');
    const init = obj(s['minio-init']);
    expect(arr(init.entrypoint).join(' ')).toMatch(/mc mb --ignore-existing/);
    expect(obj(obj(init.depends_on).minio).condition).toBe('service_healthy');
    for (const app of ['worker', 'orchestrator', 'sweep']) expect(obj(obj(obj(s[app]).depends_on)['minio-init']).condition).toBe('service_completed_successfully');
  });

  it('mounts the project Prometheus config and rules, and Grafana provisioning and dashboards', () => {
    const s = obj(resolved().services);
    const mounts = (svc: string) => arr(obj(s[svc]).volumes).map((v) => (typeof v === 'string' ? v : `${String(obj(v).source)}:${String(obj(v).target)}`));
    expect(mounts('prometheus')).toContainEqual(expect.stringMatching(new RegExp(`${join(infra, 'prometheus')}:/etc/prometheus`)));
    expect(arr(obj(s.prometheus).command)).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(mounts('grafana')).toContainEqual(expect.stringMatching(new RegExp(`${join(infra, 'grafana', 'provisioning')}:/etc/grafana/provisioning`)));
    // The dashboard provider's path is where compose mounts the dashboards.
    const provider = obj(arr(obj(parse(readFileSync(join(infra, 'grafana/provisioning/dashboards/denoise-sweep.yml'), 'utf8'))).providers)[0]);
    expect(mounts('grafana')).toContainEqual(expect.stringMatching(new RegExp(`${join(infra, 'grafana', 'dashboards')}:${String(obj(provider.options).path)}`)));
    // Prometheus finds workers and the exporter by these DNS names: the services must answer to them.
    const prom = readFileSync(join(infra, 'prometheus/prometheus.yml'), 'utf8');
    expect(prom).toMatch(/names: \['worker'\][\s\S]*port: 9464/);
    expect(prom).toMatch(/names: \['orchestrator'\][\s\S]*port: 9465/);
    expect(s.orchestrator).toBeDefined();
    expect(arr(obj(obj(obj(s['worker-cpu']).networks).default).aliases)).toContain('worker');
  });

  it('gives each worker replica a GPU, a stop grace period for checkpointing, and no fixed name or host port', () => {
    const s = obj(resolved().services);
    for (const name of ['worker', 'worker-cpu']) {
      const w = obj(s[name]);
      expect(w.stop_grace_period, name).toMatch(/^(120s|2m0?s?)$/);
      expect(w.stop_signal, name).toBe('SIGTERM');
      expect(w.container_name, name).toBeUndefined();
      expect(w.ports, name).toBeUndefined();
      expect(arr(w.command)).toEqual(['run', '--concurrency', '1']);
    }
    const devices = arr(obj(obj(obj(obj(s.worker).deploy).resources).reservations).devices);
    // graphics: the NVIDIA runtime mounts the Vulkan driver that the webgpu engine needs.
    expect(devices).toEqual([{ driver: 'nvidia', count: 'all', capabilities: ['gpu', 'compute', 'utility', 'graphics'] }]);
    expect(arr(obj(s.worker).volumes).map((v) => (typeof v === 'string' ? v : String(obj(v).target))).join(' ')).toMatch(/:\/var\/lock\/denoise-sweep-gpus\b/);
    expect(obj(obj(s.worker).build).dockerfile).toBe('infra/docker/worker-gpu.Dockerfile');
  });

  it('gives the services exactly the variables the programs read', () => {
    const services = Object.entries(obj(resolved().services)).map(([name, svc]) => ({
      name,
      image: String(obj(svc).image ?? ''),
      env: Object.keys(obj(obj(svc).environment)),
    }));
    checkEnv('compose', services);
  });
});

describe('Dockerfiles', () => {
  const read = (f: string) => readFileSync(join(dockerDir, f), 'utf8');

  it('are multi-stage, run as a non-root user, stop on SIGTERM under tini, and build from what .dockerignore lets through', () => {
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*\/node_modules$/m);
    expect(ignore).toMatch(/^!test\/package\.json$/m);
    for (const file of Object.values(IMAGES).map((i) => i.dockerfile)) {
      const text = read(file);
      expect(text.match(/^FROM /gm)!.length, file).toBeGreaterThanOrEqual(3);
      expect(text, file).toMatch(/^USER denoise$/m);
      expect(text, file).toMatch(/^STOPSIGNAL SIGTERM$/m);
      expect(text, file).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m);
      expect(text, file).toMatch(/npx tsc -b/);
      // Every COPY source from the build context exists.
      for (const m of text.matchAll(/^COPY (?!--from)(.*) \S+$/gm)) {
        for (const src of m[1]!.split(' ')) expect(existsSync(join(root, src)), `${file}: COPY ${src}`).toBe(true);
      }
    }
  });

  it('install the native TensorFlow binding once, at build time, on the right base', () => {
    const gpu = read('worker-gpu.Dockerfile');
    expect(gpu).toMatch(/ARG CUDA_IMAGE=nvidia\/cuda:11\.2\.\d+-cudnn8-runtime-ubuntu20\.04/);
    // CUDA's libraries on a Debian 12 runtime (Dawn needs glibc >= 2.34), the Vulkan loader and
    // glvnd for the webgpu engine, the graphics capability, and TFJS_BACKEND=gpu.
    expect(gpu).toMatch(/^FROM \$\{NODE_IMAGE\} AS base$/m);
    expect(gpu).toMatch(/^COPY --from=cuda \/usr\/local\/cuda-11\.2\/targets\/x86_64-linux\/lib\/ /m);
    expect(gpu).toMatch(/apt-get install[^\n]*\n\s+libvulkan1 libglvnd0/);
    expect(gpu).toMatch(/NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/);
    expect(gpu).toMatch(/ls node_modules\/webgpu\/dist\/linux-x64\/dawn\.node/);
    expect(dockerfileEnv('worker-gpu.Dockerfile')).toContain('TFJS_BACKEND');
    expect(gpu).toMatch(/TFJS_BACKEND=gpu/);
    expect(gpu).toMatch(/npm rebuild @tensorflow\/tfjs-node-gpu/);
    expect(gpu).toMatch(/rm -rf node_modules\/@tensorflow\/tfjs-node \\/);
    const cpu = read('worker-cpu.Dockerfile');
    expect(cpu).toMatch(/npm rebuild @tensorflow\/tfjs-node /);
    // The oneDNN addon is built in the build stage, must exist, and its runtime library is in the image.
    expect(cpu).toMatch(/apt-get install[^\n]*libdnnl-dev/);
    expect(cpu).toMatch(/npm run build:native -w @denoise-sweep\/tfjs-cpu-kernels \\\n && test -f packages\/tfjs-cpu-kernels\/native\/build\/Release\/dnnl_kernels\.node/);
    expect(cpu.split(/^FROM /m).at(-1)).toMatch(/libdnnl2[\s\S]*COPY --from=build \/src\/packages\/tfjs-cpu-kernels\/native\/build\/Release\/dnnl_kernels\.node/);
    const orch = read('orchestrator.Dockerfile');
    expect(orch).toMatch(/dataset-fashion-mnist/);
    expect(orch).not.toMatch(/tfjs-node/);
  });

  it('the GPU entrypoint is valid sh', () => {
    const r = spawnSync('sh', ['-n', join(dockerDir, 'gpu-entrypoint.sh')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

interface Manifest { file: string; doc: Obj }
const manifests: Manifest[] = readdirSync(k8sDir)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((file) => parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((d) => ({ file, doc: obj(d.toJS()) })));
const byKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const one = (kind: string, name: string) => byKind(kind).find((d) => obj(d.metadata).name === name)!;
type Container = { name: string; image: string; args?: string[]; env?: { name: string; value?: string; valueFrom?: Obj }[] } & Obj;
const containersOf = (d: Obj) => arr(obj(obj(obj(obj(d.spec).template).spec)).containers) as Container[];

// KEDA's documented redis trigger metadata keys (keda.sh/docs/2.x/scalers/redis-lists).
const REDIS_TRIGGER_KEYS = new Set(['address', 'addressFromEnv', 'host', 'hostFromEnv', 'port', 'portFromEnv', 'usernameFromEnv', 'passwordFromEnv', 'listName', 'listLength', 'activationListLength', 'enableTLS', 'unsafeSsl', 'databaseIndex']);

describe('Kubernetes manifests', () => {
  it('every manifest validates against its schema', () => {
    const models: Record<string, new (data: never) => { validate(): void }> = {
      Namespace, Secret, ConfigMap, Service, Deployment, Job, ScaledObject, TriggerAuthentication,
    };
    expect(manifests.length).toBeGreaterThanOrEqual(10);
    for (const { file, doc } of manifests) {
      const Model = models[String(doc.kind)];
      expect(Model, `${file}: no schema for kind ${String(doc.kind)}`).toBeDefined();
      expect(() => new Model!(doc as never).validate(), `${file}: ${String(doc.kind)} ${String(obj(doc.metadata).name)}`).not.toThrow();
      expect(obj(doc.metadata).namespace ?? (doc.kind === 'Namespace' ? 'denoise-sweep' : undefined), file).toBe('denoise-sweep');
    }
    const kustomization = obj(parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')));
    for (const r of arr(kustomization.resources)) expect(() => readFileSync(join(k8sDir, String(r))), String(r)).not.toThrow();
  });

  it('the schemas catch a broken manifest', () => {
    const worker = structuredClone(one('Deployment', 'worker'));
    obj(worker.spec).replicas = 'two';
    expect(() => new Deployment(worker as never).validate()).toThrow();
    const so = structuredClone(one('ScaledObject', 'worker'));
    delete obj(so.spec).scaleTargetRef;
    expect(() => new ScaledObject(so as never).validate()).toThrow();
  });

  it('the worker requests one GPU and waits for its checkpoint on termination; the Services make pods discoverable', () => {
    const worker = one('Deployment', 'worker');
    const pod = obj(obj(obj(worker.spec).template).spec);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(120);
    const [c] = containersOf(worker);
    expect(obj(obj(c!.resources).limits)['nvidia.com/gpu']).toBe(1);
    expect(c!.args).toEqual(['run', '--concurrency', '1']);
    expect(c!.image).toMatch(/\/worker-gpu:/);
    // libtensorflow, else WebGPU through the Vulkan driver the graphics capability mounts; never the CPU.
    const env = Object.fromEntries(arr(c!.env).map((e) => [obj(e).name, obj(e).value]));
    expect(env).toMatchObject({ TFJS_BACKEND: 'gpu', NVIDIA_DRIVER_CAPABILITIES: 'compute,utility,graphics' });
    const annotations = obj(obj(obj(obj(worker.spec).template).metadata).annotations);
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464' });
    for (const [name, port] of [['worker', 9464], ['orchestrator', 9465]] as const) {
      const svc = obj(one('Service', name).spec);
      expect(svc.clusterIP).toBe('None');
      expect(arr(svc.ports).map((p) => obj(p).port)).toEqual([port]);
    }
    const exporter = containersOf(one('Deployment', 'orchestrator'))[0]!;
    expect(exporter.args).toEqual(['serve', '--port', '9465', '--host', '0.0.0.0']);
    // Labels the Services select are on the pods.
    for (const name of ['worker', 'orchestrator']) {
      const selector = obj(obj(one('Service', name).spec).selector);
      expect(obj(obj(obj(obj(one('Deployment', name).spec).template).metadata).labels)).toMatchObject(selector);
    }
  });

  it('KEDA scales the worker Deployment on the BullMQ lists, from zero, with Redis credentials from the Secret', () => {
    const so = one('ScaledObject', 'worker');
    const spec = obj(so.spec);
    expect(obj(spec.scaleTargetRef)).toMatchObject({ kind: 'Deployment', name: 'worker' });
    expect(spec.minReplicaCount).toBe(0);
    expect(spec.maxReplicaCount).toBeGreaterThan(0);
    const triggers = arr(spec.triggers).map(obj);
    // BullMQ 6 keeps waiting jobs in the LIST <prefix>:<queue>:wait and running ones in :active.
    expect(triggers.map((t) => obj(t.metadata).listName)).toEqual([`${QUEUE_PREFIX}:${QUEUE_NAME}:wait`, `${QUEUE_PREFIX}:${QUEUE_NAME}:active`]);
    const modifiers = obj(obj(spec.advanced).scalingModifiers);
    expect(modifiers.formula).toBe(triggers.map((t) => t.name).join(' + '));
    expect(modifiers.metricType).toBe('AverageValue');
    const secret = obj(one('Secret', 'denoise-sweep-redis').stringData);
    const redisUrl = new URL(String(secret.url));
    const auth = one('TriggerAuthentication', String(obj(triggers[0]!.authenticationRef).name));
    expect(arr(obj(auth.spec).secretTargetRef)).toEqual([{ parameter: 'password', name: 'denoise-sweep-redis', key: 'password' }]);
    expect(redisUrl.password).toBe(secret.password);
    for (const t of triggers) {
      expect(t.type).toBe('redis');
      const meta = obj(t.metadata);
      expect(Object.keys(meta).filter((k) => !REDIS_TRIGGER_KEYS.has(k)), 'unknown redis trigger metadata').toEqual([]);
      for (const v of Object.values(meta)) expect(typeof v, 'KEDA metadata values are strings').toBe('string');
      expect(meta.address).toBe(`${redisUrl.hostname}:${redisUrl.port}`);
      expect(Number(meta.listLength)).toBeGreaterThan(0);
    }
    // BullMQ's own key names, to be sure the lists are what KEDA reads.
    const keys = readFileSync(join(root, 'node_modules/bullmq/dist/esm/classes/queue-keys.js'), 'utf8');
    expect(keys).toMatch(/'wait'/);
    expect(keys).toMatch(/'active'/);
    const add = readFileSync(join(root, 'node_modules/bullmq/dist/esm/commands/addStandardJob-9.lua'), 'utf8');
    expect(add).toMatch(/addJobInTargetList\(waitKey/);
  });

  it('the example Job runs a valid sweep from its ConfigMap', () => {
    const job = one('Job', 'sweep-example');
    const [c] = containersOf(job);
    expect(c!.args).toEqual(['sweep', '/etc/denoise-sweep/sweep.yaml', '--detach']);
    const cm = one('ConfigMap', 'sweep-example');
    const spec = parseSweepText(String(obj(cm.data)['sweep.yaml']), 'infra/k8s/sweep-job.yaml#sweep.yaml');
    expect(spec.name).toBe('noise-vs-width');
  });

  it('every secret and config reference exists', () => {
    for (const d of [...byKind('Deployment'), ...byKind('Job')]) {
      for (const c of containersOf(d)) {
        for (const e of c.env ?? []) {
          const ref = obj(e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef);
          if (!ref.name) continue;
          const kind = e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
          const target = one(kind, String(ref.name));
          expect(target, `${c.name}: ${kind} ${String(ref.name)}`).toBeDefined();
          expect(Object.keys(obj(target.stringData ?? target.data)), `${c.name}: ${e.name}`).toContain(ref.key);
        }
      }
    }
  });

  it('gives the containers exactly the variables the programs read', () => {
    const services = [...byKind('Deployment'), ...byKind('Job')].flatMap((d) =>
      containersOf(d).map((c) => ({ name: `${String(obj(d.metadata).name)}/${c.name}`, image: c.image, env: (c.env ?? []).map((e) => e.name) })));
    checkEnv('k8s', services);
  });
});

describe.skipIf(!promtoolFound)('Prometheus configs used by compose and Kubernetes (promtool)', () => {
  const check = (dir: string) => spawnSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: dir, encoding: 'utf8' });

  it('compose: infra/prometheus/prometheus.yml, as mounted at /etc/prometheus', () => {
    const r = check(join(infra, 'prometheus'));
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 2 rule files found/);
  });

  it('Kubernetes: infra/k8s/prometheus.yml with the project rules beside it, same jobs as the production config', () => {
    const dir = join(tmp, 'k8s-prometheus');
    cpSync(join(k8sDir, 'prometheus.yml'), join(dir, 'prometheus.yml'));
    cpSync(join(infra, 'prometheus', 'rules'), join(dir, 'rules'), { recursive: true });
    const r = check(dir);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 2 rule files found/);
    const jobs = (f: string) => arr(obj(parse(readFileSync(f, 'utf8'))).scrape_configs).map((j) => obj(j).job_name).sort();
    expect(jobs(join(k8sDir, 'prometheus.yml'))).toEqual(jobs(join(infra, 'prometheus', 'prometheus.yml')));
  });
});
