import { type ChildProcess, execFileSync } from 'node:child_process';
import net from 'node:net';

/** Thrown for problems a developer can fix (Java missing, port taken); the stack prints only the message. */
export class LocalStackError extends Error {
  override name = 'LocalStackError';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function assertPortFree(port: number, what: string, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalStackError(`Port ${port} for ${what} is already in use. Stop whatever uses it or set ${variable}.`)
          : error,
      );
    });
    server.listen(port, () => server.close(() => resolve()));
  });
}

/** Port 0 means "any free port". */
export async function resolvePort(port: number, what: string, variable: string): Promise<number> {
  if (port === 0) return freePort();
  await assertPortFree(port, what, variable);
  return port;
}

export function assertJavaAvailable(): void {
  try {
    const output = execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    void output;
  } catch {
    throw new LocalStackError(
      'Java was not found on PATH. DynamoDB Local needs a Java runtime (17 or newer): install one, e.g. `apt-get install openjdk-17-jre-headless`.',
    );
  }
}

export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new LocalStackError(`${what} did not become ready within ${timeoutMs} ms${reason}`);
}

/** Stops a child and waits for it to exit; escalates to SIGKILL so no Java or Node process is left behind. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Collects a child's output so a failed start can say why. */
export function captureOutput(child: ChildProcess, limit = 20_000): () => string {
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-limit);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => output;
}

export interface ServedChild<C extends { destroy(): void }> {
  endpoint: string;
  port: number;
  client: C;
  stop(): Promise<void>;
}

/**
 * Waits until a freshly spawned stand-in answers `probe` through its SDK client, and stops it again if it exits or
 * never becomes ready (with its output in the error). Its `stop()` closes the client and the process.
 */
export async function serveChild<C extends { destroy(): void }>(
  what: string,
  child: ChildProcess,
  port: number,
  makeClient: (endpoint: string) => C,
  probe: (client: C) => Promise<unknown>,
): Promise<ServedChild<C>> {
  const output = captureOutput(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = makeClient(endpoint);
  try {
    await waitUntil(what, async () => {
      if (exited) throw new LocalStackError(`${what} exited during start:\n${output()}`);
      await probe(client);
      return true;
    });
  } catch (error) {
    client.destroy();
    await stopChild(child);
    throw error;
  }
  return {
    endpoint,
    port,
    client,
    async stop() {
      client.destroy();
      await stopChild(child);
    },
  };
}
