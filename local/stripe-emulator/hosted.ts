import type { EmulatorCore } from './core.ts';
import { decodeForm } from './form.ts';
import { setAccountState } from './resources/accounts.ts';
import { type CheckoutPayment, payCheckoutSession, refreshExpiry } from './resources/checkout.ts';
import type { AccountLinkRecord, CheckoutRecord } from './store.ts';

export interface HostedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const html = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, content: string, status = 200): HostedResponse {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1a1f36}
.banner{background:#fff4e5;border:1px solid #f5a623;padding:.5rem 1rem;border-radius:6px;font-size:.9rem}
button{display:block;width:100%;margin:.5rem 0;padding:.8rem;font-size:1rem;border-radius:6px;border:1px solid #635bff;background:#635bff;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#635bff}.error{color:#df1b41}table{width:100%;border-collapse:collapse}td{padding:.3rem 0}</style>
</head><body><p class="banner">Stripe emulator (connect-payouts) — test mode, no real money moves.</p>
<h1>${html(title)}</h1>${content}</body></html>`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body };
}

function redirect(location: string, status = 303): HostedResponse {
  return { status, headers: { location, 'cache-control': 'no-store' }, body: '' };
}

function notFound(): HostedResponse {
  return page('Link not found', '<p>This link does not exist (was the emulator reset?).</p>', 404);
}

/** Serves the pages Stripe would host: Connect onboarding, Checkout, and the Express dashboard stub. */
export function handleHosted(core: EmulatorCore, method: string, path: string, body: string): HostedResponse {
  const parts = path.split('/').filter(Boolean); // ['hosted', kind, ...]
  const kind = parts[1];
  if (kind === 'onboarding' && parts[2]) return onboarding(core, method, decodeURIComponent(parts[2]), body);
  if (kind === 'checkout' && parts[2]) return checkout(core, method, decodeURIComponent(parts[2]), body);
  if (kind === 'express' && parts[2]) {
    return page('Express dashboard', `<p>Express dashboard for <code>${html(parts[2])}</code> (emulated).</p>`);
  }
  return notFound();
}

function onboarding(core: EmulatorCore, method: string, token: string, body: string): HostedResponse {
  const link = core.store.accountLinks.get(token);
  if (!link) return notFound();
  if (method === 'GET') {
    // Single use: a second visit, or a visit after expiry, goes to refresh_url so the platform makes a new link.
    if (link.state !== 'fresh' || core.now() >= link.expiresAt) return redirect(link.refreshUrl, 302);
    link.state = 'opened';
    link.sessionToken = core.ids.chars(24);
    return onboardingPage(core, link);
  }
  if (method !== 'POST') return page('Method not allowed', '', 405);
  const form = decodeForm(body);
  if (link.state !== 'opened' || form.session !== link.sessionToken) return redirect(link.refreshUrl);
  link.state = 'finished';
  completeOnboarding(core, link.account, form.action, link.collectionOptions.future_requirements === 'include');
  return redirect(link.returnUrl);
}

/**
 * What submitting onboarding does, hosted or embedded: `complete` verifies the account, `pending` submits it and
 * leaves verification pending, anything else changes nothing. Requirements announced ahead of time are collected
 * only when the flow asked for them (`collection_options.future_requirements: include`).
 */
export function completeOnboarding(
  core: EmulatorCore,
  accountId: string,
  action: unknown,
  collectFutureRequirements: boolean,
): void {
  const options = { keepFutureRequirements: !collectFutureRequirements };
  if (action === 'complete') setAccountState(core, accountId, 'verified', options);
  else if (action === 'pending') setAccountState(core, accountId, 'pending_verification', options);
}

function onboardingPage(core: EmulatorCore, link: AccountLinkRecord): HostedResponse {
  const account = core.store.accounts.get(link.account);
  const form = (action: string, label: string, cls = '') =>
    `<form method="post"><input type="hidden" name="session" value="${html(link.sessionToken ?? '')}">` +
    `<input type="hidden" name="action" value="${action}"><button class="${cls}" type="submit" data-action="${action}">${html(label)}</button></form>`;
  return page(
    link.type === 'account_update' ? 'Update your account' : 'Set up payouts',
    `<p>Account <code>${html(link.account)}</code>${account?.email ? ` (${html(account.email)})` : ''}.</p>
${form('complete', 'Complete onboarding (verified)')}
${form('pending', 'Submit, but leave verification pending', 'secondary')}
${form('abandon', 'Abandon and return to the platform', 'secondary')}`,
  );
}

function checkout(core: EmulatorCore, method: string, id: string, body: string): HostedResponse {
  const record = core.store.checkoutSessions.get(id);
  if (!record) return notFound();
  refreshExpiry(core, record);
  const session = record.session;
  const successUrl = (session.success_url ?? '').replace('{CHECKOUT_SESSION_ID}', session.id);
  if (method === 'GET') {
    if (session.status === 'complete' && successUrl) return redirect(successUrl, 302);
    if (session.status !== 'open') return page('Checkout', `<p>This Checkout Session is ${session.status}.</p>`, 410);
    return checkoutPage(record, null);
  }
  if (method !== 'POST') return page('Method not allowed', '', 405);
  const form = decodeForm(body);
  const action = typeof form.action === 'string' ? form.action : '';
  if (action === 'cancel') {
    return session.cancel_url ? redirect(session.cancel_url) : page('Checkout', '<p>Payment canceled.</p>');
  }
  const how: Record<string, CheckoutPayment> = {
    pay: 'card',
    pay_disputed: 'disputed',
    pay_declined: 'declined',
    pay_async_success: 'async_success',
    pay_async_fail: 'async_fail',
  };
  const choice = how[action];
  if (!choice) return checkoutPage(record, 'Unknown action.');
  const error = payCheckoutSession(core, record, choice);
  if (error && session.status === 'open') return checkoutPage(record, error, 402);
  return successUrl ? redirect(successUrl) : page('Checkout', '<p>Payment complete.</p>');
}

function checkoutPage(record: CheckoutRecord, error: string | null, status = 200): HostedResponse {
  const s = record.session;
  const rows = record.lineItems
    .map((li) => `<tr><td>${html(li.description)} × ${li.quantity}</td><td>${li.amount_total} ${li.currency}</td></tr>`)
    .join('');
  const form = (action: string, label: string, cls = '') =>
    `<form method="post"><input type="hidden" name="action" value="${action}"><button class="${cls}" type="submit" data-action="${action}">${html(label)}</button></form>`;
  return page(
    'Checkout',
    `${error ? `<p class="error">${html(error)}</p>` : ''}<table>${rows}<tr><td><b>Total</b></td><td><b>${s.amount_total} ${s.currency}</b></td></tr></table>
${form('pay', 'Pay with card 4242 4242 4242 4242')}
${form('pay_disputed', 'Pay with a card that will be disputed (4000 0000 0000 0259)', 'secondary')}
${form('pay_declined', 'Pay with a declined card (4000 0000 0000 0002)', 'secondary')}
${form('pay_async_success', 'Pay with a delayed method that succeeds', 'secondary')}
${form('pay_async_fail', 'Pay with a delayed method that fails', 'secondary')}
${form('cancel', 'Cancel and go back', 'secondary')}`,
    status,
  );
}
