/**
 * What a function's deps hold in place of a port its route's `access` (functions/routes.ts) does not grant: the
 * adapter behind the port, and the SDK client behind the adapter, are then neither imported nor bundled (a table-only
 * route carries no Stripe, Secrets Manager or SQS client). Reaching it is a wiring mistake, never a request's fault:
 * every call throws, naming the port and the capability.
 */
export function notGranted<T extends object>(port: string, capability: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      // Not a thenable: awaiting the port itself must not call it.
      if (property === 'then') return undefined;
      return () => {
        throw new Error(`${port}.${String(property)}: this function's access has no ${capability}`);
      };
    },
  });
}

/** The same for a port that is a single function (a secret's reader, a queue's send). */
export function notGrantedCall(port: string, capability: string): () => never {
  return () => {
    throw new Error(`${port}: this function's access has no ${capability}`);
  };
}
