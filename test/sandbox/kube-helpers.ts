// Shared by the kube-*.test.ts files: a started sandbox API server and a client-node
// KubeConfig pointing at it through a kubeconfig file written by writeKubeconfig.
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { KubeApiServer } from '../../src/sandbox/kube/server.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import { writeKubeconfig } from '../../src/sandbox/kube/kubeconfig.js';
import { Traffic } from '../../src/sandbox/traffic.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';

export interface Sandbox {
  server: KubeApiServer;
  traffic: Traffic;
  kubeconfig: string;
  kc: KubeConfig;
}

/** historySize: how many change events the cluster keeps (older watches and continue tokens get 410) */
export async function startSandbox(opts: { historySize?: number } = {}): Promise<Sandbox> {
  const traffic = new Traffic();
  const server = new KubeApiServer({ name: 'blue', traffic, store: new MemoryStore({ historySize: opts.historySize }) });
  const url = await server.start();
  const dir = mkdtempSync(join(tmpdir(), 'kfup-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { blue: url, green: url });
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  kc.setCurrentContext('sandbox-blue');
  server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return { server, traffic, kubeconfig, kc };
}

export const CRD_DIR = '/work/shared/fixtures/crds';
const sharedCrds = join(import.meta.dirname, '../../../shared/fixtures/crds');

/** a CRD from the shared fixtures, or undefined when ../shared is absent */
export function fixtureCrd(file: string): KubeObject | undefined {
  for (const dir of [sharedCrds, CRD_DIR]) {
    const p = join(dir, file);
    if (existsSync(p)) return parse(readFileSync(p, 'utf8')) as KubeObject;
  }
  return undefined;
}

/** the status code of a rejected client-node call */
export async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: number }).code;
  }
}
