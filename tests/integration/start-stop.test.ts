import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Every process in a process group (the group `npm start` gets in a terminal). */
function groupMembers(pgid: number): number[] {
  try {
    return execFileSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return predicate();
}

function startStack(): { child: ChildProcess; output: () => string } {
  // Exactly what `npm start` runs (package.json), minus npm itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: ROOT,
    detached: true, // its own process group, like a terminal's foreground job
    env: { ...process.env, PORT: '0', DYNAMODB_PORT: '0', COGNITO_PORT: '0', STRIPE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

describe('npm start', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'serves /health, then stops on %s with no Java or Node process left behind',
    async (signal) => {
      const { child, output } = startStack();
      const pgid = child.pid ?? 0;
      try {
        expect(await waitFor(() => /local stack is up/.test(output()), 60_000), output()).toBe(true);
        const apiUrl = /API \(API Gateway \+ Lambda\)\s+(\S+)/.exec(output())?.[1];
        expect(apiUrl).toBeDefined();
        const health = await fetch(`${apiUrl}/health`);
        expect(await health.json()).toEqual({ status: 'ok' });
        expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(3); // tsx, the stack, java, cognito-local

        // Ctrl-C in a terminal signals the whole foreground group; a supervisor's SIGTERM only the top process.
        if (signal === 'SIGINT') process.kill(-pgid, 'SIGINT');
        else process.kill(pgid, 'SIGTERM');
        expect(await waitFor(() => groupMembers(pgid).length === 0, 15_000), `left: ${groupMembers(pgid)}`).toBe(true);
        expect(output()).toMatch(/Stopped\./);
      } finally {
        if (groupMembers(pgid).length > 0) process.kill(-pgid, 'SIGKILL');
      }
    },
    90_000,
  );
});
