import type { LiveRequest } from '@weft/api';

/** What the person looks at: the map, the table and the live stream all follow it. */
export interface ViewFilter {
  windowSeconds: number;
  /** null: every namespace. */
  namespace: string | null;
}

/** The windows offered (all inside the contract's 10 to 900 s). */
export const windowChoices = [
  { seconds: 60, label: '1 min' },
  { seconds: 300, label: '5 min' },
  { seconds: 900, label: '15 min' },
] as const;

/** The contract's default window and scope. */
export const defaultFilter: ViewFilter = { windowSeconds: 60, namespace: null };

/** What the app sends over /api/v1/live on every (re)connect and filter change. */
export function liveRequestFor(filter: ViewFilter): LiveRequest {
  const request: LiveRequest = { type: 'watch', windowSeconds: filter.windowSeconds };
  if (filter.namespace !== null) request.namespace = filter.namespace;
  return request;
}

export function sameFilter(a: ViewFilter, b: ViewFilter): boolean {
  return a.windowSeconds === b.windowSeconds && a.namespace === b.namespace;
}
