/**
 * What the app needs to know about its stage, read at start from `/app/config.json`: written at deploy in AWS
 * (CloudFront serves it from the bucket), answered by the local API server for `npm start` and the tests.
 */
export interface PasswordAuthConfig {
  /** Local: cognito-local has no hosted login, so the app signs in with USER_PASSWORD_AUTH (and signs up). */
  mode: 'password';
  cognitoEndpoint: string;
  clientId: string;
  /** Local only: where the app can read the code cognito-local would have emailed on sign-up. */
  confirmationCodes?: string;
}

export interface OidcAuthConfig {
  /** AWS: Cognito managed login, OAuth 2.0 authorization code flow with PKCE. */
  mode: 'oidc';
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` */
  authority: string;
  clientId: string;
  /** The managed login domain, for sign-out (`/logout`). */
  domain: string;
}

export interface AppConfig {
  apiUrl: string;
  auth: PasswordAuthConfig | OidcAuthConfig;
  /** Connect.js, for embedded onboarding (Stripe's in AWS, the emulator's stand-in locally); absent: hosted only. */
  connectJsUrl?: string;
  platformName?: string;
}

let loaded: AppConfig | undefined;

export async function loadConfig(): Promise<AppConfig> {
  if (loaded) return loaded;
  const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  loaded = (await response.json()) as AppConfig;
  loaded.apiUrl = loaded.apiUrl.replace(/\/$/, '');
  return loaded;
}

export function appConfig(): AppConfig {
  if (!loaded) throw new Error('config not loaded');
  return loaded;
}
