#!/usr/bin/env node
// The `worker` command. This file exists before the build, so npm links it into node_modules/.bin
// at install time (a bin pointing into dist/ would not be linked on a fresh clone); the program
// itself is dist/bin.js, compiled by `npm run build`.
try {
  await import('../dist/bin.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('/dist/bin.js')) {
    process.stderr.write('worker: not built yet: run `npm run build` in the repository (or bash scripts/setup.sh)\n');
    process.exit(1);
  }
  throw error;
}
