/**
 * What the tests and benchmarks of every package share, in one place: they import it as
 * `@vtrans/test-support` instead of reaching into each other's folders.
 */
export { freePort } from './net.js';
export { tempDir } from './scratch.js';
export { sleep } from './sleep.js';
export { ascending, MIN_SAMPLES_FOR_P99, p99, percentile } from './percentile.js';
export { CHROMIUM_PATH, hasService, isCi, needs, type Service } from './services.js';
export { chromiumOptions } from './chromium.js';
export { startRedis, stopAllRedis, type RedisOptions, type RedisServer } from './redis-server.js';
export {
  MAIN_JS,
  runServerToExit,
  spawnServer,
  stopAllServers,
  type Exit,
  type ServerProcess,
  type SpawnOptions,
} from './server-process.js';
export {
  fateOf,
  runOutage,
  runScenario,
  SCENARIOS,
  type ChaosOptions,
  type Fate,
  type OutageOptions,
  type OutageResult,
  type Scenario,
  type ScenarioResult,
} from './chaos-harness.js';
export { runSoak, SOAK_LIMITS, type ProcessFigures, type SoakReport } from './soak.js';
