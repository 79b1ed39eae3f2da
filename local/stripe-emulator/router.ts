import type { EmulatorCore } from './core.ts';
import type { Params } from './params.ts';

export interface RequestContext {
  core: EmulatorCore;
  params: Params;
  pathParams: Record<string, string>;
  /** The `Stripe-Account` header, when the call is made on a connected account. */
  account: string | null;
  /** Owner key for objects created or listed by this call (the connected account, or the platform). */
  owner: string;
  apiKey: string;
  method: string;
  path: string;
}

/** Returns the JSON body of a 200 answer, or throws a StripeApiError. */
export type Handler = (ctx: RequestContext) => unknown;

export interface Route {
  method: string;
  /** e.g. `POST /v1/transfers/:id/reversals`: the endpoint name used for per-endpoint limits and faults. */
  name: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
  /** Connected accounts cannot call this (e.g. creating accounts). */
  platformOnly: boolean;
}

export class Router {
  readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: { platformOnly?: boolean } = {}): void {
    const keys: string[] = [];
    const source = pattern.replace(/:([a-z_]+)/g, (_, k: string) => {
      keys.push(k);
      return '([^/]+)';
    });
    this.routes.push({
      method,
      name: `${method} ${pattern}`,
      regex: new RegExp(`^${source}$`),
      keys,
      handler,
      platformOnly: opts.platformOnly ?? false,
    });
  }

  get(pattern: string, handler: Handler, opts?: { platformOnly?: boolean }): void {
    this.add('GET', pattern, handler, opts);
  }

  post(pattern: string, handler: Handler, opts?: { platformOnly?: boolean }): void {
    this.add('POST', pattern, handler, opts);
  }

  delete(pattern: string, handler: Handler, opts?: { platformOnly?: boolean }): void {
    this.add('DELETE', pattern, handler, opts);
  }

  match(method: string, path: string): { route: Route; pathParams: Record<string, string> } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const pathParams: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        pathParams[k] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route, pathParams };
    }
    return null;
  }
}
