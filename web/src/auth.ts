import { appConfig, type OidcAuthConfig, type PasswordAuthConfig } from './config.ts';

/**
 * One token store for both sign-in paths. Tokens live in sessionStorage (gone with the tab), the ID token is what
 * the API's Cognito authorizer takes, and a refresh runs a minute before it expires (silent refresh).
 */
export interface Session {
  idToken: string;
  refreshToken: string | null;
  /** Epoch ms. */
  expiresAt: number;
  email: string;
  sub: string;
  groups: string[];
}

const STORAGE_KEY = 'connect-payouts.session';
const listeners = new Set<() => void>();
let current: Session | null = read();
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

function read(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function session(): Session | null {
  return current;
}

export const isAdmin = (s: Session | null) => Boolean(s?.groups.includes('admin'));

function claimsOf(idToken: string): Record<string, unknown> {
  const payload = idToken.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

function store(idToken: string, refreshToken: string | null): Session {
  const claims = claimsOf(idToken);
  const groups = claims['cognito:groups'];
  const next: Session = {
    idToken,
    refreshToken,
    expiresAt: Number(claims.exp ?? 0) * 1000,
    email: String(claims.email ?? ''),
    sub: String(claims.sub ?? ''),
    groups: Array.isArray(groups) ? groups.map(String) : typeof groups === 'string' ? groups.split(',') : [],
  };
  setSession(next);
  return next;
}

function setSession(next: Session | null): void {
  current = next;
  if (next) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else sessionStorage.removeItem(STORAGE_KEY);
  scheduleRefresh();
  for (const listener of listeners) listener();
}

function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  if (!current?.refreshToken) return;
  const wait = Math.max(0, current.expiresAt - Date.now() - 60_000);
  refreshTimer = setTimeout(() => void refresh().catch(() => setSession(null)), wait);
}

/** A valid ID token, refreshed first when it expires within a minute; null when signed out. */
export async function idToken(): Promise<string | null> {
  if (!current) return null;
  if (current.expiresAt - Date.now() < 60_000) {
    try {
      await refresh();
    } catch {
      setSession(null);
      return null;
    }
  }
  return current?.idToken ?? null;
}

// ---- Local: USER_PASSWORD_AUTH against cognito-local ----

export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function cognito<T>(target: string, body: Record<string, unknown>): Promise<T> {
  const auth = appConfig().auth as PasswordAuthConfig;
  const response = await fetch(auth.cognitoEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${target}`,
    },
    body: JSON.stringify({ ClientId: auth.clientId, ...body }),
  });
  const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const code = String(parsed.code ?? parsed.__type ?? 'AuthError').replace(/^.*#/, '');
    throw new AuthError(code, String(parsed.message ?? 'Sign-in failed.'));
  }
  return parsed as T;
}

interface AuthResult {
  AuthenticationResult?: { IdToken: string; RefreshToken?: string };
}

export async function signInWithPassword(email: string, password: string): Promise<Session> {
  const result = await cognito<AuthResult>('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email.trim().toLowerCase(), PASSWORD: password },
  });
  const tokens = result.AuthenticationResult;
  if (!tokens) throw new AuthError('ChallengeRequired', 'This account needs a step the app does not support.');
  return store(tokens.IdToken, tokens.RefreshToken ?? null);
}

export async function signUp(email: string, password: string): Promise<void> {
  await cognito('SignUp', {
    Username: email.trim().toLowerCase(),
    Password: password,
    UserAttributes: [{ Name: 'email', Value: email.trim().toLowerCase() }],
  });
}

export async function confirmSignUp(email: string, code: string): Promise<void> {
  await cognito('ConfirmSignUp', { Username: email.trim().toLowerCase(), ConfirmationCode: code.trim() });
}

/** Local stack only: the code cognito-local would have emailed (it sends no mail). */
export async function localConfirmationCode(email: string): Promise<string | null> {
  const auth = appConfig().auth;
  if (auth.mode !== 'password' || !auth.confirmationCodes) return null;
  const response = await fetch(`${auth.confirmationCodes}?email=${encodeURIComponent(email.trim().toLowerCase())}`);
  if (!response.ok) return null;
  return ((await response.json()) as { code: string | null }).code;
}

// ---- AWS: managed login, authorization code + PKCE (oidc-client-ts, loaded on demand) ----

async function oidcManager() {
  const auth = appConfig().auth as OidcAuthConfig;
  const { UserManager, WebStorageStateStore } = await import('oidc-client-ts');
  const base = `${location.origin}${import.meta.env.BASE_URL}`;
  return new UserManager({
    authority: auth.authority,
    client_id: auth.clientId,
    redirect_uri: `${base}auth/callback`,
    post_logout_redirect_uri: base,
    response_type: 'code',
    scope: 'openid email profile',
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    automaticSilentRenew: false,
  });
}

export async function startManagedLogin(returnTo: string): Promise<void> {
  const manager = await oidcManager();
  await manager.signinRedirect({ state: returnTo });
}

/** `/app/auth/callback`: exchanges the code (with the PKCE verifier) and stores the tokens. */
export async function completeManagedLogin(): Promise<string> {
  const manager = await oidcManager();
  const user = await manager.signinRedirectCallback();
  if (!user.id_token) throw new AuthError('NoIdToken', 'The sign-in answer had no ID token.');
  store(user.id_token, user.refresh_token ?? null);
  return typeof user.state === 'string' ? user.state : import.meta.env.BASE_URL;
}

async function refresh(): Promise<void> {
  if (!current?.refreshToken) throw new AuthError('NoRefreshToken', 'Signed out.');
  const auth = appConfig().auth;
  if (auth.mode === 'password') {
    const result = await cognito<AuthResult>('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: current.refreshToken },
    });
    const tokens = result.AuthenticationResult;
    if (!tokens) throw new AuthError('RefreshFailed', 'Signed out.');
    store(tokens.IdToken, tokens.RefreshToken ?? current.refreshToken);
    return;
  }
  const manager = await oidcManager();
  const user = await manager.signinSilent();
  if (!user?.id_token) throw new AuthError('RefreshFailed', 'Signed out.');
  store(user.id_token, user.refresh_token ?? current.refreshToken);
}

export async function signOut(): Promise<void> {
  const auth = appConfig().auth;
  setSession(null);
  if (auth.mode === 'oidc') {
    // oidc-client-ts keeps its own copy of the tokens, the refresh token too: forget it before leaving the app.
    await (await oidcManager()).removeUser();
    const base = `${location.origin}${import.meta.env.BASE_URL}`;
    location.assign(`${auth.domain}/logout?client_id=${auth.clientId}&logout_uri=${encodeURIComponent(base)}`);
  }
}
