#!/usr/bin/env node
// Builds the optional oneDNN addon (native/dnnl_kernels.cc) with node-gyp against the local
// Node headers. It never fails the build: when oneDNN, a compiler or the headers are
// missing, or the compile fails, it says why in one line, records the reason in
// native/build-status.json (the runtime reports it) and exits 0; the TypeScript kernels
// then serve. Skips the compile when the addon is newer than its sources.
//
//   node scripts/build-native.mjs [--force]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const addon = join(nativeDir, 'build', 'Release', 'dnnl_kernels.node');
const statusFile = join(nativeDir, 'build-status.json');
const sources = ['dnnl_kernels.cc', 'binding.gyp'].map((f) => join(nativeDir, f));
const force = process.argv.includes('--force');

function record(status) {
  writeFileSync(statusFile, `${JSON.stringify({ ...status, at: new Date().toISOString() }, null, 2)}\n`);
}

function skip(reason) {
  rmSync(addon, { force: true });
  record({ built: false, reason });
  console.log(`native kernels: not built (${reason}); the TypeScript kernels will serve`);
  process.exit(0);
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const setting = process.env.DENOISE_SWEEP_NATIVE_KERNELS;
if (setting === '0' || setting === 'off') skip('turned off by DENOISE_SWEEP_NATIVE_KERNELS');

if (!force && existsSync(addon)) {
  const built = statSync(addon).mtimeMs;
  if (sources.every((s) => statSync(s).mtimeMs <= built)) {
    console.log('native kernels: up to date');
    process.exit(0);
  }
}

const header = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp'].find((p) => existsSync(p));
if (header === undefined) skip('oneDNN headers not found: install Debian\'s libdnnl-dev');
if (!onPath('c++') && !onPath('g++')) skip('no C++ compiler: install g++');
if (!onPath('make')) skip('no make: install make');

// Local headers only: node-gyp would otherwise download them, which fails offline.
const nodedir = process.env.npm_config_nodedir ?? dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  skip(`Node headers not found under ${nodedir}/include/node: set npm_config_nodedir to a Node install with headers`);
}

let gyp;
try {
  gyp = createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
} catch {
  skip('node-gyp is not installed: run npm ci');
}

console.log('native kernels: building the oneDNN addon (node-gyp)...');
const result = spawnSync(process.execPath, [gyp, 'rebuild', '--directory', nativeDir, `--nodedir=${nodedir}`, '--loglevel=error'], {
  encoding: 'utf8',
  env: { ...process.env, JOBS: process.env.JOBS ?? 'max' },
});
if (result.status !== 0) {
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => /error/i.test(l));
  skip(`compile failed: ${(lines[0] ?? `node-gyp exited with ${result.status}`).trim().slice(0, 300)}`);
}
try {
  const version = execFileSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(addon)}).version().onednn)`], {
    encoding: 'utf8',
    env: { ...process.env, OMP_WAIT_POLICY: 'passive' },
  }).trim();
  record({ built: true, onednn: version });
  console.log(`native kernels: built against oneDNN ${version}`);
} catch (err) {
  skip(`built, but it does not load: ${String(err.stderr ?? err.message).split('\n')[0]}`);
}
