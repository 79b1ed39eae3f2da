import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiDeps, handleApi } from './api.ts';
import { handleConnectJs } from './connect-js.ts';
import { type EmulatorControlApi, handleControl } from './control.ts';
import type { EmulatorCore } from './core.ts';
import { handleHosted } from './hosted.ts';

const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** One node:http server: `/v1` (the Stripe API), `/hosted` (Stripe-hosted pages), `/_emulator` (control). */
export function createEmulatorServer(core: EmulatorCore, api: ApiDeps, control: EmulatorControlApi): Server {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    try {
      const body = await readBody(req);
      if (url.pathname.startsWith('/v1/') || url.pathname === '/v1') {
        const outcome = await handleApi(api, {
          method,
          path: url.pathname,
          query: url.search.slice(1),
          headers: req.headers,
          body,
        });
        if (outcome.kind === 'drop') {
          // The ambiguous failure: the write is committed, the client never hears back.
          req.socket.destroy();
          return;
        }
        send(res, outcome.status, outcome.headers, outcome.body);
        return;
      }
      if (url.pathname.startsWith('/hosted/')) {
        const page = handleHosted(core, method, url.pathname, body);
        send(res, page.status, page.headers, page.body);
        return;
      }
      if (url.pathname.startsWith('/connect-js/')) {
        const r = handleConnectJs(core, method, url.pathname, body);
        send(res, r.status, r.headers, r.body);
        return;
      }
      if (url.pathname.startsWith('/_emulator/')) {
        const r = await handleControl(control, method, url.pathname, url.searchParams, body);
        send(res, r.status, { 'content-type': 'application/json' }, JSON.stringify(r.body));
        return;
      }
      send(
        res,
        404,
        { 'content-type': 'application/json' },
        JSON.stringify({
          error: {
            type: 'invalid_request_error',
            message: `Unrecognized request URL (${method}: ${url.pathname}). The connect-payouts Stripe emulator serves /v1, /hosted, /connect-js and /_emulator.`,
          },
        }),
      );
    } catch (e) {
      core.log(`request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (!res.headersSent) {
        send(
          res,
          500,
          { 'content-type': 'application/json' },
          JSON.stringify({
            error: { type: 'api_error', message: 'The Stripe emulator failed to handle this request.' },
          }),
        );
      }
    }
  });
  // Longer than the SDK's keep-alive reuse window so idle sockets are not cut under it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
