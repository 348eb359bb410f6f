#!/usr/bin/env node
/** The `vtrans` executable. */
import { createIo } from './io.js';
import { main } from './program.js';

// `vtrans list | head -1`: a reader that goes away is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    process.exit(error.code === 'EPIPE' ? 0 : 1);
  });
}

const code = await main(process.argv.slice(2), createIo());
// Let stdout and stderr drain (they are asynchronous pipes) before leaving with the code.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(code);
