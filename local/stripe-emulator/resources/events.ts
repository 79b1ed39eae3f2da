import { resourceMissing } from '../errors.ts';
import { paginate, readPage } from '../pagination.ts';
import { inRange } from '../params.ts';
import type { Router } from '../router.ts';

/** `type` accepts Stripe's wildcard form (`account.*`). */
function typeMatcher(type: string | undefined, types: string[] | undefined): (t: string) => boolean {
  const patterns = [...(type ? [type] : []), ...(types ?? [])];
  if (patterns.length === 0) return () => true;
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`));
  return (t) => res.some((re) => re.test(t));
}

export function registerEventRoutes(r: Router): void {
  r.get('/v1/events/:id', (ctx) => {
    const id = ctx.pathParams.id as string;
    const event = ctx.core.store.events.get(id, ctx.owner);
    if (!event) throw resourceMissing('event', id);
    return event;
  });
  r.get('/v1/events', (ctx) => {
    const p = ctx.params;
    const matches = typeMatcher(p.string('type'), p.stringArray('types'));
    const created = p.range('created');
    p.ignore('delivery_success');
    const page = readPage(p);
    const items = ctx.core.store.events.list(ctx.owner, (e) => matches(e.type) && inRange(e.created, created));
    return paginate(items, page, '/v1/events', 'event');
  });
}
