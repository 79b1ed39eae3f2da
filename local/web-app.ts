import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The web app (`web/`) as the local stack serves it at `/app`: built once with Vite into `web/dist` (again only
 * when a source file is newer than the last build), then served as static files with the single-page fallback.
 * `/app/config.json` is answered from the running stack (in AWS the deployment writes it into the bucket).
 */
export const WEB_ROOT = path.resolve(import.meta.dirname, '..', 'web');
export const WEB_DIST = path.join(WEB_ROOT, 'dist');
const STAMP = path.join(WEB_DIST, '.built-from');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** True when `web/dist` is missing or older than a file under `web/`. */
export function webBuildIsStale(): boolean {
  if (!existsSync(STAMP)) return true;
  return Number(readFileSync(STAMP, 'utf8')) < newestSource(WEB_ROOT);
}

/** Builds the app unless the last build is current. Returns whether it built. */
export async function ensureWebBuild(options: { quiet?: boolean } = {}): Promise<boolean> {
  if (!webBuildIsStale()) return false;
  const newest = newestSource(WEB_ROOT);
  const { build } = await import('vite');
  await build({
    configFile: path.join(WEB_ROOT, 'vite.config.ts'),
    logLevel: options.quiet ? 'error' : 'warn',
  });
  writeFileSync(STAMP, String(newest));
  return true;
}

/** The same, synchronously, in a child process (CDK synth is synchronous). */
export function ensureWebBuildSync(): boolean {
  if (!webBuildIsStale()) return false;
  const newest = newestSource(WEB_ROOT);
  // Vite's package exports do not list its command-line entry: find it from the package's own directory.
  const vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  execFileSync(
    process.execPath,
    [vite, 'build', '--config', path.join(WEB_ROOT, 'vite.config.ts'), '--logLevel', 'error'],
    { stdio: 'inherit' },
  );
  writeFileSync(STAMP, String(newest));
  return true;
}

export interface WebAppConfig {
  apiUrl: string;
  auth: { mode: 'password'; cognitoEndpoint: string; clientId: string; confirmationCodes?: string };
  /** Connect.js for embedded onboarding (locally the emulator's stand-in). */
  connectJsUrl?: string;
  platformName?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The headers CloudFront's response-headers policy sets in AWS, so the local app runs under the same CSP. */
export function securityHeaders(connectSrc: string[], scriptSrc: string[] = []): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'self'",
      `script-src 'self' ${scriptSrc.join(' ')}`.trim(),
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src 'self' ${connectSrc.join(' ')}`.trim(),
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "object-src 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
  };
}

/** The code cognito-local would have emailed on sign-up (it sends none): read from its data file. */
function confirmationCode(cognitoDataDir: string, userPoolId: string, email: string): string | null {
  const file = path.join(cognitoDataDir, '.cognito', 'db', `${userPoolId}.json`);
  if (!existsSync(file)) return null;
  const data = JSON.parse(readFileSync(file, 'utf8')) as {
    Users?: Record<
      string,
      { Username: string; ConfirmationCode?: string; Attributes?: { Name: string; Value: string }[] }
    >;
  };
  for (const user of Object.values(data.Users ?? {})) {
    const address = user.Attributes?.find((a) => a.Name === 'email')?.Value ?? user.Username;
    if (address.toLowerCase() === email.toLowerCase()) return user.ConfirmationCode ?? null;
  }
  return null;
}

export interface WebAppServer {
  /** Answers GET requests under `/app`; false for any other path. */
  handle(pathname: string, search: URLSearchParams, response: ServerResponse): boolean;
}

export function webAppServer(options: {
  config: () => WebAppConfig;
  cognitoDataDir: string;
  userPoolId: string;
}): WebAppServer {
  return {
    handle(pathname, search, response) {
      if (pathname !== '/app' && !pathname.startsWith('/app/')) return false;
      const config = options.config();
      const stripe = config.connectJsUrl ? [new URL(config.connectJsUrl).origin] : [];
      const headers = securityHeaders([config.auth.cognitoEndpoint, ...stripe], stripe);
      if (pathname === '/app') {
        response.writeHead(301, { location: '/app/' });
        response.end();
        return true;
      }
      if (pathname === '/app/config.json') {
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
        response.end(JSON.stringify(config));
        return true;
      }
      if (pathname === '/app/local/confirmation-code') {
        const code = confirmationCode(options.cognitoDataDir, options.userPoolId, search.get('email') ?? '');
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        response.end(JSON.stringify({ code }));
        return true;
      }
      const relative = path.normalize(decodeURIComponent(pathname.slice('/app/'.length)));
      let file = path.join(WEB_DIST, relative);
      if (!file.startsWith(WEB_DIST) || relative.startsWith('.')) file = path.join(WEB_DIST, 'index.html');
      if (!existsSync(file) || !statSync(file).isFile()) file = path.join(WEB_DIST, 'index.html');
      if (!existsSync(file)) {
        response.writeHead(503, { 'content-type': 'text/plain' });
        response.end('The web app is not built: npx vite build --config web/vite.config.ts');
        return true;
      }
      const immutable = file.includes(`${path.sep}assets${path.sep}`);
      response.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        ...headers,
      });
      response.end(readFileSync(file));
      return true;
    },
  };
}
