/** @vtrans/server: a video-translation backend simulator you can run or start in your tests. */
export { buildApp } from './app.js';
export { systemClock, type Clock } from './clock.js';
export {
  ConfigError,
  CONFIG_VARIABLES,
  DEFAULT_CONFIG,
  loadConfig,
  resolveConfig,
  type ConfigVariable,
  type LogLevel,
  type ServerConfig,
} from './config.js';
export { createContext, type AppContext } from './context.js';
export { ERROR_CODES, ProblemError, type ErrorCode, type ProblemDetails } from './errors.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
export {
  onShutdownSignals,
  SIGNAL_ECHO_WINDOW_MS,
  type ShutdownSignalHandlers,
} from './shutdown-signals.js';
export {
  JOB_STAGES,
  JOB_STATUSES,
  materialize,
  TERMINAL_STATUSES,
  type Job,
  type JobRecord,
  type JobStage,
  type JobStatus,
} from './sim/job-model.js';
export { MemoryStore } from './store/memory-store.js';
export { openStore } from './store/open-store.js';
export { SqliteStore } from './store/sqlite-store.js';
export type { Store, StoredEvent, StoreNotice } from './store/types.js';
