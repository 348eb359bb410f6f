#!/usr/bin/env node
// The `vtrans` command. This file is committed (the program, dist/bin.js, is compiled) so that
// npm finds it at install time and links `npx vtrans` in this repository as well as in a project
// that installs @vtrans/cli.
import { existsSync } from 'node:fs';

const program = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(program)) {
  process.stderr.write(
    'vtrans: the command is not built yet: run `npm run build` at the repository root\n',
  );
  process.exit(2);
}
await import(program.href);
