// Listing every item of a Kubernetes collection a page at a time (limit + continue), so large
// clusters are read in bounded responses. Each page is fetched with the shared retry.
import { withKubeRetry, type KubeRetryOptions } from './retry.js';

export interface ListPage<T> {
  items: T[];
  metadata?: { _continue?: string; continue?: string };
}

/**
 * `page(cont)` fetches one page, passing `cont` as the list call's `_continue`; the pages are
 * concatenated until the server stops returning a continue token.
 */
export async function listAll<T>(page: (cont: string | undefined, limit: number) => Promise<ListPage<T>>, opts: KubeRetryOptions & { limit?: number } = {}): Promise<T[]> {
  const limit = opts.limit ?? 200;
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const res = await withKubeRetry(() => page(cont, limit), opts);
    out.push(...(res.items ?? []));
    cont = res.metadata?._continue || res.metadata?.continue || undefined;
  } while (cont);
  return out;
}
