import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.js';
import { spawnServer } from './helpers/process.js';

describe('health routes', () => {
  it('answers /healthz with ok and no-store', async () => {
    const srv = await startTestServer();
    const res = await srv.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('the built server process answers /healthz over real HTTP', async () => {
    const proc = await spawnServer();
    const res = await fetch(`${proc.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await proc.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
