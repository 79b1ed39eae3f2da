import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from '#core/webhook-endpoints';

export interface PostResult {
  /** HTTP status, or null when no answer came. */
  status: number | null;
  error: string | null;
  ms: number;
}

export interface PostOptions {
  /** Refuse to connect to private, loopback and link-local addresses (deployed stages: SSRF protection). */
  blockPrivateAddresses: boolean;
  timeoutMs: number;
}

/**
 * Resolves the host and refuses private addresses before connecting — the check is made on the address actually
 * connected to, so a DNS answer that changes between a check and the connection (rebinding) cannot get through.
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 4);
    const list = addresses as unknown as LookupAddress[];
    const blocked = list.find((address) => isPrivateAddress(address.address));
    if (blocked) return callback(new Error(`${hostname} resolves to a private address`), '', 4);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    const first = list[0];
    if (!first) return callback(new Error(`${hostname} did not resolve`), '', 4);
    callback(null, first.address, first.family);
  });
};

/** POSTs one delivery. Never follows redirects (a 3xx is a failed delivery); reads at most 4 KiB of the answer. */
export function postEvent(url: string, body: string, headers: Record<string, string>, options: PostOptions) {
  const started = performance.now();
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  // An address literal is connected to without a lookup: check it here.
  if (options.blockPrivateAddresses && isIP(literal) && isPrivateAddress(literal)) {
    return Promise.resolve<PostResult>({ status: null, error: 'private address', ms: 0 });
  }
  return new Promise<PostResult>((resolve) => {
    const done = (status: number | null, error: string | null) =>
      resolve({ status, error, ms: Math.round(performance.now() - started) });
    const request = transport.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
        timeout: options.timeoutMs,
        ...(options.blockPrivateAddresses ? { lookup: guardedLookup } : {}),
      },
      (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 4096) response.destroy();
        });
        response.on('close', () => done(response.statusCode ?? null, null));
        response.on('error', () => done(response.statusCode ?? null, null));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => done(null, error.message));
    request.end(body);
  });
}
