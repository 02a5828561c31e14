// The assembled sandbox: started the standard way, reached by the real SDK and client-node, with
// the Velero round trip between the clusters working through plain API calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { EKSClient, DescribeClusterCommand } from '@aws-sdk/client-eks';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { Targets } from '../../src/runner/types.js';
import { startSandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let restoreEnv: () => void;

beforeAll(async () => {
  const t0 = Date.now();
  sb = await startSandbox({ profiles: 3, timing: { veleroPhaseMs: 50, veleroSyncMs: 50 } });
  restoreEnv = sb.applyEnv();
  // the issue asks for under a second at the default size; recorded here, measured in bench/
  expect(Date.now() - t0).toBeLessThan(10_000);
});

afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

const client = (context: string) => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(sb.kubeconfigPath);
  kc.setCurrentContext(context);
  return kc;
};

describe('startSandbox', () => {
  it('writes a kubeconfig, an env file and a kfup environment file', () => {
    expect(existsSync(sb.kubeconfigPath)).toBe(true);
    expect(readFileSync(sb.envFile, 'utf8')).toMatch(/^export AWS_ENDPOINT_URL="http:\/\/127\.0\.0\.1:\d+"$/m);
    // an environment file as kfup reads it (src/runner/load/vars.ts)
    const env = parse(readFileSync(sb.environmentFile, 'utf8')) as { targets: Targets; vars: Record<string, unknown> };
    expect(env.targets.clusters?.green).toEqual({ kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' });
    expect(env.vars.blue_cluster_name).toBe('kubeflow-blue');
  });

  it('answers the AWS SDK through AWS_ENDPOINT_URL with no other configuration', async () => {
    const eks = new EKSClient({});
    const out = await eks.send(new DescribeClusterCommand({ name: 'kubeflow-green' }));
    expect(out.cluster?.identity?.oidc?.issuer).toMatch(/^https:\/\/oidc\.eks\.us-west-2\.amazonaws\.com\/id\/G/);
    expect(sb.requestLog.entries.some((e) => e.target === 'aws' && e.service === 'eks' && e.operation === 'DescribeCluster')).toBe(true);
  });

  it('carries user data from blue to green with a Velero backup and restore', async () => {
    const blue = client('sandbox-blue').makeApiClient(k8s.CustomObjectsApi);
    const green = client('sandbox-green').makeApiClient(k8s.CustomObjectsApi);
    const greenCore = client('sandbox-green').makeApiClient(k8s.CoreV1Api);
    const namespaces = sb.scenario.profiles.map((p) => p.namespace);
    await blue.createNamespacedCustomObject({
      group: 'velero.io', version: 'v1', namespace: 'velero', plural: 'backups',
      body: { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'rt', namespace: 'velero' }, spec: { includedNamespaces: namespaces, includeClusterResources: true, storageLocation: 'default' } },
    });
    const waitFor = async (fn: () => Promise<boolean>) => {
      for (let i = 0; i < 200; i++) {
        if (await fn()) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('timed out');
    };
    await waitFor(async () => ((await blue.getNamespacedCustomObject({ group: 'velero.io', version: 'v1', namespace: 'velero', plural: 'backups', name: 'rt' })) as { status?: { phase?: string } }).status?.phase === 'Completed');
    await waitFor(async () => green.getNamespacedCustomObject({ group: 'velero.io', version: 'v1', namespace: 'velero', plural: 'backups', name: 'rt' }).then(() => true, () => false));
    await green.createNamespacedCustomObject({
      group: 'velero.io', version: 'v1', namespace: 'velero', plural: 'restores',
      body: { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'rt', namespace: 'velero' }, spec: { backupName: 'rt', includedNamespaces: namespaces, includeClusterResources: true } },
    });
    await waitFor(async () => ((await green.getNamespacedCustomObject({ group: 'velero.io', version: 'v1', namespace: 'velero', plural: 'restores', name: 'rt' })) as { status?: { phase?: string } }).status?.phase === 'Completed');
    const pvcs = await greenCore.listNamespacedPersistentVolumeClaim({ namespace: namespaces[0] });
    expect(pvcs.items.length).toBeGreaterThan(0);
    const notebooks = (await green.listNamespacedCustomObject({ group: 'kubeflow.org', version: 'v1', namespace: namespaces[0], plural: 'notebooks' })) as { items: unknown[] };
    expect(notebooks.items).toHaveLength(2);
    const profiles = (await green.listClusterCustomObject({ group: 'kubeflow.org', version: 'v1', plural: 'profiles' })) as { items: unknown[] };
    expect(profiles.items).toHaveLength(3);
  });
});
