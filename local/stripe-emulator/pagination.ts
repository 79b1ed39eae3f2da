import { invalidRequest, resourceMissing } from './errors.ts';
import type { Params } from './params.ts';
import type { ListObject } from './types.ts';

export interface PageRequest {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
}

/** Reads `limit` (1..100, default 10), `starting_after` and `ending_before` as Stripe does. */
export function readPage(p: Params): PageRequest {
  const limit = p.int('limit', { min: 1, max: 100 }) ?? 10;
  const startingAfter = p.string('starting_after');
  const endingBefore = p.string('ending_before');
  if (startingAfter && endingBefore) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', {
      param: 'ending_before',
      code: 'parameters_exclusive',
    });
  }
  const page: PageRequest = { limit };
  if (startingAfter) page.startingAfter = startingAfter;
  if (endingBefore) page.endingBefore = endingBefore;
  return page;
}

/**
 * `items` must be newest first (Stripe's list order). `starting_after` walks to older objects, `ending_before` to
 * newer ones; either way the page itself stays newest first, which is what the SDK's auto-pagination expects.
 */
export function paginate<T extends { id: string }>(
  items: readonly T[],
  page: PageRequest,
  url: string,
  resourceName: string,
): ListObject<T> {
  let data: T[];
  let hasMore: boolean;
  if (page.startingAfter) {
    const i = items.findIndex((x) => x.id === page.startingAfter);
    if (i === -1) throw resourceMissing(resourceName, page.startingAfter, 'starting_after');
    data = items.slice(i + 1, i + 1 + page.limit);
    hasMore = i + 1 + page.limit < items.length;
  } else if (page.endingBefore) {
    const i = items.findIndex((x) => x.id === page.endingBefore);
    if (i === -1) throw resourceMissing(resourceName, page.endingBefore, 'ending_before');
    const start = Math.max(0, i - page.limit);
    data = items.slice(start, i);
    hasMore = start > 0;
  } else {
    data = items.slice(0, page.limit);
    hasMore = items.length > page.limit;
  }
  return { object: 'list', data, has_more: hasMore, url };
}

export function emptyList<T>(url: string): ListObject<T> {
  return { object: 'list', data: [], has_more: false, url, total_count: 0 };
}
