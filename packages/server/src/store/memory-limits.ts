/** The memory store's default job limit (`VT_MEMORY_MAX_JOBS`): about 80 MB of finished jobs. */
export const DEFAULT_MEMORY_MAX_JOBS = 100_000;
