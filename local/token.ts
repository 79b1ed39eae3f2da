import { cognitoClient, signIn } from './cognito.ts';
import { readRunningStack } from './stack-file.ts';

/** `npm run token -- alice@example.com [--admin]`: prints an ID token for that user of the running local pool. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const email = args.find((arg) => !arg.startsWith('--'));
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    console.error('Usage: npm run token -- <email> [--admin] [--access]');
    process.exit(2);
  }
  const running = readRunningStack();
  if (running.state !== 'running') {
    console.error('The local stack is not running: start it with `npm start` first.');
    process.exit(1);
  }
  const { stack } = running;
  const client = cognitoClient(stack.cognitoEndpoint);
  const user = await signIn(client, stack.userPool, email, { admin: args.includes('--admin') });
  process.stdout.write(`${args.includes('--access') ? user.accessToken : user.idToken}\n`);
  client.destroy();
}

main().catch((error: unknown) => {
  console.error(`Could not get a token: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
