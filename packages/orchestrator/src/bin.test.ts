import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * Runs the built binary as users do: `npx tsc -b` must have built dist/ first. Each case checks
 * the exit code and what lands on stdout and stderr.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const corpus = `${root}test/fixtures/sweeps/`;

interface Run { code: number; stdout: string; stderr: string }

function run(...args: string[]): Promise<Run> {
  return runWith({}, ...args);
}

/** As run(), with these environment variables set on top of the test's. */
function runWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npx tsc -b\` first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('orchestrator sweep --dry-run', () => {
  it('prints the trials of the example as a table with the count and sweep id', async () => {
    const { code, stdout, stderr } = await run('sweep', 'examples/sweep.yaml', '--dry-run');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Sweep example: 4 trials (grid search), metric val_loss (minimize), dataset 2000 train / 500 test images');
    expect(lines[2]).toMatch(/^id +noise +filters +epochs +batch +lr +seed$/);
    expect(lines.slice(3, 7).map((l) => l.split(/ +/))).toEqual([
      [expect.stringMatching(/^[0-9a-f]{12}$/), '0.3', '8,16', '2', '64', '0.001', '0'],
      [expect.stringMatching(/^[0-9a-f]{12}$/), '0.3', '16,32', '2', '64', '0.001', '0'],
      [expect.stringMatching(/^[0-9a-f]{12}$/), '0.6', '8,16', '2', '64', '0.001', '0'],
      [expect.stringMatching(/^[0-9a-f]{12}$/), '0.6', '16,32', '2', '64', '0.001', '0'],
    ]);
    expect(lines.at(-1)).toBe('4 trials in sweep example. Dry run: nothing was enqueued.');
  });

  it('with --json prints one parseable trial per line and nothing else', async () => {
    const table = await run('sweep', 'examples/sweep.yaml', '--dry-run');
    const { code, stdout, stderr } = await run('sweep', 'examples/sweep.yaml', '--dry-run', '--json');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.endsWith('\n')).toBe(true);
    const trials = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(trials).toHaveLength(4);
    expect(trials[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      params: { noise_factor: 0.3, filters: [8, 16], epochs: 2, batch_size: 64, learning_rate: 0.001, seed: 0 },
      dataset: { train_limit: 2000, test_limit: 500 },
    });
    // The same ids as the table, in the same order.
    for (const trial of trials) expect(table.stdout).toContain(String(trial.id));
  });

  it('gives the same ids on every run', async () => {
    const file = `${corpus}valid/random-distributions.yaml`;
    const [a, b] = await Promise.all([run('sweep', file, '--dry-run', '--json'), run('sweep', file, '--dry-run', '--json')]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.trimEnd().split('\n')).toHaveLength(12);
  });
});

describe('orchestrator exit codes', () => {
  it('exits 2 for flag combinations that cannot work, before touching anything', async () => {
    const json = await run('sweep', 'examples/sweep.yaml', '--json');
    expect(json).toMatchObject({ code: 2, stdout: '' });
    expect(json.stderr).toContain('--json goes with --dry-run');
    const detach = await run('sweep', 'examples/sweep.yaml', '--detach', '--state-dir', '/nonexistent/never-created');
    expect(detach.code).toBe(2);
    expect(detach.stderr).toContain('--detach needs a deployment');
    const workers = await run('sweep', 'examples/sweep.yaml', '--workers', '0');
    expect(workers.code).toBe(2);
    expect(workers.stderr).toContain("--workers must be a whole number from 1 to 256; found '0'");
  });

  it('exits 2 for a missing file and for a directory', async () => {
    const missing = await run('sweep', 'no/such/sweep.yaml', '--dry-run', '--json');
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toContain('no/such/sweep.yaml: no such file: check the path');
    const dir = await run('sweep', 'test/fixtures/sweeps', '--dry-run');
    expect(dir).toMatchObject({ code: 2, stdout: '' });
    expect(dir.stderr).toContain('test/fixtures/sweeps: is a directory');
  });

  it('exits 2 on commander usage errors and 0 on help', async () => {
    expect((await run('sweep')).code).toBe(2);
    expect((await run('sweep', 'x.yaml', '--bogus')).code).toBe(2);
    const unknown = await run('swep');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Did you mean sweep?');
    expect((await run()).code).toBe(2);
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Terms:');
    expect(help.stdout).toMatch(/trial +one training run/);
    const sweepHelp = await run('sweep', '--help');
    expect(sweepHelp.code).toBe(0);
    expect(sweepHelp.stdout).toContain('--dry-run');
    expect(sweepHelp.stdout).toContain('Examples:');
    expect((await run('--version')).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('the invalid sweep corpus through the binary', () => {
  const dir = `${corpus}invalid/`;
  const index = JSON.parse(readFileSync(`${dir}expect.json`, 'utf8')) as Record<string, { expect: string }>;
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

  it('has at least 30 files', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files)('invalid/%s exits 2 naming the file and the key path', async (file) => {
    const fragments = index[file] === undefined
      ? [...readFileSync(`${dir}${file}`, 'latin1').matchAll(/^# expect: (.*)$/gm)].map((m) => m[1] ?? '')
      : [index[file].expect];
    const path = `test/fixtures/sweeps/invalid/${file}`;
    const { code, stdout, stderr } = await run('sweep', path, '--dry-run', '--json');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const line = stderr.split('\n').find((l) => fragments.every((f) => l.includes(f)));
    expect(line, stderr).toBeDefined();
    expect(line?.startsWith(path)).toBe(true);
  });

  it.each(files)('invalid/%s run for real (local mode) exits 2 before starting or writing anything', async (file) => {
    const stateDir = join(mkdtempSync(join(tmpdir(), 'invalid-run-')), 'state');
    const { code, stdout } = await run('sweep', `test/fixtures/sweeps/invalid/${file}`, '--state-dir', stateDir);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(existsSync(stateDir)).toBe(false);
  });
});

describe('a deployment whose store cannot be reached', () => {
  it('fails within a few attempts, naming the endpoint and what to check, before any work', async () => {
    // A port nothing listens on.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const env = {
      REDIS_URL: 'redis://127.0.0.1:1', STORE_URL: 's3://sweeps/team-a', S3_ENDPOINT: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
    };
    for (const args of [['status', 'example'], ['results', 'example'], ['sweep', 'examples/sweep.yaml', '--detach']]) {
      const { code, stdout, stderr } = await runWith(env, ...args);
      expect(code, args.join(' ')).toBe(1);
      expect(stdout).toBe('');
      // 3 attempts (about a second), not the 10 over minutes that a running sweep rides an outage out with.
      expect(stderr).toMatch(new RegExp(`^orchestrator: S3 endpoint http://127\\.0\\.0\\.1:${port} unreachable \\(ECONNREFUSED\\) after 3 attempts .*during check s3://sweeps/team-a/: check S3_ENDPOINT and that the server is running`));
      expect(stderr).not.toContain('not-a-real-secret');
    }
  });
});
