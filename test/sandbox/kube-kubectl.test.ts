// The sandbox API server driven by the real kubectl (skipped when kubectl is not on PATH).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureCrd, startSandbox, type Sandbox } from './kube-helpers.js';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!hasKubectl) console.warn('kube-kubectl tests skipped: kubectl is not on PATH');

let sb: Sandbox;

// asynchronous on purpose: the API server runs in this process and must keep serving
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

describe.skipIf(!hasKubectl)('kubectl against the sandbox (skipped without kubectl)', () => {
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(async () => {
    await sb?.server.stop();
  });

  it('applies, gets, patches, annotates and deletes a deployment', async () => {
    const dir = dirname(sb.kubeconfig);
    const manifest = join(dir, 'web.yaml');
    const write = (image: string) =>
      writeFileSync(
        manifest,
        `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - { name: web, image: "${image}" }
`,
      );
    write('nginx:1');
    expect(await ok('apply', '-f', manifest)).toContain('deployment.apps/web created');
    expect(await ok('apply', '-f', manifest)).toContain('unchanged');
    write('nginx:2');
    expect(await ok('apply', '-f', manifest)).toContain('configured');
    expect(await ok('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:2');
    expect(await ok('get', 'deployments')).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n(web)\s+0\/1\s/);

    // kubectl patch defaults to a strategic merge patch: the container list merges by name
    await ok('patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"envoy"}]}}}}');
    expect(await ok('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[*].name}')).toBe('web side');
    await ok('annotate', 'deploy', 'web', 'example.com/owner=team-a');
    expect(await ok('get', 'deploy', 'web', '-o', 'jsonpath={.metadata.annotations.example\\.com/owner}')).toBe('team-a');

    expect(await ok('delete', 'deploy', 'web')).toContain('deleted');
    const gone = await kubectl('get', 'deploy', 'web');
    expect(gone.code).not.toBe(0);
    expect(gone.err).toContain('deployments.apps "web" not found');
  });

  it('applies a real CRD, then a custom resource; invalid ones are refused with the field', async () => {
    const crd = fixtureCrd('velero.io_backups.yaml');
    if (!crd) return console.warn('skipped: ../shared fixtures absent');
    const dir = dirname(sb.kubeconfig);
    const crdFile = join(dir, 'crd.json');
    writeFileSync(crdFile, JSON.stringify(crd));
    await ok('apply', '-f', crdFile);
    writeFileSync(join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: velero }\n');
    await ok('apply', '-f', join(dir, 'ns.yaml'));
    // kubectl asks for fieldValidation=Strict: a field the schema does not know is refused
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: { name: b0, namespace: velero }\nspec: { ttl: 1h, bogus: 1 }\n');
    const strict = await kubectl('apply', '-f', join(dir, 'bad.yaml'));
    expect(strict.code).not.toBe(0);
    expect(strict.err).toContain('strict decoding error: unknown field "spec.bogus"');
    expect((await kubectl('apply', '--validate=false', '-f', join(dir, 'bad.yaml'))).code).toBe(0); // pruned instead
    expect(await ok('get', 'backup', 'b0', '-n', 'velero', '-o', 'jsonpath={.spec}')).toBe('{"ttl":"1h"}');
    writeFileSync(join(dir, 'b.yaml'), 'apiVersion: velero.io/v1\nkind: Backup\nmetadata: { name: b1, namespace: velero }\nspec: { ttl: 720h0m0s }\n');
    expect(await ok('apply', '-f', join(dir, 'b.yaml'))).toContain('backup.velero.io/b1 created');
    expect(await ok('get', 'backups', '-n', 'velero', '-o', 'name')).toBe('backup.velero.io/b0\nbackup.velero.io/b1\n');
    const bad = await kubectl('patch', 'backup', 'b1', '-n', 'velero', '--type', 'merge', '-p', '{"spec":{"ttl":5}}');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('spec.ttl: Invalid value');
    await ok('patch', 'backup', 'b1', '-n', 'velero', '--type', 'merge', '-p', '{"spec":{"ttl":"1h0m0s"}}');
    expect(await ok('get', 'backup', 'b1', '-n', 'velero', '-o', 'jsonpath={.spec.ttl}')).toBe('1h0m0s');
  });

  it('get -w prints the existing object, then the change', async () => {
    sb.server.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: 'default' }, data: { v: '1' } });
    const child = spawn('kubectl', ['--kubeconfig', sb.kubeconfig, '--context', 'sandbox-blue', '--cache-dir', join(dirname(sb.kubeconfig), 'cache'), 'get', 'configmaps', '-w', '-o', 'jsonpath={.metadata.name}={.data.v}{"\\n"}'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const seen = (s: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for "${s}" in: ${out}`)), 10_000);
        const check = () => {
          if (out.includes(s)) {
            clearTimeout(timer);
            child.stdout.off('data', check);
            resolve();
          }
        };
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          check();
        });
        check();
      });
    try {
      await seen('watched=1');
      await ok('patch', 'configmap', 'watched', '--type', 'merge', '-p', '{"data":{"v":"2"}}');
      await seen('watched=2');
    } finally {
      child.kill();
    }
    // the initial state first, then the change (a re-established watch may repeat a line)
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 2), out).toEqual(['watched=1', 'watched=2']);
    expect(lines.every((l) => l === 'watched=1' || l === 'watched=2'), out).toBe(true);
  });
});
