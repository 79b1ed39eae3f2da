import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodb.ts';
import { LocalStackError, resolvePort, serveChild } from './processes.ts';

export const LOCAL_POOL_NAME = 'connect-payouts-local';
const LOCAL_CLIENT_NAME = 'connect-payouts-local-web';
export const ADMIN_GROUP = 'admin';
/** Local users all share this password; cognito-local is a development stand-in and never holds real users. */
export const LOCAL_PASSWORD = 'Local-Only-Passw0rd!';

export interface LocalCognito {
  endpoint: string;
  port: number;
  client: CognitoIdentityProviderClient;
  stop(): Promise<void>;
}

export interface LocalUserPool {
  endpoint: string;
  userPoolId: string;
  clientId: string;
  /** The `iss` claim of tokens cognito-local issues for this pool. */
  issuer: string;
  jwksUri: string;
}

export function cognitoClient(endpoint: string): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

/** cognito-local in a child process whose working directory holds its data (`.cognito/`). */
export async function startCognitoLocal(options: { port: number; dataDir: string }): Promise<LocalCognito> {
  const port = await resolvePort(options.port, 'cognito-local', 'COGNITO_PORT');
  mkdirSync(options.dataDir, { recursive: true });
  const require = createRequire(import.meta.url);
  const bin = require.resolve('cognito-local/lib/bin/start.js');
  const child: ChildProcess = spawn(process.execPath, [bin], {
    cwd: options.dataDir,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return serveChild('cognito-local', child, port, cognitoClient, (client) =>
    client.send(new ListUserPoolsCommand({ MaxResults: 1 })),
  );
}

/** Creates (or finds, when data persists) the pool, the app client and the admin group. */
export async function provisionUserPool(
  client: CognitoIdentityProviderClient,
  endpoint: string,
): Promise<LocalUserPool> {
  const pools = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }));
  let userPoolId = pools.UserPools?.find((pool) => pool.Name === LOCAL_POOL_NAME)?.Id;
  if (!userPoolId) {
    const created = await client.send(
      new CreateUserPoolCommand({
        PoolName: LOCAL_POOL_NAME,
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        // As in AWS (lib/payouts-stack.ts): a new email replaces the old one only once verified.
        UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
        Policies: {
          PasswordPolicy: {
            MinimumLength: 12,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
          },
        },
      }),
    );
    userPoolId = created.UserPool?.Id;
    if (!userPoolId) throw new LocalStackError('cognito-local did not return a user pool id');
    await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: ADMIN_GROUP }));
  }
  const clients = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }));
  let clientId = clients.UserPoolClients?.find((c) => c.ClientName === LOCAL_CLIENT_NAME)?.ClientId;
  if (!clientId) {
    const created = await client.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: LOCAL_CLIENT_NAME,
        ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    );
    clientId = created.UserPoolClient?.ClientId;
    if (!clientId) throw new LocalStackError('cognito-local did not return an app client id');
  }
  const issuer = `${endpoint}/${userPoolId}`;
  return { endpoint, userPoolId, clientId, issuer, jwksUri: `${endpoint}/${userPoolId}/.well-known/jwks.json` };
}

export interface LocalUser {
  sub: string;
  email: string;
  idToken: string;
  accessToken: string;
}

/**
 * Signs a user in (creating them, and adding them to the admin group, when asked) and returns real tokens. Users
 * are created with a verified email unless `unverified` (then the pool holds the address without `email_verified`,
 * and cognito-local's ID token says `email_verified: false`).
 */
export async function signIn(
  client: CognitoIdentityProviderClient,
  pool: LocalUserPool,
  email: string,
  options: { admin?: boolean; unverified?: boolean } = {},
): Promise<LocalUser> {
  const username = email.toLowerCase();
  let sub: string | undefined;
  try {
    const existing = await client.send(new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: username }));
    sub = existing.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value;
  } catch (error) {
    if (!(error instanceof UserNotFoundException)) throw error;
    const created = await client.send(
      new AdminCreateUserCommand({
        UserPoolId: pool.userPoolId,
        Username: username,
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: username },
          ...(options.unverified ? [] : [{ Name: 'email_verified', Value: 'true' }]),
        ],
      }),
    );
    sub = created.User?.Attributes?.find((attribute) => attribute.Name === 'sub')?.Value;
    await client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: pool.userPoolId,
        Username: username,
        Password: LOCAL_PASSWORD,
        Permanent: true,
      }),
    );
  }
  if (options.admin) {
    await client.send(
      new AdminAddUserToGroupCommand({ UserPoolId: pool.userPoolId, Username: username, GroupName: ADMIN_GROUP }),
    );
  }
  const auth = await client.send(
    new AdminInitiateAuthCommand({
      UserPoolId: pool.userPoolId,
      ClientId: pool.clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: LOCAL_PASSWORD },
    }),
  );
  const idToken = auth.AuthenticationResult?.IdToken;
  const accessToken = auth.AuthenticationResult?.AccessToken;
  if (!idToken || !accessToken || !sub) throw new LocalStackError(`cognito-local did not sign in ${username}`);
  return { sub, email: username, idToken, accessToken };
}
