// kubectl's everyday commands against the sandbox, as a new user rehearses with them (skipped
// when kubectl is not on PATH). kubectl sends built-in kinds as protobuf
// (application/vnd.kubernetes.protobuf, decoded with the official .proto files), asks for
// server-side tables, reviews its own access and reads the OpenAPI documents.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1DeploymentSpec, V1ServiceSpec } from '@kubernetes/client-node';
import { kubeflowCrds } from '../../src/sandbox/kube/crds/kubeflow.js';
import { servingCrds } from '../../src/sandbox/kube/crds/serving.js';
import { startSandbox, type Sandbox } from './kube-helpers.js';

/** the members of kube-apiserver's OpenAPI v2 document read here (https://kubernetes.io/docs/concepts/overview/kubernetes-api/) */
interface OpenApiV2 {
  swagger: string;
  paths: Record<string, unknown>;
  definitions: Record<string, { properties?: Record<string, unknown>; 'x-kubernetes-group-version-kind'?: unknown }>;
}

/** /openapi/v3: one entry per group-version, the URL of its document */
interface OpenApiV3Discovery {
  paths: Record<string, { serverRelativeURL: string }>;
}

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!hasKubectl) console.warn('kube-kubectl-everyday tests skipped: kubectl is not on PATH');

let sb: Sandbox;

function kubectl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', sb.kubeconfig, '--context', 'sandbox-blue', '--cache-dir', join(dirname(sb.kubeconfig), 'cache'), ...args], { encoding: 'utf8', timeout: 20_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, out, err });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.err}`);
  return r.out;
}

/** the creates the server answered with 201 */
const created = () => sb.traffic.log.count((e) => e.operation === 'create' && e.status === 201);

describe.skipIf(!hasKubectl)('kubectl everyday commands (skipped without kubectl)', () => {
  beforeAll(async () => {
    sb = await startSandbox();
    for (const crd of [...kubeflowCrds(), ...servingCrds()]) sb.server.store.create(crd);
  });
  afterAll(async () => {
    await sb?.server.stop();
  });

  it('kubectl create namespace / secret generic / configmap: protobuf bodies decoded into the objects', async () => {
    const before = created();
    // -v=8 shows the request headers: the body really is protobuf
    const ns1 = await kubectl('create', 'namespace', 'rehearsal', '-v=8');
    expect(ns1.out).toContain('namespace/rehearsal created');
    expect(ns1.err).toMatch(/Content-Type: application\/vnd\.kubernetes\.protobuf/);
    expect(await ok('create', 'secret', 'generic', 's', '-n', 'rehearsal', '--from-literal=a=b')).toContain('secret/s created');
    expect(await ok('create', 'configmap', 'c', '-n', 'rehearsal', '--from-literal=a=b', '--from-literal=n=1')).toContain('configmap/c created');
    expect(created() - before).toBe(3);
    const ns = sb.server.store.get('v1', 'Namespace', 'rehearsal');
    expect(ns?.status).toEqual({ phase: 'Active' });
    // a Secret's bytes arrive raw in protobuf and are base64 in JSON
    expect(await ok('get', 'secret', 's', '-n', 'rehearsal', '-o', 'jsonpath={.data.a}')).toBe(Buffer.from('b').toString('base64'));
    expect(sb.server.store.get('v1', 'Secret', 's', 'rehearsal')).toMatchObject({ type: 'Opaque', data: { a: 'Yg==' } });
    expect(sb.server.store.get('v1', 'ConfigMap', 'c', 'rehearsal')?.data).toEqual({ a: 'b', n: '1' });
  });

  it('kubectl create deployment / service (apps/v1 and IntOrString in protobuf) and kubectl scale (the /scale subresource)', async () => {
    expect(await ok('create', 'deployment', 'api', '-n', 'rehearsal', '--image=nginx', '--replicas=0', '--port=8080')).toContain('deployment.apps/api created');
    const d = sb.server.store.get('apps/v1', 'Deployment', 'api', 'rehearsal')!;
    // an explicit 0 is kept; a zero time (the template's creationTimestamp) is null, as Go writes it
    expect(d.spec).toMatchObject({ replicas: 0, selector: { matchLabels: { app: 'api' } }, template: { metadata: { creationTimestamp: null, labels: { app: 'api' } } } });
    expect((d.spec as V1DeploymentSpec).template.spec?.containers[0]).toMatchObject({ name: 'nginx', image: 'nginx', ports: [{ containerPort: 8080 }] });
    expect(await ok('create', 'service', 'clusterip', 'api', '-n', 'rehearsal', '--tcp=80:http')).toContain('service/api created');
    expect((sb.server.store.get('v1', 'Service', 'api', 'rehearsal')!.spec as V1ServiceSpec).ports?.[0]).toMatchObject({ port: 80, targetPort: 'http', protocol: 'TCP' });
    expect(await ok('scale', 'deployment', 'api', '-n', 'rehearsal', '--replicas=3')).toContain('deployment.apps/api scaled');
    expect(await ok('get', 'deployment', 'api', '-n', 'rehearsal', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
    const bad = await kubectl('patch', 'deployment', 'api', '-n', 'rehearsal', '--subresource=scale', '--type=merge', '-p', '{"spec":{"replicas":-1}}');
    expect(bad.err).toContain('The Scale "api" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });

  it('kubectl auth can-i: a SelfSubjectAccessReview, always allowed (the sandbox has no RBAC)', async () => {
    expect((await ok('auth', 'can-i', 'get', 'pods')).trim()).toBe('yes');
    expect((await ok('auth', 'can-i', 'delete', 'namespaces', '--all-namespaces')).trim()).toBe('yes');
  });

  it('kubectl get pods shows the server-side columns READY, STATUS, RESTARTS, AGE (and the wide ones)', async () => {
    await ok('run', 'web', '-n', 'rehearsal', '--image=nginx');
    const out = await ok('get', 'pods', '-n', 'rehearsal');
    expect(out).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(out).toMatch(/\nweb\s+0\/1\s+Pending\s+0\s+\d+s\n/);
    expect(await ok('get', 'pods', '-n', 'rehearsal', '-o', 'wide')).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/);
    expect(await ok('get', 'pod', 'web', '-n', 'rehearsal', '--show-labels')).toMatch(/LABELS\nweb\s.*run=web/);
    expect(await ok('get', 'configmaps', '-n', 'rehearsal')).toMatch(/^NAME\s+DATA\s+AGE\n(?:.*\n)*c\s+2\s+\d+s/);
    expect(await ok('get', 'secrets', '-n', 'rehearsal')).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\ns\s+Opaque\s+1\s/);
    expect(await ok('get', 'namespace', 'rehearsal')).toMatch(/^NAME\s+STATUS\s+AGE\nrehearsal\s+Active\s/);
  });

  it('kubectl get -w prints each change as a row of the same table', async () => {
    const child = spawn('kubectl', ['--kubeconfig', sb.kubeconfig, '--context', 'sandbox-blue', '--cache-dir', join(dirname(sb.kubeconfig), 'cache'), 'get', 'pods', '-n', 'rehearsal', '-w']);
    let out = '';
    const rows = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => out.split('\n').filter((l) => l.startsWith('web ')).length >= n && resolve();
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          check();
        });
        check();
      });
    try {
      await rows(1);
      await ok('label', 'pod', 'web', '-n', 'rehearsal', 'watched=yes');
      await rows(2);
    } finally {
      child.kill();
    }
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).every((l) => /^web\s+0\/1\s+Pending\s+0\s+\d+s$/.test(l))).toBe(true);
  });

  it("kubectl get of a custom resource shows its CRD's additionalPrinterColumns", async () => {
    sb.server.store.create({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'sk', namespace: 'rehearsal' },
      spec: { predictor: { sklearn: { storageUri: 's3://m' } } },
    });
    const isvc = sb.server.store.get('serving.kserve.io/v1beta1', 'InferenceService', 'sk', 'rehearsal')!;
    sb.server.store.update({ ...isvc, status: { url: 'http://sk.rehearsal.example.com', conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(await ok('get', 'inferenceservices', '-n', 'rehearsal')).toMatch(/^NAME\s+URL\s+READY\nsk\s+http:\/\/sk\.rehearsal\.example\.com\s+True\n/);
    // a CRD without printer columns: NAME and AGE
    await ok('create', 'namespace', 'empty');
    expect((await kubectl('get', 'authorizationpolicies', '-n', 'empty')).err).toContain('No resources found in empty namespace.');
    sb.server.store.create({ apiVersion: 'security.istio.io/v1beta1', kind: 'AuthorizationPolicy', metadata: { name: 'allow', namespace: 'rehearsal' }, spec: { action: 'ALLOW' } });
    expect(await ok('get', 'authorizationpolicies', '-n', 'rehearsal')).toMatch(/^NAME\s+AGE\nallow\s+\d+s\n/);
  });

  it('kubectl get --raw /openapi/v2 and /openapi/v3 answer', async () => {
    const v2 = JSON.parse(await ok('get', '--raw', '/openapi/v2')) as OpenApiV2;
    expect(v2.swagger).toBe('2.0');
    expect(v2.paths['/api/v1/namespaces/{namespace}/pods']).toBeDefined();
    expect(v2.definitions['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
    expect(v2.definitions['io.kserve.serving.v1beta1.InferenceService'].properties?.spec).toBeDefined();
    const v3 = JSON.parse(await ok('get', '--raw', '/openapi/v3')) as OpenApiV3Discovery;
    expect(v3.paths['api/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=/);
    const core = JSON.parse(await ok('get', '--raw', v3.paths['api/v1'].serverRelativeURL)) as { openapi: string };
    expect(core.openapi).toBe('3.0.0');
  });
});
