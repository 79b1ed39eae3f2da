import { CognitoIdentityProviderClient, ListUsersCommand } from '@aws-sdk/client-cognito-identity-provider';
import { config } from '#config';
import { DomainError } from '#core/errors';
import type { UserDirectory } from '#core/partner-ports';

let client: CognitoIdentityProviderClient | undefined;

function cognito(): CognitoIdentityProviderClient {
  if (!client) {
    const { AWS_REGION, COGNITO_ENDPOINT } = config();
    client = new CognitoIdentityProviderClient({
      region: AWS_REGION,
      ...(COGNITO_ENDPOINT ? { endpoint: COGNITO_ENDPOINT } : {}),
    });
  }
  return client;
}

/** ListUsers filter values are double-quoted strings. */
const quoted = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * Looks up an existing user by email (ListUsers with an `email =` filter; needs cognito-idp:ListUsers on the pool).
 * Disabled users are not found. Emails are matched as given (lower-cased by the caller): the pool stores them as
 * users signed up with them.
 */
export const cognitoUserDirectory: UserDirectory = {
  async findByEmail(email) {
    const { Users: users = [] } = await cognito().send(
      new ListUsersCommand({ UserPoolId: config().USER_POOL_ID, Filter: `email = ${quoted(email)}`, Limit: 2 }),
    );
    const enabled = users.filter((user) => user.Enabled !== false);
    if (enabled.length > 1) {
      throw new DomainError('conflict', 'ambiguous_email', 'More than one user has this email address.');
    }
    const found = enabled[0];
    const sub = found?.Attributes?.find((attribute) => attribute.Name === 'sub')?.Value;
    const foundEmail = found?.Attributes?.find((attribute) => attribute.Name === 'email')?.Value ?? email;
    return sub ? { sub, email: foundEmail } : undefined;
  },
};
