import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh scratch directory under the system's temporary folder. */
export function tempDir(prefix = 'vtrans-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
