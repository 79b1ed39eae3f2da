import { inject } from 'vitest';
import { cognitoClient, type LocalUser, signIn } from '#local/cognito';
import type { LocalStackInfo } from '#local/stack';

/** Endpoints of the local stack started by the integration global setup. */
export function stackInfo(): LocalStackInfo {
  return inject('stack');
}

let cognito: ReturnType<typeof cognitoClient> | undefined;

/** A real user of the local pool with real cognito-local tokens (created on first use). */
export async function user(email: string, options: { admin?: boolean; unverified?: boolean } = {}): Promise<LocalUser> {
  const info = stackInfo();
  cognito ??= cognitoClient(info.cognitoEndpoint);
  return signIn(cognito, info.userPool, email, options);
}

/** A unique address per test, so tests never share partners. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function api<T = unknown>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = options.token;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${stackInfo().apiUrl}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}
