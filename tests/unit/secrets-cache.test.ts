import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resetConfigForTests } from '#config';

/**
 * The deployed path of secret reads: Secrets Manager through Powertools' cache (five minutes), not the local
 * stack's environment provider. The real SDK and the real cache talk over HTTP to a minimal Secrets Manager
 * endpoint (GetSecretValue only) that counts the reads and whose value the test can roll.
 */

const SECRET_NAME = 'connect-payouts/test/stripe-api-key';
let value = 'sk_test_first';
let reads = 0;
let server: Server;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      if (target !== 'secretsmanager.GetSecretValue' || SecretId !== SECRET_NAME) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: `${target} ${SecretId}` }));
        return;
      }
      reads += 1;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SECRET_NAME}`,
          Name: SECRET_NAME,
          SecretString: value,
          VersionId: `v${reads}`,
          CreatedDate: Date.now() / 1000,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  for (const [name, setting] of Object.entries({
    STAGE: 'dev',
    SECRETS_PROVIDER: 'secretsmanager',
    TABLE_NAME: 'table',
    USER_POOL_ID: 'us-east-1_abc',
    PAYOUT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q',
    API_BASE_URL: 'https://api.example.com/dev',
    STRIPE_API_KEY_SECRET_NAME: SECRET_NAME,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`,
  })) {
    vi.stubEnv(name, setting);
  }
  vi.stubEnv('LOCAL_STRIPE_API_KEY', undefined);
  resetConfigForTests();
  vi.useFakeTimers({ toFake: ['Date'] });
});

afterAll(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  resetConfigForTests();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('secrets through the Secrets Manager cache (the deployed path)', () => {
  it('reads once, serves the cached value for five minutes, then reads the rolled value; the Stripe client follows', async () => {
    const { readSecret } = await import('#adapters/secrets');
    const { stripe } = await import('#adapters/stripe/client');
    const start = Date.now();
    expect(await readSecret('stripeApiKey')).toBe('sk_test_first');
    const first = await stripe();
    expect(reads).toBe(1);

    value = 'sk_test_rolled'; // put-secret-value
    vi.setSystemTime(start + 299_000);
    expect(await readSecret('stripeApiKey')).toBe('sk_test_first'); // still within the five minutes
    expect(await stripe()).toBe(first); // same client, same connections
    expect(reads).toBe(1);

    vi.setSystemTime(start + 301_000);
    expect(await readSecret('stripeApiKey')).toBe('sk_test_rolled');
    expect(reads).toBe(2);
    const rolled = await stripe();
    expect(rolled).not.toBe(first); // rebuilt for the rolled key, with no redeploy
    expect(await stripe()).toBe(rolled);
    expect(reads).toBe(2);
  });
});
