import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { type Config, config } from '#config';
import type { SecretName } from '#routes';

/** Secret values are cached for five minutes, so a rotation reaches every warm function within that time. */
const MAX_AGE_SECONDS = 300;

/**
 * What a function reads: the secrets of its route's `access.secrets`, and `stripeApiKey`, the restricted Stripe key of
 * its `access.stripe` capability (the stack passes that capability's secret as STRIPE_API_KEY_SECRET_NAME).
 */
export type RuntimeSecret = SecretName | 'stripeApiKey';

const NAME_VARIABLE: Record<RuntimeSecret, keyof Config> = {
  stripeApiKey: 'STRIPE_API_KEY_SECRET_NAME',
  platformWebhookSecret: 'PLATFORM_WEBHOOK_SECRET_NAME',
  connectWebhookSecret: 'CONNECT_WEBHOOK_SECRET_NAME',
  stateSigningKey: 'STATE_SIGNING_SECRET_NAME',
};

/**
 * Local stack only (STAGE=local, SECRETS_PROVIDER=env): the values themselves, as there is no Secrets Manager. Every
 * Stripe capability resolves to the one local key (the emulator knows one).
 */
const LOCAL_VALUE_VARIABLE: Record<RuntimeSecret, string> = {
  stripeApiKey: 'LOCAL_STRIPE_API_KEY',
  platformWebhookSecret: 'LOCAL_PLATFORM_WEBHOOK_SECRET',
  connectWebhookSecret: 'LOCAL_CONNECT_WEBHOOK_SECRET',
  stateSigningKey: 'LOCAL_STATE_SIGNING_KEY',
};

/** Reads a secret's value. Never log the result. */
export async function readSecret(name: RuntimeSecret): Promise<string> {
  const cfg = config();
  if (cfg.SECRETS_PROVIDER === 'env') {
    const value = process.env[LOCAL_VALUE_VARIABLE[name]];
    if (!value) throw new Error(`Missing ${LOCAL_VALUE_VARIABLE[name]} for the local secrets provider`);
    return value;
  }
  const secretId = cfg[NAME_VARIABLE[name]];
  if (typeof secretId !== 'string' || secretId.length === 0) {
    throw new Error(`Missing ${NAME_VARIABLE[name]}: this function was not granted the ${name} secret`);
  }
  const value = await getSecret(secretId, { maxAge: MAX_AGE_SECONDS });
  if (typeof value !== 'string' || value.length === 0) throw new Error(`Secret ${name} is empty`);
  return value;
}

/** The key that signs onboarding `state` (routes whose `access.secrets` has `stateSigningKey`). */
export const stateSigningKey = (): Promise<string> => readSecret('stateSigningKey');
