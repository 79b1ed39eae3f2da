/**
 * The part of oidc-provider (which ships no types) that the managed-login browser test uses: a provider with
 * static clients, its Koa middleware chain and its request handler.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface KoaContext {
    path: string;
    querystring: string;
    status: number;
    redirect(url: string): void;
  }

  interface ClientMetadata {
    client_id: string;
    token_endpoint_auth_method?: string;
    grant_types?: string[];
    response_types?: string[];
    redirect_uris?: string[];
    post_logout_redirect_uris?: string[];
  }

  interface Client {
    grantTypeAllowed(grant: string): boolean;
  }

  interface Account {
    accountId: string;
    claims(): Record<string, unknown> | Promise<Record<string, unknown>>;
  }

  interface Configuration {
    clients?: ClientMetadata[];
    pkce?: { required?: (ctx: KoaContext, client: Client) => boolean };
    claims?: Record<string, string[]>;
    findAccount?: (ctx: KoaContext, id: string) => Account | undefined | Promise<Account | undefined>;
    issueRefreshToken?: (ctx: KoaContext, client: Client, code: unknown) => boolean | Promise<boolean>;
    ttl?: Record<string, number>;
    clientBasedCORS?: (ctx: KoaContext, origin: string, client: Client) => boolean;
    cookies?: { keys?: string[] };
    conformIdTokenClaims?: boolean;
    features?: Record<string, { enabled: boolean }>;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void): void;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}
