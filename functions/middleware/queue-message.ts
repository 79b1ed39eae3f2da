/** A queue message's body as JSON, or undefined when it is not JSON (the message's schema then refuses it). */
export function messageJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
