import { useEffect, useState } from 'preact/hooks';
import {
  AuthError,
  completeManagedLogin,
  confirmSignUp,
  localConfirmationCode,
  signInWithPassword,
  signUp,
  startManagedLogin,
} from '../auth.ts';
import { appConfig } from '../config.ts';
import { href, navigate } from '../router.ts';
import { ErrorNote, Loading, Page } from '../ui.tsx';

const next = () => {
  const target = new URLSearchParams(location.search).get('next');
  return target?.startsWith('/') && !target.startsWith('//') ? target : '/';
};

const MESSAGES: Record<string, string> = {
  NotAuthorizedException: 'Wrong email or password.',
  UserNotFoundException: 'Wrong email or password.',
  UserNotConfirmedException: 'Confirm your email address first.',
  UsernameExistsException: 'An account with this email already exists: sign in instead.',
  InvalidPasswordException: 'The password needs 12 characters with upper and lower case, a number and a symbol.',
  CodeMismatchException: 'That code is not right.',
};

const explain = (error: unknown) =>
  error instanceof AuthError ? new Error(MESSAGES[error.code] ?? error.message) : (error as Error);

function useSubmit(action: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const onSubmit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    action()
      .catch((e: unknown) => setError(explain(e)))
      .finally(() => setBusy(false));
  };
  return { busy, error, onSubmit };
}

export function SignIn() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const managed = appConfig().auth.mode === 'oidc';
  const submit = useSubmit(async () => {
    if (managed) return startManagedLogin(next());
    await signInWithPassword(email, password);
    navigate(next(), true);
  });
  return (
    <Page title="Sign in">
      <form class="card stack narrow" onSubmit={submit.onSubmit}>
        {!managed && (
          <>
            <label for="email">Email</label>
            <input
              id="email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
            <label for="password">Password</label>
            <input
              id="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </>
        )}
        <button type="submit" class="primary" disabled={submit.busy}>
          Sign in
        </button>
        <ErrorNote error={submit.error} />
        {!managed && (
          <p>
            New here? <a href={href(`/signup${location.search}`)}>Create an account</a>
          </p>
        )}
      </form>
    </Page>
  );
}

export function SignUp() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<'details' | 'confirm'>('details');
  const [hint, setHint] = useState<string | null>(null);
  const create = useSubmit(async () => {
    await signUp(email, password);
    setStep('confirm');
    setHint(await localConfirmationCode(email));
  });
  const confirm = useSubmit(async () => {
    await confirmSignUp(email, code);
    await signInWithPassword(email, password);
    navigate(next(), true);
  });
  if (appConfig().auth.mode === 'oidc') {
    return (
      <Page title="Create an account">
        <p>
          Accounts are created on the sign-in page. <a href={href('/signin')}>Sign in</a>
        </p>
      </Page>
    );
  }
  return (
    <Page title={step === 'details' ? 'Create an account' : 'Confirm your email'}>
      {step === 'details' ? (
        <form class="card stack narrow" onSubmit={create.onSubmit}>
          <label for="email">Email</label>
          <input
            id="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <label for="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete="new-password"
            aria-describedby="password-rules"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <p id="password-rules" class="muted">
            At least 12 characters, with upper and lower case letters, a number and a symbol.
          </p>
          <button type="submit" class="primary" disabled={create.busy}>
            Create account
          </button>
          <ErrorNote error={create.error} />
          <p>
            Already have an account? <a href={href(`/signin${location.search}`)}>Sign in</a>
          </p>
        </form>
      ) : (
        <form class="card stack narrow" onSubmit={confirm.onSubmit}>
          <p>We sent a code to {email}.</p>
          {hint && (
            <p class="notice info" data-testid="local-code">
              Local stack: cognito-local sends no email; your code is <code>{hint}</code>.
            </p>
          )}
          <label for="code">Confirmation code</label>
          <input
            id="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
          />
          <button type="submit" class="primary" disabled={confirm.busy}>
            Confirm and sign in
          </button>
          <ErrorNote error={confirm.error} />
        </form>
      )}
    </Page>
  );
}

export function AuthCallback() {
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    completeManagedLogin().then(
      (target) => navigate(target.startsWith('/') ? target : '/', true),
      (e: unknown) => setError(e),
    );
  }, []);
  return error ? <ErrorNote error={error} /> : <Loading what="your session" />;
}
