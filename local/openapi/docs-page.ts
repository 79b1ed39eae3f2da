import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The local API reference at `/docs`: Swagger UI served from its npm package (no CDN), reading `/openapi.json`.
 * Only the local stack serves it; in AWS the contract itself is served at `/openapi.json`.
 */
const UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>connect-payouts API reference</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'BaseLayout',
});
`;

/** Answers `/docs` and its assets; false for any other path. */
export async function serveDocs(pathname: string, response: ServerResponse): Promise<boolean> {
  if (pathname === '/docs' || pathname === '/docs/') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(PAGE);
    return true;
  }
  if (pathname === '/docs/init.js') {
    response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
    response.end(INIT);
    return true;
  }
  const asset = pathname.startsWith('/docs/') ? pathname.slice('/docs/'.length) : undefined;
  const contentType = asset ? ASSETS[asset] : undefined;
  if (!asset || !contentType) return false;
  response.writeHead(200, { 'content-type': contentType, 'cache-control': 'max-age=3600' });
  response.end(await readFile(path.join(UI_DIR, asset)));
  return true;
}
