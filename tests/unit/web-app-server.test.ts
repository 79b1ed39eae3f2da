import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { securityHeaders, webAppServer } from '#local/web-app';

/** The local server of the web app: only /app, never a file outside web/dist, the same CSP as in AWS. */
function capture() {
  const out = { status: 0, headers: {} as Record<string, string>, body: '' };
  const response = {
    writeHead(status: number, headers: Record<string, string>) {
      out.status = status;
      out.headers = headers;
      return response;
    },
    end(body?: string | Buffer) {
      out.body = body === undefined ? '' : String(body);
    },
  } as unknown as ServerResponse;
  return { out, response };
}

const server = webAppServer({
  cognitoDataDir: '/nonexistent',
  userPoolId: 'local_x',
  config: () => ({
    apiUrl: 'http://localhost:3000',
    auth: { mode: 'password', cognitoEndpoint: 'http://127.0.0.1:9229', clientId: 'client' },
  }),
});

describe('local web app server', () => {
  it('answers only under /app', () => {
    for (const pathname of ['/', '/docs', '/application', '/partners/me']) {
      const { response } = capture();
      expect(server.handle(pathname, new URLSearchParams(), response)).toBe(false);
    }
  });

  it('serves config.json from the stack, under the CSP', () => {
    const { out, response } = capture();
    expect(server.handle('/app/config.json', new URLSearchParams(), response)).toBe(true);
    expect(JSON.parse(out.body)).toMatchObject({ apiUrl: 'http://localhost:3000', auth: { clientId: 'client' } });
    expect(out.headers['content-security-policy']).toContain("script-src 'self'");
    expect(out.headers['content-security-policy']).toContain('connect-src');
    expect(out.headers['content-security-policy']).toContain('http://127.0.0.1:9229');
  });

  it('never reads a file outside web/dist, however the path is spelled', () => {
    const secret = readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8');
    for (const pathname of ['/app/../package.json', '/app/..%2Fpackage.json', '/app/%2e%2e/%2e%2e/package.json']) {
      const { out, response } = capture();
      expect(server.handle(pathname, new URLSearchParams(), response)).toBe(true);
      expect(out.body).not.toBe(secret);
      expect(out.body).not.toContain('"devDependencies"');
    }
  });

  it('has no inline scripts or styles in its CSP', () => {
    const csp = securityHeaders([])['content-security-policy'] ?? '';
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
