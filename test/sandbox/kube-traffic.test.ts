// Every request to the sandbox API server is logged with its verb and whether it wrote, and
// each injected transport fault comes back as the status a real API server would give.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiException, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { codeOf, startSandbox, statusBody, type Sandbox } from './kube-helpers.js';

let sb: Sandbox;
let core: CoreV1Api;

beforeAll(async () => {
  sb = await startSandbox();
  core = sb.kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await sb.server.stop();
});

const raw = (path: string, init: RequestInit = {}) => fetch(`${sb.server.url}${path}`, init);

describe('request log', () => {
  it('records verb, service and mutating for each kind of request', async () => {
    sb.traffic.log.clear();
    const mark = sb.traffic.log.mark();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'c1' } } });
    await core.readNamespacedConfigMap({ name: 'c1', namespace: 'default' });
    await core.listNamespacedConfigMap({ namespace: 'default' });
    await core.listConfigMapForAllNamespaces();
    await core.replaceNamespacedConfigMap({ name: 'c1', namespace: 'default', body: { metadata: { name: 'c1' }, data: { a: 'b' } } });
    await core.patchNamespacedConfigMap({ name: 'c1', namespace: 'default', body: { data: { a: 'c' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'c1', namespace: 'default' });
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'default' });
    const w = await raw('/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1');
    await w.text();
    await raw('/apis/apps/v1');
    const entries = sb.traffic.log.since(mark);
    expect(entries.map((e) => `${e.service} ${e.operation} ${e.method} ${e.mutating} ${e.status}`)).toEqual([
      'core create POST true 201',
      'core get GET false 200',
      'core list GET false 200',
      'core list GET false 200',
      'core update PUT true 200',
      'core patch PATCH true 200',
      'core delete DELETE true 200',
      'core deletecollection DELETE true 200',
      'core watch GET false 200',
      'apps get GET false 200',
    ]);
    expect(entries.every((e) => e.target === 'blue')).toBe(true);
    expect(entries[0].path).toBe('/api/v1/namespaces/default/configmaps');
  });
});

describe('transport faults', () => {
  it('throttle answers 429 with Retry-After and a TooManyRequests Status', async () => {
    sb.traffic.setFaults([{ fault: 'throttle', times: 1 }]);
    const r = await raw('/api/v1/namespaces');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(await r.json()).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect((await raw('/api/v1/namespaces')).status).toBe(200); // times: 1
    const last = sb.traffic.log.entries.at(-2)!;
    expect(last).toMatchObject({ fault: 'throttle', status: 429, operation: 'list' });
  });

  it.each([
    ['error500', 500, 'InternalError'],
    ['error503', 503, 'ServiceUnavailable'],
  ] as const)('%s answers %i with a %s Status', async (fault, code, reason) => {
    sb.traffic.setFaults([{ fault, times: 1 }]);
    const r = await raw('/api/v1/namespaces/default');
    expect(r.status).toBe(code);
    expect(await r.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason, code });
  });

  it('conflict answers 409 on writes only', async () => {
    sb.traffic.setFaults([{ fault: 'conflict' }]);
    expect((await raw('/api/v1/namespaces/default')).status).toBe(200);
    const before = sb.server.store.resourceVersion;
    const err: unknown = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'blocked' } } }).catch((e: unknown) => e);
    if (!(err instanceof ApiException)) throw new Error('the write was not refused by the API server');
    expect(err.code).toBe(409);
    expect(statusBody(err).message).toContain('the object has been modified; please apply your changes to the latest version and try again');
    expect(sb.server.store.resourceVersion).toBe(before); // nothing was written
    sb.traffic.setFaults([]);
  });

  it('drop destroys the connection without an answer', async () => {
    sb.traffic.setFaults([{ fault: 'drop', times: 1 }]);
    await expect(raw('/api/v1/namespaces')).rejects.toThrow();
    expect(sb.traffic.log.entries.at(-1)).toMatchObject({ fault: 'drop', status: undefined });
    expect(await codeOf(core.listNamespace())).toBeUndefined();
  });

  it('restricts faults to a side and an operation', async () => {
    sb.traffic.setFaults([
      { fault: 'error503', target: 'green' },
      { fault: 'error500', target: 'kube', operation: 'delete' },
    ]);
    expect((await raw('/api/v1/namespaces')).status).toBe(200);
    expect((await raw('/api/v1/namespaces/default', { method: 'DELETE' })).status).toBe(500);
    sb.traffic.setFaults([]);
    expect(sb.server.store.get('v1', 'Namespace', 'default')).toBeDefined();
  });
});

describe('errors as Kubernetes Status objects', () => {
  it('answers 404, 405, 415 and 400 with Status bodies', async () => {
    const notFound = await raw('/api/v1/namespaces/default/configmaps/none');
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'configmaps "none" not found', details: { name: 'none', kind: 'configmaps' } });
    expect((await raw('/apis/nothing.example.com/v1/things')).status).toBe(404);
    expect((await raw('/api/v1/namespaces/default/configmaps/x', { method: 'POST', body: '{}' })).status).toBe(405);
    const unknownPatch = await raw('/api/v1/namespaces/default', { method: 'PATCH', body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(unknownPatch.status).toBe(415);
    const garbage = await raw('/api/v1/namespaces/default/configmaps', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });
});
