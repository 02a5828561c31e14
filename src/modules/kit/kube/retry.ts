// Retrying Kubernetes API calls that failed for a passing reason: throttling (429), a server
// error (5xx), an optimistic-concurrency conflict (409 Conflict, not AlreadyExists) or a dropped
// connection. The API server's Retry-After header is honoured (capped), otherwise the delay grows
// exponentially with jitter. The call is made again from scratch, so a caller that updates an
// object must re-read it inside `fn` for a conflict retry to make sense.
import { sleep } from '../../../runner/engine/abort.js';

export interface KubeRetryOptions {
  /** attempts in all, the first included (default 6) */
  attempts?: number;
  /** first back-off delay (ms, default 200) */
  baseMs?: number;
  /** longest single wait, Retry-After included (ms, default 5000) */
  maxMs?: number;
  /** retry 409 Conflict (default true); 409 AlreadyExists is never retried */
  retryConflict?: boolean;
  signal?: AbortSignal;
  /** told about each retry (e.g. to log it) */
  onRetry?: (info: { attempt: number; status?: number; delayMs: number; message: string }) => void;
}

interface ApiLikeError {
  code?: number | string;
  body?: unknown;
  headers?: Record<string, string | string[] | undefined>;
  message?: string;
  cause?: unknown;
}

/** HTTP status of a client-node ApiException, or undefined for transport errors */
export function kubeStatus(e: unknown): number | undefined {
  const code = (e as ApiLikeError | undefined)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/** the `reason` of the API server's Status body (AlreadyExists, Conflict, NotFound, ...) */
export function kubeReason(e: unknown): string | undefined {
  let body = (e as ApiLikeError | undefined)?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const reason = (body as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** the API server's message when there is one, else the error's own */
export function kubeMessage(e: unknown): string {
  let body = (e as ApiLikeError | undefined)?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* keep the raw message below */
    }
  }
  const m = (body as { message?: unknown } | undefined)?.message;
  if (typeof m === 'string' && m) return m;
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

export const isNotFound = (e: unknown): boolean => kubeStatus(e) === 404;
export const isAlreadyExists = (e: unknown): boolean => kubeStatus(e) === 409 && kubeReason(e) === 'AlreadyExists';

const TRANSPORT = /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up|other side closed|fetch failed|network/i;

function retryAfterMs(e: unknown): number | undefined {
  const h = (e as ApiLikeError | undefined)?.headers;
  if (!h) return undefined;
  const raw = h['retry-after'] ?? h['Retry-After'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** whether a failed call is worth making again */
export function isRetryable(e: unknown, retryConflict = true): boolean {
  const status = kubeStatus(e);
  if (status === undefined) {
    const err = e as ApiLikeError | undefined;
    const text = `${err?.message ?? ''} ${String((err?.cause as { code?: string } | undefined)?.code ?? '')}`;
    return TRANSPORT.test(text);
  }
  if (status === 429 || status >= 500) return true;
  return status === 409 && retryConflict && kubeReason(e) !== 'AlreadyExists';
}


/** runs `fn`, again after a pause when it fails for a passing reason; the last error is thrown */
export async function withKubeRetry<T>(fn: () => Promise<T>, opts: KubeRetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 6;
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts || !isRetryable(e, opts.retryConflict ?? true) || opts.signal?.aborted) throw e;
      const backoff = Math.min(max, base * 2 ** (attempt - 1));
      const delayMs = Math.min(max, retryAfterMs(e) ?? backoff * (0.5 + Math.random() / 2));
      opts.onRetry?.({ attempt, status: kubeStatus(e), delayMs, message: kubeMessage(e) });
      await sleep(delayMs, opts.signal);
    }
  }
}
