/**
 * How every browser test starts Debian's Chromium (never a downloaded browser): one path, one flag
 * list. The background-networking flags matter here: without them Chromium keeps trying hosts this
 * closed network refuses.
 */
import type { LaunchOptions } from 'playwright-core';
import { CHROMIUM_PATH } from './services.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launch options for `chromium.launch` / `launchPersistentContext`, plus any of the caller's. */
export function chromiumOptions<T extends object>(extra?: T): LaunchOptions & T {
  return {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    ...extra,
  } as LaunchOptions & T;
}
