import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { config } from '#config';

let client: CognitoIdentityProviderClient | undefined;

/**
 * A user's email, only if Cognito has it verified (ListUsers filtered on `sub`; needs cognito-idp:ListUsers). A
 * disabled user, an unverified or missing address: null.
 */
export async function verifiedEmailOf(userSub: string): Promise<string | null> {
  const { AWS_REGION, COGNITO_ENDPOINT, USER_POOL_ID } = config();
  client ??= new CognitoIdentityProviderClient({
    region: AWS_REGION,
    ...(COGNITO_ENDPOINT ? { endpoint: COGNITO_ENDPOINT } : {}),
  });
  const { Users: users = [] } = await client.send(
    new ListUsersCommand({ UserPoolId: USER_POOL_ID, Filter: `sub = "${userSub.replace(/["\\]/g, '')}"`, Limit: 1 }),
  );
  const found = users.find((user) => user.Enabled !== false);
  const attribute = (name: string) => found?.Attributes?.find((a) => a.Name === name)?.Value;
  if (attribute('sub') !== userSub) return null;
  return attribute('email_verified') === 'true' ? (attribute('email') ?? null) : null;
}
