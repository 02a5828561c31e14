// A kubeconfig for the sandbox clusters (contexts sandbox-blue, sandbox-green and, when the
// sandbox has it, sandbox-third), written atomically so that a kubectl or client reading it never sees half a file.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface SandboxUrls {
  blue: string;
  green: string;
  third?: string;
}

export function kubeconfigYaml(urls: SandboxUrls, token = 'sandbox-token'): string {
  const names = (['blue', 'green', 'third'] as const).filter((n) => urls[n] !== undefined);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': 'sandbox-blue',
    // client-node refuses plain http unless TLS verification is declared off
    clusters: names.map((n) => ({ name: `sandbox-${n}`, cluster: { server: urls[n]!, 'insecure-skip-tls-verify': true } })),
    users: names.map((n) => ({ name: `sandbox-${n}`, user: { token } })),
    contexts: names.map((n) => ({ name: `sandbox-${n}`, context: { cluster: `sandbox-${n}`, user: `sandbox-${n}`, namespace: 'default' } })),
  };
  return stringify(doc);
}

export async function writeKubeconfig(path: string, urls: SandboxUrls, token?: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  // the token is a credential, even a sandbox one: owner-only permissions
  await writeFile(tmp, kubeconfigYaml(urls, token), { mode: 0o600 });
  await rename(tmp, path);
}
