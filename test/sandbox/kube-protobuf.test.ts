// The protobuf wire format (https://kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding),
// without kubectl: bodies encoded here with protobufjs from the official .proto files, as
// client-go encodes them ("k8s\0" + runtime.Unknown{typeMeta, raw}), and posted over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1DeploymentSpec } from '@kubernetes/client-node';
import { protoRoot } from '../../src/sandbox/kube/protobuf.js';
import type { Status } from '../../src/sandbox/kube/status.js';
import { startSandbox, type Sandbox } from './kube-helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await sb?.server.stop();
});

function envelope(apiVersion: string, kind: string, message: string, body: Record<string, unknown>): Buffer {
  const root = protoRoot();
  const type = root.lookupType(message);
  const raw = type.encode(type.fromObject(body)).finish();
  const unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  const env = unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' })).finish();
  return Buffer.concat([Buffer.from('k8s\0', 'binary'), env]);
}

const post = (path: string, body: Buffer) =>
  fetch(`${sb.server.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/vnd.kubernetes.protobuf,application/json' }, body: new Uint8Array(body) });

describe('protobuf request bodies', () => {
  it('decodes a Secret: bytes become base64, the envelope gives apiVersion and kind', async () => {
    const res = await post('/api/v1/namespaces/default/secrets', envelope('v1', 'Secret', 'k8s.io.api.core.v1.Secret', { metadata: { name: 'pb' }, data: { token: Buffer.from('s3cr3t') }, type: 'Opaque' }));
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(sb.server.store.get('v1', 'Secret', 'pb', 'default')).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', data: { token: Buffer.from('s3cr3t').toString('base64') } });
  });

  it('decodes a Deployment: int64/int32, IntOrString, Quantity, an explicit 0 and inline structs (a volume\'s emptyDir)', async () => {
    const body = {
      metadata: { name: 'pb', labels: { app: 'pb' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'pb' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: { type: 1, strVal: '25%' }, maxUnavailable: { type: 0, intVal: 1 } } },
        template: {
          metadata: { labels: { app: 'pb' } },
          spec: {
            containers: [{ name: 'c', image: 'nginx', resources: { limits: { memory: { string: '1Gi' } } }, volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] }],
            volumes: [{ name: 'tmp', volumeSource: { emptyDir: { sizeLimit: { string: '1Gi' } } } }],
            terminationGracePeriodSeconds: 30,
          },
        },
      },
    };
    const res = await post('/apis/apps/v1/namespaces/default/deployments', envelope('apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment', body));
    expect(res.status).toBe(201);
    const d = sb.server.store.get('apps/v1', 'Deployment', 'pb', 'default')!.spec as V1DeploymentSpec;
    expect(d.replicas).toBe(0);
    expect(d.strategy?.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: 1 });
    expect(d.template.spec?.terminationGracePeriodSeconds).toBe(30);
    expect(d.template.spec?.containers[0].resources).toEqual({ limits: { memory: '1Gi' } });
    expect(d.template.spec?.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }]);
  });

  it('refuses a body without the "k8s\\0" prefix with 400, and a kind it has no definition for', async () => {
    const res = await post('/api/v1/namespaces', Buffer.from('not protobuf'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as Status).message).toMatch(/not a Kubernetes protobuf message/);
    const odd = await post('/api/v1/namespaces', envelope('v1', 'Nonsense', 'k8s.io.api.core.v1.Namespace', { metadata: { name: 'x' } }));
    expect(odd.status).toBe(400);
    expect(((await odd.json()) as Status).message).toMatch(/no protobuf definition for Nonsense in version "v1"/);
  });
});
