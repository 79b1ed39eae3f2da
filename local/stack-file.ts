import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalUserPool } from './cognito.ts';

/** Where `npm start` records its endpoints so `npm run token`, `npm run payouts` and the demo find the stack. */
export const STACK_FILE = path.resolve(import.meta.dirname, '..', '.local', 'stack.json');

export interface StackFile {
  apiUrl: string;
  cognitoEndpoint: string;
  userPool: LocalUserPool;
  /** The capturing SMTP server's read API (`GET {mailUrl}/messages`). */
  mailUrl?: string;
  /** The environment the local functions run with, for jobs run by hand (`npm run reconcile`). */
  functionEnv?: Record<string, string>;
  pid: number;
}

export type RunningStack =
  | { state: 'none' }
  | { state: 'stale'; pid: number | undefined }
  | { state: 'running'; stack: StackFile };

export function writeStackFile(stack: StackFile): void {
  mkdirSync(path.dirname(STACK_FILE), { recursive: true });
  writeFileSync(STACK_FILE, JSON.stringify(stack, null, 2));
}

export function removeStackFile(): void {
  rmSync(STACK_FILE, { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The stack `npm start` is running, if any: the file exists and the process that wrote it is alive. */
export function readRunningStack(): RunningStack {
  if (!existsSync(STACK_FILE)) return { state: 'none' };
  const stack = JSON.parse(readFileSync(STACK_FILE, 'utf8')) as Partial<StackFile>;
  if (
    stack.pid === undefined ||
    !processAlive(stack.pid) ||
    !stack.apiUrl ||
    !stack.cognitoEndpoint ||
    !stack.userPool
  ) {
    return { state: 'stale', pid: stack.pid };
  }
  return { state: 'running', stack: stack as StackFile };
}
