#!/usr/bin/env node
/**
 * Bundles the dashboard (packages/server/dashboard) into packages/server/public: index.html,
 * assets/app.js and assets/app.css. The page names each asset with its content hash (`?v=`), which
 * the server uses to serve them as immutable. Run by `npm run build`; `--out <dir>` writes elsewhere.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(serverDir, 'dashboard');
export const DEFAULT_OUT_DIR = join(serverDir, 'public');

/** Browsers the bundle targets: those with `<dialog>`, `color-mix()` and `TextDecoderStream`. */
const TARGETS = ['chrome111', 'firefox113', 'safari16.4', 'edge111'];

/** @param {string} text */
const hashOf = (text) => createHash('sha256').update(text).digest('base64url').slice(0, 16);

/**
 * Builds the dashboard into `outDir`.
 * @param {{ outDir?: string }} [options]
 * @returns {Promise<{ files: Record<string, number> }>} bytes written per file
 */
export async function buildDashboard({ outDir = DEFAULT_OUT_DIR } = {}) {
  /** @type {import('esbuild').BuildOptions & { write: false }} */
  const common = { bundle: true, minify: true, write: false, target: TARGETS, logLevel: 'silent' };
  const [js, css] = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [join(sourceDir, 'src', 'main.ts')],
      format: 'esm',
      legalComments: 'none',
      outfile: 'app.js',
    }),
    esbuild.build({
      ...common,
      entryPoints: [join(sourceDir, 'src', 'styles.css')],
      outfile: 'app.css',
    }),
  ]);
  const jsText = js.outputFiles[0]?.text ?? '';
  const cssText = css.outputFiles[0]?.text ?? '';
  if (!jsText || !cssText) throw new Error('esbuild produced no output');
  const template = await readFile(join(sourceDir, 'index.html'), 'utf8');
  const html = template
    .replace('%APP_JS_HASH%', hashOf(jsText))
    .replace('%APP_CSS_HASH%', hashOf(cssText));
  if (html.includes('%APP_'))
    throw new Error('index.html has a placeholder the build does not fill');
  await mkdir(join(outDir, 'assets'), { recursive: true });
  const outputs = {
    'index.html': html,
    'assets/app.js': jsText,
    'assets/app.css': cssText,
  };
  /** @type {Record<string, number>} */
  const files = {};
  // Assets first, the page last, each by rename: a running server never reads half a file.
  for (const [name, text] of Object.entries(outputs).reverse()) {
    const target = join(outDir, name);
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, text);
    await rename(temp, target);
    files[name] = Buffer.byteLength(text);
  }
  return { files };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  try {
    const outIndex = process.argv.indexOf('--out');
    const outDir = outIndex === -1 ? DEFAULT_OUT_DIR : process.argv[outIndex + 1];
    if (!outDir) throw new Error('--out needs a directory');
    const { files } = await buildDashboard({ outDir });
    const summary = Object.entries(files)
      .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(1)} kB`)
      .join(', ');
    console.log(`dashboard → ${relative(process.cwd(), outDir) || '.'}: ${summary}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`dashboard build failed: ${message}`);
    process.exit(1);
  }
}
