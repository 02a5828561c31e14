// kfup on real clusters (issue 13, "The upgrade as the real deployment runs it", point 8):
// - KUBECONFIG with several files is merged as kubectl merges it
//   (https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/#merging-kubeconfig-files):
//   missing files skipped, the first file to define a name wins, the first current-context wins,
//   relative paths relative to their own file; compared with `kubectl config view` when present;
// - inside a Pod, the in-cluster configuration (client-go rest.InClusterConfig);
// - an API server URL with a path prefix (a proxy in front of the cluster) keeps its prefix;
// - a watch answered 401 or 403 fails at once with the reason;
// - the client-side request rate (client-go's token bucket: burst, then qps).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kubeRequest } from '../../src/modules/kit/kube/raw.js';
import { watchUntil } from '../../src/modules/kit/kube/watch.js';
import { RateLimiter } from '../../src/runner/engine/kube-rate.js';
import { kubeconfigSource, loadKubeconfig } from '../../src/runner/engine/kubeconfig.js';
import type { KubeClients } from '../../src/runner/types.js';
import { startSandbox, type Sandbox } from '../sandbox/kube-helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'kfup-kc-'));
function kubeconfigFile(dir: string, doc: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'config');
  writeFileSync(file, stringify({ apiVersion: 'v1', kind: 'Config', ...doc }), { mode: 0o600 });
  return file;
}

describe('KUBECONFIG with several files, merged as kubectl merges them', () => {
  const a = kubeconfigFile(join(tmp(), 'a'), {
    'current-context': 'ctx-a',
    clusters: [{ name: 'shared', cluster: { server: 'https://first.example.com' } }],
    users: [{ name: 'u', user: { token: 'first' } }],
    contexts: [{ name: 'ctx-a', context: { cluster: 'shared', user: 'u' } }],
  });
  const bDir = join(tmp(), 'b');
  const b = kubeconfigFile(bDir, {
    'current-context': 'ctx-b',
    clusters: [
      { name: 'shared', cluster: { server: 'https://second.example.com' } },
      { name: 'only-b', cluster: { server: 'https://b.example.com', 'certificate-authority': 'ca.crt' } },
    ],
    users: [{ name: 'u', user: { token: 'second' } }],
    contexts: [{ name: 'ctx-b', context: { cluster: 'only-b', user: 'u' } }],
  });
  const env = { KUBECONFIG: ['/nonexistent/kubeconfig', a, '', b].join(delimiter), HOME: tmp() };

  it('skips missing files; the first definition of a name and the first current-context win; paths are relative to their file', () => {
    const source = kubeconfigSource(undefined, '/', env);
    expect(source).toMatchObject({ files: [a, b] });
    const kc = new KubeConfig();
    loadKubeconfig(kc, source, () => new KubeConfig());
    expect(kc.getCurrentContext()).toBe('ctx-a');
    expect(kc.getCluster('shared')?.server).toBe('https://first.example.com');
    expect(kc.getUser('u')?.token).toBe('first');
    expect(kc.getCluster('only-b')?.caFile).toBe(join(bDir, 'ca.crt'));
    expect(kc.getContexts().map((c) => c.name)).toEqual(['ctx-a', 'ctx-b']);
  });

  it('agrees with kubectl config view (skipped without kubectl)', (ctx) => {
    if (spawnSync('kubectl', ['version', '--client']).status !== 0) ctx.skip();
    const view = JSON.parse(execFileSync('kubectl', ['config', 'view', '-o', 'json'], { env: { ...process.env, ...env }, encoding: 'utf8' })) as {
      'current-context': string;
      clusters: { name: string; cluster: { server: string } }[];
    };
    const kc = new KubeConfig();
    loadKubeconfig(kc, kubeconfigSource(undefined, '/', env), () => new KubeConfig());
    expect(kc.getCurrentContext()).toBe(view['current-context']);
    expect(Object.fromEntries(kc.getClusters().map((c) => [c.name, c.server]))).toEqual(Object.fromEntries(view.clusters.map((c) => [c.name, c.cluster.server])));
  });
});

describe('in-cluster configuration (client-go rest.InClusterConfig)', () => {
  it('is chosen inside a Pod without a kubeconfig, or when a cluster says kubeconfig: in-cluster', () => {
    const token = join(tmp(), 'token');
    writeFileSync(token, 'sa-token');
    expect(kubeconfigSource(undefined, '/', { HOME: tmp(), KUBERNETES_SERVICE_HOST: '10.100.0.1', KUBERNETES_SERVICE_PORT: '443' }, token)).toMatchObject({ inCluster: true });
    expect(kubeconfigSource('in-cluster', '/', {})).toMatchObject({ inCluster: true });
    // outside a Pod: ~/.kube/config, as kubectl
    expect(kubeconfigSource(undefined, '/', { HOME: '/home/me' }, token)).toMatchObject({ files: ['/home/me/.kube/config'] });
  });

  it('points at the service from the Pod environment, with the mounted token', () => {
    const saved = { ...process.env };
    Object.assign(process.env, { KUBERNETES_SERVICE_HOST: '10.100.0.1', KUBERNETES_SERVICE_PORT: '443' });
    try {
      const kc = new KubeConfig();
      loadKubeconfig(kc, { inCluster: true, label: 'in-cluster' }, () => new KubeConfig());
      expect(kc.getCurrentCluster()?.server).toBe('https://10.100.0.1:443');
      expect(kc.getCurrentCluster()?.caFile).toBe('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
    } finally {
      process.env = saved;
    }
  });
});

describe('an API server behind a path prefix, and watches refused', () => {
  let sb: Sandbox;
  let proxy: Server;
  let kube: KubeClients;
  let refuse: number | undefined;
  let watches = 0;

  beforeAll(async () => {
    sb = await startSandbox();
    const upstream = new URL(sb.kc.getCurrentCluster()!.server);
    // a reverse proxy serving the cluster under /k8s/clusters/c-1 (as Rancher does)
    proxy = createServer((req, res) => {
      const url = req.url ?? '';
      if (!url.startsWith('/k8s/clusters/c-1/')) {
        res.writeHead(404).end('no such path');
        return;
      }
      if (/[?&]watch=true/.test(url)) {
        watches++;
        if (refuse) {
          res.writeHead(refuse, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: refuse, reason: refuse === 403 ? 'Forbidden' : 'Unauthorized', message: 'configmaps is forbidden' }));
          return;
        }
      }
      const up = request({ host: upstream.hostname, port: upstream.port, path: url.slice('/k8s/clusters/c-1'.length), method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    const dir = tmp();
    const file = kubeconfigFile(dir, {
      'current-context': 'prefixed',
      clusters: [{ name: 'prefixed', cluster: { server: `http://127.0.0.1:${port}/k8s/clusters/c-1`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'sandbox-token' } }],
      contexts: [{ name: 'prefixed', context: { cluster: 'prefixed', user: 'u' } }],
    });
    const kc = new KubeConfig();
    loadKubeconfig(kc, kubeconfigSource(file, '/'), () => new KubeConfig());
    kube = { config: kc, watch: new Watch(kc), context: 'prefixed' } as unknown as KubeClients;
    sb.server.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flag', namespace: 'default' }, data: { done: 'yes' } });
  });
  afterAll(async () => {
    await new Promise((r) => proxy?.close(r));
    await sb?.server.stop();
  });

  const waitFlag = () =>
    watchUntil<{ metadata?: { resourceVersion?: string }; data?: Record<string, string> }, { data?: Record<string, string> }>({
      watch: kube.watch,
      path: '/api/v1/namespaces/default/configmaps',
      name: 'flag',
      // the object as the watch would first see it: not there yet, so the watch is needed
      get: () => Promise.resolve(undefined),
      decide: (cm) => (cm?.data?.done === 'yes' ? cm : undefined),
      signal: new AbortController().signal,
      timeoutMs: 5000,
    });

  it('raw requests and watches keep the prefix', async () => {
    const ns = await kubeRequest<{ metadata: { name: string } }>(kube, 'GET', '/api/v1/namespaces/default');
    expect(ns.metadata.name).toBe('default');
    expect((await waitFlag()).data).toEqual({ done: 'yes' });
  });

  for (const code of [403, 401]) {
    it(`a watch answered ${code} fails at once, with the reason, after one attempt`, async () => {
      refuse = code;
      watches = 0;
      try {
        const err = await waitFlag().then(
          () => undefined,
          (e: unknown) => e as { code?: string; message?: string },
        );
        expect(err?.code).toBe(code === 403 ? 'forbidden' : 'unauthorized');
        expect(err?.message).toContain(`(${code}`);
        expect(watches).toBe(1);
      } finally {
        refuse = undefined;
      }
    });
  }
});

describe('the client-side request rate (client-go flowcontrol token bucket)', () => {
  it('lets a burst through at once, then one request per 1/qps', () => {
    const rl = new RateLimiter(10, 3, 0);
    expect([rl.reserve(0), rl.reserve(0), rl.reserve(0)]).toEqual([0, 0, 0]);
    expect(rl.reserve(0)).toBe(100);
    expect(rl.reserve(0)).toBe(200);
    // a second later the bucket holds what it gained, minus what was reserved
    expect(rl.reserve(1000)).toBe(0);
    expect(new RateLimiter(0, 1, 0).reserve(0)).toBe(0);
  });
});
