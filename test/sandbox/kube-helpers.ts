// Shared by the kube-*.test.ts files: a started sandbox API server and a client-node
// KubeConfig pointing at it through a kubeconfig file written by writeKubeconfig.
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, KubeConfig, loadYaml, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { KubeApiServer } from '../../src/sandbox/kube/server.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import { writeKubeconfig } from '../../src/sandbox/kube/kubeconfig.js';
import { Traffic } from '../../src/sandbox/traffic.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import type { Status } from '../../src/sandbox/kube/status.js';

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

const fixturePath = (file: string): string | undefined => [sharedCrds, CRD_DIR].map((dir) => join(dir, file)).find((p) => existsSync(p));

/** a CRD from the shared fixtures, or undefined when ../shared is absent */
export function fixtureCrd(file: string): KubeObject | undefined {
  const p = fixturePath(file);
  return p ? (parse(readFileSync(p, 'utf8')) as KubeObject) : undefined;
}

/**
 * The same CRD read as client-node's users read a manifest for KubernetesObjectApi (its loadYaml,
 * into its own models: the sandbox's KubeObject keeps timestamps as the wire's text, client-node
 * as Date), or undefined when ../shared is absent.
 */
export function fixtureCrdForClient(file: string): KubernetesObject | undefined {
  const p = fixturePath(file);
  return p ? loadYaml<KubernetesObject>(readFileSync(p, 'utf8')) : undefined;
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

/** the Status (meta/v1) in a refused client-node call's body: the sandbox's server answers every error with one */
export const statusBody = (e: ApiException<unknown>): Status => JSON.parse(String(e.body)) as Status;

/** the Status a client-node call was refused with; a call that was accepted fails the test */
export async function refusalStatus(p: Promise<unknown>): Promise<Status> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) return statusBody(e);
    throw e;
  }
  throw new Error('the call was accepted');
}
