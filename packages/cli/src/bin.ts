#!/usr/bin/env node
/** The `vtrans` executable. */
import { createIo } from './io.js';
import { main } from './program.js';

const code = await main(process.argv.slice(2), createIo());
// Let stdout and stderr drain (they are asynchronous pipes) before leaving with the code.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(code);
