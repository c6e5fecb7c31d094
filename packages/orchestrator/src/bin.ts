#!/usr/bin/env node
import { processIo } from './cli-io.js';
import { EXIT_OK, describeError, exitCodeFor } from './exit-codes.js';
import { createProgram } from './program.js';

// The only place that ends the process: every command throws, this maps errors to exit codes.
async function main(argv: readonly string[]): Promise<number> {
  try {
    await createProgram(processIo).parseAsync([...argv], { from: 'node' });
    return EXIT_OK;
  } catch (error) {
    const message = describeError(error);
    if (message !== undefined) processIo.err(`${message}\n`);
    return exitCodeFor(error);
  }
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // A closed pipe (`... --json | head -1`) is the reader's choice, not a failure.
  process.exit(error.code === 'EPIPE' ? EXIT_OK : 1);
});

// The AWS SDK warns on every run that its releases from 2027 on need Node 22; this project
// pins an SDK that supports Node 20, so the warning says nothing actionable to users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const code = await main(process.argv);
// Let buffered output reach its pipe before exiting.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(code);
