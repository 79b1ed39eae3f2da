import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, expect, inject } from 'vitest';
import type { LocalUser } from '#local/cognito';
import { stackInfo } from './local.ts';

/** Browser-suite helpers: one connection per file to the Chromium the browser setup launched. */
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

afterAll(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
  await browser?.close();
  browser = undefined;
});

export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 860 } as const;

/** A fresh browser context (its own storage), optionally signed in as `user` without the sign-in form. */
export async function newPage(
  options: { as?: LocalUser; viewport?: { width: number; height: number }; bypassCSP?: boolean } = {},
): Promise<Page> {
  browser ??= await chromium.connect(inject('browserWsEndpoint'));
  const context = await browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    baseURL: stackInfo().apiUrl,
    bypassCSP: options.bypassCSP ?? false,
  });
  contexts.push(context);
  if (options.as) {
    const { idToken, email, sub } = options.as;
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp: number;
      'cognito:groups'?: string[];
    };
    const stored = JSON.stringify({
      idToken,
      refreshToken: null,
      expiresAt: claims.exp * 1000,
      email,
      sub,
      groups: claims['cognito:groups'] ?? [],
    });
    await context.addInitScript((value: string) => {
      if (!sessionStorage.getItem('connect-payouts.session')) sessionStorage.setItem('connect-payouts.session', value);
    }, stored);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

/** Opens an app path and waits for its page heading. */
export async function openApp(page: Page, path: string, heading?: string | RegExp): Promise<void> {
  await page.goto(`/app${path}`);
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's locator.innerText() (the rendered text), not the DOM property
  if (heading) await expect.poll(() => page.locator('h1').innerText(), { timeout: 15_000 }).toMatch(heading);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core on the current page (WCAG 2.x A/AA rules): the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, so the app's CSP (script-src 'self') does not apply to the checker.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: unknown[] }> } }
    ).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations;
  });
  return (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The code cognito-local would have emailed, from the app's local endpoint. */
export async function localCode(email: string): Promise<string> {
  const response = await fetch(`${stackInfo().apiUrl}/app/local/confirmation-code?email=${encodeURIComponent(email)}`);
  const body = (await response.json()) as { code: string | null };
  if (!body.code) throw new Error(`no confirmation code for ${email}`);
  return body.code;
}
