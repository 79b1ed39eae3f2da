import type { BuildOptions } from 'esbuild';

/**
 * esbuild writes an ESM bundle; some dependencies (parts of the AWS SDK, Stripe) still call `require` for Node
 * built-ins, which does not exist in ESM. This banner gives the bundle a real `require` bound to its own URL.
 */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __cjsRequire}from'node:module';const require=__cjsRequire(import.meta.url);";

/**
 * How every Lambda is bundled: one minified ESM file for Node 24 with its source map (no sources inside), the AWS SDK
 * bundled and tree-shaken like every other dependency (nothing external). lib/constructs/api-function.ts hands these
 * to NodejsFunction; the bundle test and the cold-start bench run esbuild with exactly the same options.
 */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
} as const;

/**
 * esbuild's options as NodejsFunction runs them for an entry (add `entryPoints` and `outfile`, or `stdin`; several
 * entries with `outdir` give one bundle each), plus a metafile to read what went into each bundle.
 */
export function lambdaBuildOptions(): BuildOptions & { metafile: true } {
  return {
    bundle: true,
    platform: 'node',
    format: LAMBDA_BUNDLING.format,
    target: LAMBDA_BUNDLING.target,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourcemap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    banner: { js: LAMBDA_BUNDLING.banner },
    metafile: true,
    logLevel: 'warning',
  };
}
