import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.js';

describe('health routes', () => {
  it('answers /healthz with ok and no-store', async () => {
    const srv = await startTestServer();
    const res = await srv.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
  });
});
