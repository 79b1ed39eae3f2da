import { useEffect, useState } from 'preact/hooks';

/**
 * Which partner the portal shows: the caller's personal partner (no query), or a team they belong to
 * (`?partnerId=`, as every partner route takes it). Kept for the tab.
 */
const KEY = 'connect-payouts.partner';
const listeners = new Set<() => void>();

export function scopedPartner(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setScopedPartner(partnerId: string | null): void {
  if (partnerId) sessionStorage.setItem(KEY, partnerId);
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

/** `?partnerId=…` (or `&…` after other parameters) when a team is selected. */
export function scope(prefix: '?' | '&' = '?'): string {
  const id = scopedPartner();
  return id ? `${prefix}partnerId=${encodeURIComponent(id)}` : '';
}

export function useScope(): string | null {
  const [id, setId] = useState(scopedPartner());
  useEffect(() => {
    const update = () => setId(scopedPartner());
    listeners.add(update);
    update();
    return () => void listeners.delete(update);
  }, []);
  return id;
}
