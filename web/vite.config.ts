import { defineConfig } from 'vite';

/**
 * The partner portal, customer pages and operator console: one small single-page app served under `/app/`
 * (by the local API server, or by CloudFront in AWS). Preact's JSX runtime; no other plugin.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/app/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The sign-in library for AWS (oidc-client-ts) is loaded only when the stage uses managed login.
    modulePreload: { polyfill: false },
  },
  server: { port: 5173 },
});
