// Listing every item of a Kubernetes collection a page at a time (limit + continue), so large
// clusters are read in bounded responses. Each page is fetched with the shared retry.
// A continue token the server no longer honours (410 Expired: the first page's revision has left
// its history) starts the list over from its first page, as client-go's pager falls back to a
// full list (k8s.io/client-go/tools/pager/pager.go; https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks).
import { kubeStatus, withKubeRetry, type KubeRetryOptions } from './retry.js';
import { TaskError } from '../task-error.js';

/** how many times a list starts over on expired continue tokens before giving up */
const RESTARTS = 5;

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
  let out: T[] = [];
  let cont: string | undefined;
  let restarts = 0;
  for (;;) {
    let res: ListPage<T>;
    try {
      res = await withKubeRetry(() => page(cont, limit), opts);
    } catch (e) {
      if (!cont || kubeStatus(e) !== 410) throw e;
      if (++restarts > RESTARTS) {
        throw new TaskError(`a paged list expired ${RESTARTS} times in a row before it was complete`, { code: 'listExpired', retryable: true, hint: 'the cluster changes faster than kfup can page through it; try again, or when it is quieter' });
      }
      out = [];
      cont = undefined;
      continue;
    }
    out.push(...(res.items ?? []));
    cont = res.metadata?._continue || res.metadata?.continue || undefined;
    if (!cont) return out;
  }
}
