// A lean Kubernetes request for hot loops (thousands of small patches): the same guarded
// KubeConfig builds the request (credentials, the run's keep-alive agent, and the check-mode
// guard, which refuses a non-GET here exactly as for the client-node API classes), but the
// response is parsed as plain JSON instead of being deserialised into client-node's typed model
// objects, which costs more CPU than the request itself.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Agent } from 'node:http';
import type { KubeClients } from '../../../runner/types.js';

/** shaped like client-node's ApiException, so the shared retry and status helpers read it alike */
export class KubeRequestError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
    readonly headers: Record<string, string | string[] | undefined>,
    path: string,
  ) {
    super(`HTTP-Code: ${code} Message: ${typeof body === 'object' && body && 'message' in body ? String(body.message) : 'request failed'} (${path})`);
  }
}

export async function kubeRequest<T = unknown>(
  kube: KubeClients,
  method: 'GET' | 'PATCH' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  opts: { body?: unknown; contentType?: string; signal?: AbortSignal; /** a write whose answer is not needed: a 2xx body is not parsed */ ignoreBody?: boolean } = {},
): Promise<T> {
  const request: Parameters<KubeClients['config']['applyToFetchOptions']>[0] = { method };
  const fetchOpts = (await kube.config.applyToFetchOptions(request)) as unknown as { agent?: Agent; headers: Headers };
  const cluster = kube.config.getCurrentCluster();
  if (!cluster) throw new Error(`no cluster in the kubeconfig context ${kube.context}`);
  // appended, not resolved: a server URL with a path prefix (a proxy, Rancher's /k8s/clusters/<id>)
  // keeps it, as client-node's own clients and Watch do
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  const headers: Record<string, string> = { accept: 'application/json' };
  fetchOpts.headers.forEach((v, k) => (headers[k] = v));
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  if (payload) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<T>((resolve, reject) => {
    const req = send(url, { method, headers, agent: fetchOpts.agent, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (opts.ignoreBody && status >= 200 && status < 300) return resolve(undefined as T);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON: keep the text */
        }
        if (status >= 200 && status < 300) resolve(body as T);
        else reject(new KubeRequestError(status, body, res.headers, path));
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** one page of a list, as plain JSON objects (the shape of the API's own JSON, not client-node's models) */
export function kubeList<T>(
  kube: KubeClients,
  path: string,
  opts: { limit?: number; continue?: string; labelSelector?: string; signal?: AbortSignal } = {},
): Promise<{ items: T[]; metadata?: { continue?: string } }> {
  const query = new URLSearchParams();
  if (opts.limit) query.set('limit', String(opts.limit));
  if (opts.continue) query.set('continue', opts.continue);
  if (opts.labelSelector) query.set('labelSelector', opts.labelSelector);
  const q = query.toString();
  return kubeRequest(kube, 'GET', q ? `${path}?${q}` : path, { signal: opts.signal });
}
