// Kubernetes `Status` objects: the body of every error answer (and of a watch ERROR event).
import { StoreError } from './store-api.js';

export interface StatusCause {
  field?: string;
  message: string;
  reason?: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export function status(code: number, message: string, reason = REASON_BY_CODE[code] ?? 'Unknown', details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** an error thrown while serving, as the HTTP status and Status body to answer with */
export function statusOf(err: unknown, ctx: { name?: string; group?: string; kind?: string } = {}): Status {
  if (err instanceof StoreError) {
    const details = { ...ctx, ...(err.objectName ? { name: err.objectName } : {}), ...(err.causes.length ? { causes: err.causes } : {}) };
    return status(err.code, err.message, err.reason, Object.keys(details).length ? details : undefined);
  }
  return status(500, `Internal error occurred: ${(err as Error)?.message ?? String(err)}`);
}
