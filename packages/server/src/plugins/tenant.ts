/**
 * Who is asking. In open mode (no API keys) every request belongs to the one public tenant; the
 * authentication plugin, when keys are configured, sets the key's tenant instead.
 */
import type { FastifyInstance } from 'fastify';

export const OPEN_TENANT = 'public';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the request acts for; jobs of other tenants are invisible to it. */
    tenant: string;
  }
}

export function registerTenant(app: FastifyInstance): void {
  app.decorateRequest('tenant', OPEN_TENANT);
}
