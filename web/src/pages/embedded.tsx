import { useEffect, useRef, useState } from 'preact/hooks';
import type { CreateAccountSessionResponse200 } from '../../../local/api-types.ts';
import { post } from '../api.ts';
import { appConfig } from '../config.ts';
import { scope } from '../partner-scope.ts';
import { href, navigate } from '../router.ts';
import { ErrorNote, Loading, Page } from '../ui.tsx';

interface ConnectElement extends HTMLElement {
  setOnExit(callback: () => void): void;
}
interface ConnectInstance {
  create(tag: 'account-onboarding'): ConnectElement;
}
declare global {
  interface Window {
    StripeConnect?: {
      init(options: { publishableKey: string; fetchClientSecret: () => Promise<string> }): ConnectInstance;
    };
  }
}

function loadConnectJs(url: string): Promise<void> {
  if (window.StripeConnect?.init) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error('Could not load Stripe Connect.js.'));
    document.head.appendChild(script);
  });
}

/**
 * Embedded onboarding: Stripe's account-onboarding component inside the portal (Connect.js with an Account Session
 * from `POST /connect/account-session`). On exit the overview re-reads the status from Stripe.
 */
export function EmbeddedOnboarding() {
  const container = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<unknown>();
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const url = appConfig().connectJsUrl;
    if (!url) {
      setError(new Error('Embedded onboarding is not configured for this platform.'));
      return;
    }
    let live = true;
    (async () => {
      const session = await post<CreateAccountSessionResponse200>(`/connect/account-session${scope()}`, {
        components: ['account_onboarding'],
      });
      await loadConnectJs(url);
      if (!live || !window.StripeConnect) return;
      const instance = window.StripeConnect.init({
        publishableKey: session.publishableKey,
        fetchClientSecret: async () => session.clientSecret,
      });
      const element = instance.create('account-onboarding');
      element.setOnExit(() => navigate('/?embedded=1'));
      container.current?.replaceChildren(element);
      setReady(true);
    })().catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, []);
  return (
    <Page title="Set up payouts">
      <p>
        Stripe collects your details here, on this page. <a href={href('/')}>Back to the overview</a>
      </p>
      <ErrorNote error={error} />
      {!ready && !error && <Loading what="Stripe onboarding" />}
      <div class="card" ref={container} data-testid="embedded-onboarding" />
    </Page>
  );
}
