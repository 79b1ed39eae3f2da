import type { EmulatorCore } from './core.ts';
import { completeOnboarding } from './hosted.ts';

/**
 * A small stand-in for Connect.js (Stripe's script for Connect embedded components), so a browser can go through
 * embedded onboarding offline. A host page loads `<emulator>/connect-js/v1.0/connect.js`, then calls
 * `StripeConnect.init({ publishableKey, fetchClientSecret })` and `instance.create('account-onboarding')` as with
 * the real script. The element renders onboarding as a form inside the host page; submitting it completes the
 * account exactly like the emulator's hosted onboarding page does, and then calls the `setOnExit` callback.
 *
 * The script speaks to two endpoints (plain JSON over HTTP, CORS-enabled), which tests can call directly:
 * - `POST /connect-js/v1/session` `{ publishableKey, clientSecret }` claims an Account Session's client secret
 *   (single use, until `expires_at`) → `{ account, components, expiresAt, sessionToken }`;
 * - `POST /connect-js/v1/account_onboarding` `{ sessionToken, action: complete|pending|exit }` → the account's
 *   onboarding facts after the action.
 */

export interface ConnectJsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'cache-control': 'no-store',
};

const json = (status: number, body: unknown): ConnectJsResponse => ({
  status,
  headers: { ...CORS, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const refuse = (status: number, message: string) => json(status, { error: { type: 'invalid_request_error', message } });

/** Component tags of Connect.js → the Account Session component each needs. */
const TAGS: Record<string, string> = {
  'account-onboarding': 'account_onboarding',
  'account-management': 'account_management',
  'notification-banner': 'notification_banner',
  payouts: 'payouts',
  documents: 'documents',
};

interface ClaimedSession {
  clientSecret: string;
  expiresAt: number;
}

/** Session tokens handed out by claims (the browser's handle once the client secret is spent). */
const claims = new WeakMap<EmulatorCore, Map<string, ClaimedSession>>();

function claimsOf(core: EmulatorCore): Map<string, ClaimedSession> {
  let map = claims.get(core);
  if (!map) {
    map = new Map();
    claims.set(core, map);
  }
  return map;
}

function readJson(body: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function handleConnectJs(core: EmulatorCore, method: string, path: string, body: string): ConnectJsResponse {
  if (method === 'OPTIONS') return { status: 204, headers: CORS, body: '' };
  if (method === 'GET' && path === '/connect-js/v1.0/connect.js') {
    return {
      status: 200,
      headers: { ...CORS, 'content-type': 'text/javascript; charset=utf-8' },
      body: connectJsSource(core.baseUrl),
    };
  }
  if (method === 'POST' && path === '/connect-js/v1/session') return claim(core, readJson(body));
  if (method === 'POST' && path === '/connect-js/v1/account_onboarding') return onboard(core, readJson(body));
  return refuse(404, `Unknown Connect.js stand-in route ${method} ${path}`);
}

function claim(core: EmulatorCore, input: Record<string, unknown> | null): ConnectJsResponse {
  if (!input) return refuse(400, 'The body must be a JSON object.');
  const { publishableKey, clientSecret } = input;
  if (typeof publishableKey !== 'string' || !/^pk_test_[A-Za-z0-9_]+$/.test(publishableKey)) {
    return refuse(401, 'Invalid publishable key: the emulator accepts test-mode keys (pk_test_…).');
  }
  if (typeof clientSecret !== 'string') return refuse(400, 'clientSecret is required.');
  const session = core.store.accountSessions.get(clientSecret);
  if (!session) return refuse(400, 'This client secret does not belong to any Account Session.');
  if (core.now() >= session.expiresAt) return refuse(400, 'This Account Session has expired; create a new one.');
  if (session.claimed) return refuse(400, 'This Account Session was already used; create a new one for each page.');
  session.claimed = true;
  const sessionToken = core.ids.chars(32);
  claimsOf(core).set(sessionToken, { clientSecret, expiresAt: session.expiresAt });
  const account = core.store.accounts.get(session.account);
  return json(200, {
    account: session.account,
    email: account?.email ?? null,
    components: session.components,
    expiresAt: session.expiresAt,
    sessionToken,
  });
}

function onboard(core: EmulatorCore, input: Record<string, unknown> | null): ConnectJsResponse {
  if (!input) return refuse(400, 'The body must be a JSON object.');
  const claimed = typeof input.sessionToken === 'string' ? claimsOf(core).get(input.sessionToken) : undefined;
  const session = claimed ? core.store.accountSessions.get(claimed.clientSecret) : undefined;
  if (!claimed || !session) return refuse(401, 'Unknown session: claim the Account Session first.');
  if (core.now() >= session.expiresAt) return refuse(401, 'This Account Session has expired.');
  if (!session.components.account_onboarding?.enabled) {
    return refuse(403, 'account_onboarding is not enabled for this Account Session.');
  }
  const action = input.action;
  if (action !== 'complete' && action !== 'pending' && action !== 'exit') {
    return refuse(400, 'action must be complete, pending or exit.');
  }
  core.settle();
  // Embedded onboarding collects requirements announced ahead of time, as Stripe's component does by default.
  completeOnboarding(core, session.account, action, true);
  const account = core.store.accounts.get(session.account);
  return json(200, {
    account: session.account,
    detailsSubmitted: account?.details_submitted ?? false,
    chargesEnabled: account?.charges_enabled ?? false,
    payoutsEnabled: account?.payouts_enabled ?? false,
  });
}

/** The script itself: plain browser JavaScript, no build step. */
function connectJsSource(baseUrl: string): string {
  return `/* Connect.js stand-in served by the connect-payouts Stripe emulator (test mode, offline). */
(function () {
  'use strict';
  var BASE = ${JSON.stringify(baseUrl)};
  var TAGS = ${JSON.stringify(TAGS)};
  function post(path, body) {
    return fetch(BASE + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) {
        return res.json().then(function (data) {
          if (!res.ok) throw new Error((data && data.error && data.error.message) || ('HTTP ' + res.status));
          return data;
        });
      });
  }
  function init(options) {
    if (!options || typeof options.fetchClientSecret !== 'function') {
      throw new Error('StripeConnect.init needs { publishableKey, fetchClientSecret }');
    }
    var session = null;
    function ensureSession() {
      if (!session) {
        session = Promise.resolve(options.fetchClientSecret()).then(function (clientSecret) {
          return post('/connect-js/v1/session', { publishableKey: options.publishableKey, clientSecret: clientSecret });
        });
      }
      return session;
    }
    return {
      create: function (tag) {
        var el = document.createElement('div');
        el.setAttribute('data-stripe-emulator-component', tag);
        var onExit = function () {};
        var onLoadError = function () {};
        el.setOnExit = function (cb) { onExit = cb; };
        el.setOnLoadError = function (cb) { onLoadError = cb; };
        ensureSession().then(function (s) { render(el, tag, s, function () { onExit(); }); })
          .catch(function (error) { el.textContent = 'Stripe emulator: ' + error.message; onLoadError({ error: error }); });
        return el;
      },
      update: function () {},
      logout: function () { session = null; return Promise.resolve(); }
    };
  }
  function render(el, tag, s, exit) {
    var component = TAGS[tag];
    if (!component || !s.components[component] || !s.components[component].enabled) {
      el.textContent = 'Stripe emulator: ' + tag + ' is not enabled for this Account Session.';
      return;
    }
    if (tag !== 'account-onboarding') {
      el.textContent = 'Stripe emulator: ' + tag + ' for ' + s.account + ' (emulated, nothing to show).';
      return;
    }
    var form = document.createElement('form');
    form.setAttribute('data-stripe-emulator-form', 'account-onboarding');
    var title = document.createElement('p');
    title.textContent = 'Set up payouts for ' + s.account + (s.email ? ' (' + s.email + ')' : '') + ' — Stripe emulator, test mode.';
    form.appendChild(title);
    [['complete', 'Complete onboarding (verified)'], ['pending', 'Submit, but leave verification pending'], ['exit', 'Exit']]
      .forEach(function (choice) {
        var button = document.createElement('button');
        button.type = 'submit';
        button.name = 'action';
        button.value = choice[0];
        button.setAttribute('data-action', choice[0]);
        button.textContent = choice[1];
        form.appendChild(button);
      });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var action = (event.submitter && event.submitter.value) || 'exit';
      post('/connect-js/v1/account_onboarding', { sessionToken: s.sessionToken, action: action })
        .then(function () { exit(); })
        .catch(function (error) { title.textContent = 'Stripe emulator: ' + error.message; });
    });
    el.appendChild(form);
  }
  window.StripeConnect = window.StripeConnect || {};
  window.StripeConnect.init = init;
})();
`;
}
