import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vite';

/**
 * The partner portal, customer pages and operator console: one small single-page app served under `/app/` (by
 * the local API server, or by CloudFront in AWS). Preact's JSX runtime through Vite's own transform; no plugin.
 *
 * `npm run dev:web` (hot reload) needs a running `npm start`: the dev server sends every non-`/app` path to its API
 * (so the app calls the API same-origin, as it does from /app), and `/app/config.json` and `/app/local/*` to it too.
 */
function localApi(): string {
  const file = path.resolve(import.meta.dirname, '..', '.local', 'stack.json');
  if (!existsSync(file)) return 'http://localhost:3000';
  return (JSON.parse(readFileSync(file, 'utf8')) as { apiUrl: string }).apiUrl;
}

export default defineConfig(({ command }) => {
  const api = command === 'serve' ? localApi() : '';
  return {
    root: import.meta.dirname,
    base: '/app/',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      target: 'es2022',
      modulePreload: { polyfill: false },
    },
    server: {
      port: 5173,
      proxy: {
        '/app/config.json': {
          target: api,
          // The app then calls the dev server itself for the API (proxied below).
          selfHandleResponse: true,
          configure: (proxy) => {
            proxy.on('proxyRes', (res, _req, out) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => {
                const config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
                out.setHeader('content-type', 'application/json');
                out.end(JSON.stringify({ ...config, apiUrl: '' }));
              });
            });
          },
        },
        '/app/local': { target: api },
        '^/(?!app(/|$)|@|src/|node_modules/).*': { target: api },
      },
    },
  };
});
