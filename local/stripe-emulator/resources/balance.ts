import { resourceMissing } from '../errors.ts';
import { paginate, readPage } from '../pagination.ts';
import { inRange } from '../params.ts';
import type { RequestContext, Router } from '../router.ts';

function defaultCurrency(ctx: RequestContext): string {
  if (!ctx.account) return ctx.core.platformCurrency;
  return ctx.core.store.accounts.get(ctx.account)?.default_currency ?? 'usd';
}

export function registerBalanceRoutes(r: Router): void {
  r.get('/v1/balance', (ctx) => ctx.core.store.ledger.balance(ctx.owner, defaultCurrency(ctx)));
  r.get('/v1/balance_transactions/:id', (ctx) => {
    const id = ctx.pathParams.id as string;
    const txn = ctx.core.store.ledger.transactions.get(id, ctx.owner);
    if (!txn) throw resourceMissing('balance transaction', id);
    return txn;
  });
  r.get('/v1/balance_transactions', (ctx) => {
    const p = ctx.params;
    const type = p.string('type');
    const source = p.string('source');
    const currency = p.string('currency');
    const created = p.range('created');
    p.ignore('payout');
    const page = readPage(p);
    const items = ctx.core.store.ledger.transactions.list(
      ctx.owner,
      (t) =>
        (type === undefined || t.type === type) &&
        (source === undefined || t.source === source) &&
        (currency === undefined || t.currency === currency) &&
        inRange(t.created, created),
    );
    return paginate(items, page, '/v1/balance_transactions', 'balance transaction');
  });
}
