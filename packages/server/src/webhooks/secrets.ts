/**
 * Each tenant's webhook signing secrets, kept in the store so every instance signs alike. A
 * tenant's first secret is generated on first use (the open tenant's comes from
 * `VT_WEBHOOK_SECRET` when set); a rotation keeps the previous secret signing for a grace period.
 */
import type { Clock } from '../clock.js';
import type { Store, WebhookSecretSet } from '../store/types.js';
import { generateSecret } from './signature.js';

/** How long the previous secret keeps signing after a rotation, unless the request says. */
export const DEFAULT_ROTATION_GRACE_MS = 86_400_000;
/** Longest grace period a rotation may ask for. */
export const MAX_ROTATION_GRACE_MS = 7 * DEFAULT_ROTATION_GRACE_MS;

export class WebhookSecrets {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** `VT_WEBHOOK_SECRET`: the open tenant's secret, if configured. */
    private readonly configured: string | undefined,
    private readonly openTenant: string,
  ) {}

  /** Whether this tenant's secret is set by configuration (and so not rotatable through the API). */
  isConfigured(tenant: string): boolean {
    return this.configured !== undefined && tenant === this.openTenant;
  }

  /** The tenant's secrets, creating the first one if needed. */
  async get(tenant: string): Promise<WebhookSecretSet> {
    const stored = await this.store.getWebhookSecrets(tenant);
    if (stored) return stored;
    const first = this.isConfigured(tenant) ? (this.configured as string) : generateSecret();
    return this.store.initWebhookSecret(tenant, first);
  }

  /** The secrets that sign at `now`: the current one, and the previous during its grace period. */
  async signing(tenant: string, now: number): Promise<string[]> {
    const set = await this.get(tenant);
    return set.previous !== null && set.previousExpiresAt !== null && set.previousExpiresAt > now
      ? [set.current, set.previous]
      : [set.current];
  }

  /** Replaces the tenant's secret with a new random one; the old one signs for `graceMs` more. */
  async rotate(tenant: string, graceMs: number): Promise<WebhookSecretSet> {
    await this.get(tenant);
    return this.store.rotateWebhookSecret(tenant, generateSecret(), this.clock.now(), graceMs);
  }

  /**
   * At start: when `VT_WEBHOOK_SECRET` changed since the stored secret was set, rotates to it (the
   * stored one keeps signing for the default grace period, so receivers can switch over).
   */
  async applyConfigured(): Promise<void> {
    if (this.configured === undefined) return;
    const set = await this.get(this.openTenant);
    if (set.current !== this.configured) {
      await this.store.rotateWebhookSecret(
        this.openTenant,
        this.configured,
        this.clock.now(),
        DEFAULT_ROTATION_GRACE_MS,
      );
    }
  }
}
