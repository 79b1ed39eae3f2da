import { existsSync } from 'node:fs';
import { type BrowserServer, chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { ensureWebBuild } from '#local/web-app';

declare module 'vitest' {
  export interface ProvidedContext {
    browserWsEndpoint: string;
  }
}

/** Debian's chromium package (`apt-get install chromium`; `.ci/run` installs it when missing), or CHROMIUM_PATH. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => Boolean(p),
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`No Chromium found (tried ${candidates.join(', ')}): apt-get install -y chromium`);
  return found;
}

/**
 * The browser suites' own setup, after the shared local stack's: the web app built once (and only when a file
 * under web/ changed since the last build), and one headless Chromium for every browser test file, which connect
 * to it over its websocket.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensureWebBuild({ quiet: true });
  const server: BrowserServer = await chromium.launchServer({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  project.provide('browserWsEndpoint', server.wsEndpoint());
  return async () => {
    await server.close();
  };
}
