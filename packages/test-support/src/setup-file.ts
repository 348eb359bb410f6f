/** Runs in every test file: whatever shared services the file started are stopped when it ends. */
import { afterAll } from 'vitest';
import { stopAllRedis } from './redis-server.js';
import { stopAllServers } from './server-process.js';

afterAll(async () => {
  await Promise.all([stopAllServers(), stopAllRedis()]);
});
