// Where a cluster's kubeconfig comes from, as kubectl finds it, and merging several files the way
// kubectl merges them (https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/#merging-kubeconfig-files,
// client-go tools/clientcmd/loader.go):
// - targets.clusters.<name>.kubeconfig: that one file (as --kubeconfig); "in-cluster" for the
//   service account of the Pod kfup runs in;
// - else $KUBECONFIG: a list of files separated by ":" (";" on Windows), empty entries and files
//   that do not exist skipped; the FIRST file to define a cluster, user or context name wins
//   (later ones with that name are ignored, never an error) and the first current-context set
//   wins; relative paths in each file are relative to that file;
// - else ~/.kube/config;
// - else, inside a Pod (KUBERNETES_SERVICE_HOST set and a service account token mounted), the
//   in-cluster configuration, as client-go's rest.InClusterConfig.
// client-node's own loadFromDefault differs: it throws on a name defined twice and lets the LAST
// file's current-context win.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';

export const IN_CLUSTER = 'in-cluster';
const TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type KubeconfigSource = { files: string[]; label: string } | { inCluster: true; label: string };

/** where the kubeconfig for a cluster target comes from; `env` and `tokenFile` are for tests */
export function kubeconfigSource(
  explicit: string | undefined,
  playbookDir: string,
  env: NodeJS.ProcessEnv = process.env,
  tokenFile = TOKEN_FILE,
): KubeconfigSource {
  if (explicit === IN_CLUSTER) return { inCluster: true, label: 'the in-cluster service account' };
  if (explicit) {
    const p = explicit.replace(/^~(?=$|\/)/, homedir());
    const file = isAbsolute(p) ? p : resolve(playbookDir, p);
    return { files: [file], label: file };
  }
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (list.length) {
    const present = list.filter((f) => existsSync(f));
    // none there: name the first, so the error says which file was looked for
    return { files: present.length ? present : [list[0]], label: `KUBECONFIG (${list.join(delimiter)})` };
  }
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (!existsSync(home) && env.KUBERNETES_SERVICE_HOST && existsSync(tokenFile)) return { inCluster: true, label: 'the in-cluster service account' };
  return { files: [home], label: home };
}

/** loads the source into `kc`; `make` makes an empty KubeConfig of the same library */
export function loadKubeconfig(kc: KubeConfig, source: KubeconfigSource, make: () => KubeConfig): void {
  if ('inCluster' in source) {
    kc.loadFromCluster();
    return;
  }
  const [first, ...rest] = source.files;
  if (!rest.length) {
    kc.loadFromFile(first);
    return;
  }
  const merged = make();
  merged.loadFromFile(first);
  const clusters = [...merged.clusters];
  const users = [...merged.users];
  const contexts = [...merged.contexts];
  let current = merged.currentContext;
  for (const file of rest) {
    const one = make();
    one.loadFromFile(file);
    for (const c of one.clusters) if (!clusters.some((x) => x.name === c.name)) clusters.push(c);
    for (const u of one.users) if (!users.some((x) => x.name === u.name)) users.push(u);
    for (const c of one.contexts) if (!contexts.some((x) => x.name === c.name)) contexts.push(c);
    if (!current && one.currentContext) current = one.currentContext;
  }
  kc.loadFromOptions({ clusters, users, contexts, currentContext: current });
}
