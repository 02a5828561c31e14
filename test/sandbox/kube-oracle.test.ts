// The sandbox refuses malformed built-in objects (and Istio AuthorizationPolicies) as the real API
// server does, judged by the official schemas (kubernetes-models, @kubernetes-models/istio; see
// src/sandbox/kube/official-schemas.ts for the apimachinery sources of each answer), on create,
// update and patch (the patched object is judged), through client-node and kubectl.
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type V1Container, type V1PodSpec } from '@kubernetes/client-node';
import { servingCrds } from '../../src/sandbox/kube/crds/serving.js';
import { unknownFields } from '../../src/sandbox/kube/known-fields.js';
import { checkOfficialSchema } from '../../src/sandbox/kube/official-schemas.js';
import { seedCluster } from '../../src/sandbox/kube/seed.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { forbidden } from './forbidden-input.js';
import { refusalStatus, startSandbox, type Sandbox } from './kube-helpers.js';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!hasKubectl) console.warn('kube-oracle kubectl tests skipped: kubectl is not on PATH');

let sb: Sandbox;
let core: CoreV1Api;
let objects: KubernetesObjectApi;
let custom: CustomObjectsApi;

beforeAll(async () => {
  sb = await startSandbox();
  for (const crd of servingCrds()) sb.server.store.create(crd);
  core = sb.kc.makeApiClient(CoreV1Api);
  objects = KubernetesObjectApi.makeApiClient(sb.kc);
  custom = sb.kc.makeApiClient(CustomObjectsApi);
});
afterAll(async () => {
  await sb?.server.stop();
});

const pod = (name: string, container: V1Container) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [container] } });

describe('the official schemas judge built-in kinds (client-node)', () => {
  it('refuses a Pod whose container has no name: 422 Invalid with the field cause (apimachinery NewInvalid, field.Required)', async () => {
    const st = await refusalStatus(objects.create(pod('bad', forbidden({ image: 'nginx' }))));
    expect(st).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'Pod "bad" is invalid: spec.containers[0].name: Required value',
      details: { name: 'bad', kind: 'Pod', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].name' }] },
    });
    expect(await core.listNamespacedPod({ namespace: 'default' }).then((l) => l.items.length)).toBe(0);
  });

  it('refuses a ConfigMap with a non-string data value while decoding: 400 BadRequest, as encoding/json reports it', async () => {
    const st = await refusalStatus(objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' }, data: { a: 1 } }));
    expect(st).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    });
  });

  // the texts real clusters answered, as quoted in github.com/neondatabase/helm-charts/pull/71
  // and github.com/lablabs/ansible-role-rke2/pull/201
  it('names the innermost Go struct, the field path and the Go type in a decoding error, as encoding/json does', async () => {
    const template = (container: Record<string, unknown>) => ({ metadata: { labels: { app: 'x' } }, spec: { containers: [container] } });
    const env = await refusalStatus(
      objects.create({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'env', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'x' } }, template: template({ name: 'c', image: 'i', env: [forbidden({ name: 'PORT', value: 8080 })] }) } }),
    );
    expect(env.message).toBe('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string');
    const port = await refusalStatus(
      objects.create({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'port', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'x' } }, template: template({ name: 'c', image: 'i', ports: [forbidden({ containerPort: '8080' })] }) } }),
    );
    expect(port.message).toBe('DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32');
  });

  it('refuses values outside an enum with FieldValueNotSupported, every problem as its own cause', async () => {
    const st = await refusalStatus(objects.create({ ...pod('enum', { name: 'c', image: 'nginx', imagePullPolicy: 'Sometimes' }), spec: { restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Sometimes' }] } }));
    expect(st.code).toBe(422);
    expect(st.message).toMatch(/^Pod "enum" is invalid: \[/);
    expect(st.details?.causes).toEqual(
      expect.arrayContaining([
        { field: 'spec.restartPolicy', reason: 'FieldValueNotSupported', message: 'Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"' },
        expect.objectContaining({ field: 'spec.containers[0].imagePullPolicy', reason: 'FieldValueNotSupported' }),
      ]),
    );
  });

  it('judges the object an update (PUT) would store', async () => {
    const made = await core.createNamespacedPod({ namespace: 'default', body: pod('web', { name: 'web', image: 'nginx' }) });
    const body = { ...made, spec: { ...made.spec!, containers: [forbidden<V1Container>({ image: 'nginx:2' })] } };
    const st = await refusalStatus(core.replaceNamespacedPod({ name: 'web', namespace: 'default', body }));
    expect(st).toMatchObject({ code: 422, reason: 'Invalid', message: 'Pod "web" is invalid: spec.containers[0].name: Required value' });
  });

  it('judges the merged object of a patch, not the patch (a merge patch replaces the containers list)', async () => {
    const st = await refusalStatus(
      core.patchNamespacedPod({ name: 'web', namespace: 'default', body: { spec: { containers: [{ image: 'nginx:3' }] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    );
    expect(st).toMatchObject({ code: 422, message: 'Pod "web" is invalid: spec.containers[0].name: Required value' });
    // a strategic merge patch merges by name, so the same image change is fine
    const ok = await core.patchNamespacedPod(
      { name: 'web', namespace: 'default', body: { spec: { containers: [{ name: 'web', image: 'nginx:3' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(ok.spec?.containers[0]).toMatchObject({ name: 'web', image: 'nginx:3' });
  });

  it('refuses an AuthorizationPolicy with a bad action enum, and a shape only Istio\'s own schema knows (@kubernetes-models/istio)', async () => {
    const policy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'default' }, spec });
    const bad = await refusalStatus(custom.createNamespacedCustomObject({ group: 'security.istio.io', version: 'v1beta1', namespace: 'default', plural: 'authorizationpolicies', body: policy('ap', { action: 'PERMIT' }) }));
    expect(bad).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'AuthorizationPolicy.security.istio.io "ap" is invalid: spec.action: Unsupported value: "PERMIT": supported values: "ALLOW", "DENY", "AUDIT", "CUSTOM"',
      details: { causes: [{ field: 'spec.action', reason: 'FieldValueNotSupported' }] },
    });
    // the sandbox's own CRD leaves rules opaque; Istio's schema says `from` is a list
    const shape = await refusalStatus(
      custom.createNamespacedCustomObject({ group: 'security.istio.io', version: 'v1beta1', namespace: 'default', plural: 'authorizationpolicies', body: policy('ap2', { action: 'ALLOW', rules: [{ from: { source: {} } }] }) }),
    );
    expect(shape).toMatchObject({ code: 422, message: 'AuthorizationPolicy.security.istio.io "ap2" is invalid: spec.rules[0].from: Invalid value: "object": spec.rules[0].from in body must be of type array: "object"' });
    const good: unknown = await custom.createNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1beta1',
      namespace: 'default',
      plural: 'authorizationpolicies',
      body: policy('ap3', { action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/kubeflow/sa/ml-pipeline'] } }] }] }),
    });
    expect(good).toMatchObject({ metadata: { name: 'ap3' } });
  });
});

describe('unknown fields of built-in kinds, judged by the official protobuf definitions (client-node)', () => {
  const typo = (name: string) => ({ ...pod(name, forbidden({ name: 'c', image: 'nginx', imagePullPolicyy: 'Always' })) });

  it('drops them and warns by default (fieldValidation=Warn, the server default since 1.27)', async () => {
    const made = await objects.create(typo('typo-warn'));
    expect(made.spec.containers[0]).toEqual(expect.objectContaining({ name: 'c', image: 'nginx' }));
    expect(made.spec.containers[0]).not.toHaveProperty('imagePullPolicyy');
    expect((sb.server.store.get('v1', 'Pod', 'typo-warn', 'default')!.spec as V1PodSpec).containers[0]).not.toHaveProperty('imagePullPolicyy');
    // the Warning header, as the API server sends it
    const res = await fetch(`${sb.server.url}/api/v1/namespaces/default/pods`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(typo('typo-header')) });
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toBe('299 - "unknown field \'spec.containers[0].imagePullPolicyy\'"');
  });

  it('refuses them with fieldValidation=Strict: 400 "strict decoding error"', async () => {
    // client-node's typed serializer would drop the unknown field itself, so this is plain HTTP
    const res = await fetch(`${sb.server.url}/api/v1/namespaces/default/pods?fieldValidation=Strict`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(typo('typo-strict')) });
    const st: unknown = await res.json();
    expect(st).toMatchObject({ code: 400, reason: 'BadRequest', message: 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagePullPolicyy"' });
  });

  it('knows the fields Go inlines (a volume\'s emptyDir, a probe\'s httpGet, a key selector\'s name)', async () => {
    const base = pod('inline', {
      name: 'c',
      image: 'nginx',
      readinessProbe: { httpGet: { path: '/', port: 80 } },
      env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
      volumeMounts: [{ name: 'scratch', mountPath: '/tmp' }],
    });
    const body = { ...base, spec: { ...base.spec, volumes: [{ name: 'scratch', emptyDir: {} }] } };
    const made = await core.createNamespacedPod({ namespace: 'default', body, fieldValidation: 'Strict' });
    expect(made.spec?.volumes).toEqual([{ name: 'scratch', emptyDir: {} }]);
    expect(made.spec?.containers[0].env?.[0].valueFrom?.secretKeyRef).toEqual({ name: 's', key: 'k' });
  });
});

describe('the sandbox\'s own objects', () => {
  it('seed data of both sides: every built-in object passes its official schema and has no unknown field (in-process writes would drop them silently)', () => {
    for (const side of ['blue', 'green'] as const) {
      const lenient = new MemoryStore({ strict: false });
      seedCluster(lenient, makeScenario({}), side);
      const problems: string[] = [];
      for (const info of lenient.kinds.all()) {
        for (const o of lenient.listRaw(info, undefined)) {
          const where = `${side} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
          for (const f of unknownFields(structuredClone(o), false)) problems.push(`${where}: unknown field ${f}`);
          try {
            checkOfficialSchema(structuredClone(o), info.group);
          } catch (e) {
            problems.push(`${where}: ${(e as Error).message}`);
          }
        }
      }
      expect(problems).toEqual([]);
    }
  });

  it('strict: false (lenient, for experiments) stores what the schemas refuse', () => {
    const lenient = new MemoryStore({ strict: false });
    lenient.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    expect(lenient.create(pod('nameless', forbidden({ image: 'nginx' }))).metadata.uid).toBeTruthy();
    expect(() => new MemoryStore().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' }, spec: { finalizers: 'kubernetes' } })).toThrow(/cannot be handled as a Namespace/);
  });
});

function kubectl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', sb.kubeconfig, '--context', 'sandbox-blue', '--cache-dir', join(dirname(sb.kubeconfig), 'cache'), ...args], { encoding: 'utf8', timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, out, err });
    });
  });
}

describe.skipIf(!hasKubectl)('the official schemas judge what kubectl sends (skipped without kubectl)', () => {
  const manifest = (name: string, text: string) => {
    const p = join(dirname(sb.kubeconfig), name);
    writeFileSync(p, text);
    return p;
  };

  it('kubectl create -f: a Pod container without a name is "invalid" with its field', async () => {
    const r = await kubectl('create', '-f', manifest('bad-pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: { name: nameless, namespace: default }\nspec:\n  containers:\n  - image: nginx\n'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('The Pod "nameless" is invalid: spec.containers[0].name: Required value');
  });

  it('kubectl apply -f: a ConfigMap with a number in data is BadRequest', async () => {
    const r = await kubectl('apply', '-f', manifest('bad-cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: numbers, namespace: default }\ndata:\n  a: 1\n'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('Error from server (BadRequest)');
    expect(r.err).toContain('cannot unmarshal number into Go struct field ConfigMap.data of type string');
  });

  it('kubectl apply -f: an AuthorizationPolicy with a bad action is "invalid"', async () => {
    const r = await kubectl(
      'apply',
      '-f',
      manifest('bad-ap.yaml', 'apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\nmetadata: { name: permit, namespace: default }\nspec:\n  action: PERMIT\n'),
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('The AuthorizationPolicy "permit" is invalid: spec.action: Unsupported value: "PERMIT": supported values: "ALLOW", "DENY", "AUDIT", "CUSTOM"');
  });

  it('kubectl apply -f: a misspelled field is a strict decoding error (kubectl sends fieldValidation=Strict)', async () => {
    const r = await kubectl('apply', '-f', manifest('typo.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: typo, namespace: default }\ndatta: { a: b }\n'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "datta"');
  });

  it('kubectl patch: the patched object is judged', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: pod('patched', { name: 'c', image: 'nginx' }) });
    const r = await kubectl('patch', 'pod', 'patched', '--type=merge', '-p', '{"spec":{"restartPolicy":"Sometimes"}}');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('The Pod "patched" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"');
  });
});
