import type { EmulatorCore } from '../core.ts';
import { invalidRequest, resourceMissing, StripeApiError } from '../errors.ts';
import { PLATFORM } from '../store.ts';
import type { Account, Requirements } from '../types.ts';

export function emptyRequirements(): Requirements {
  return {
    alternatives: [],
    current_deadline: null,
    currently_due: [],
    disabled_reason: null,
    errors: [],
    eventually_due: [],
    past_due: [],
    pending_verification: [],
  };
}

/** A connected account the platform may act on (exists, not deleted, not deauthorized). */
export function connectedAccount(core: EmulatorCore, id: string, param = 'account'): Account {
  const account = core.store.accounts.get(id, PLATFORM);
  const meta = core.store.accountMeta.get(id);
  if (!account || !meta || meta.deleted || meta.deauthorized) {
    throw resourceMissing('account', id, param, 400);
  }
  return account;
}

/** The destination of a transfer or destination charge: connected, with the transfers capability active. */
export function transferDestination(core: EmulatorCore, id: string, param: string): Account {
  const account = core.store.accounts.get(id, PLATFORM);
  const meta = core.store.accountMeta.get(id);
  if (!account || !meta || meta.deleted || meta.deauthorized) {
    throw invalidRequest(`No such destination: '${id}'`, { param, code: 'resource_missing' });
  }
  const transfers = account.capabilities.transfers;
  const legacy = account.capabilities.legacy_payments;
  if (transfers !== 'active' && legacy !== 'active') {
    throw invalidRequest(
      'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
      { param, code: 'insufficient_capabilities_for_transfer' },
    );
  }
  return account;
}

export function platformOnly(owner: string, what: string): void {
  if (owner !== PLATFORM) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      message: `This application does not have the required permissions for this endpoint on the connected account (${what}).`,
    });
  }
}
