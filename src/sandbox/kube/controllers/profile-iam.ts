// The AWS IAM plugin of Kubeflow's profile controller, emulated on one sandbox cluster, acting
// on the sandbox's emulated IAM. Modelled on kubeflow/kubeflow
// components/profile-controller/controllers/plugin_iam.go and profile_controller.go (last in
// that repository at 573036bbb, before the profile controller moved out):
//
//  - Every reconcile of a Profile whose spec.plugins has an AwsIamForServiceAccount entry
//    (ApplyPlugin) puts `eks.amazonaws.com/role-arn: <awsIamRole>` on the profile namespace's
//    default-editor service account, then, unless the plugin says annotateOnly, reads the role's
//    trust policy and looks at its FIRST statement only: when that statement's
//    StringEquals["<issuer>:sub"] (issuer taken from its Principal.Federated) already names
//    system:serviceaccount:<profile>:default-editor, nothing is written. Otherwise the whole
//    trust policy is replaced by ONE statement: the first statement's federated principal,
//    StringEquals aud = sts.amazonaws.com and sub = the subjects the first statement had plus
//    default-editor. Every other statement (another cluster's OIDC provider among them) is gone.
//  - Deleting such a Profile (it carries "profile-finalizer") runs ApplyPlugin once more and then
//    RevokePlugin: the annotation is removed, and the trust policy is again rebuilt from the first
//    statement alone, with default-editor taken out of its subjects (and no sub condition at all
//    when none is left). Then the finalizer goes.
//
// The profile controller also creates the namespace, service accounts and role bindings; the
// sandbox leaves that to seed data and Velero restores, and waits for default-editor to exist
// (the real reconcile fails and is retried until it does).
import type { KubeObject, ObjectStore } from '../store-api.js';
import { modify, refOf, Timers } from './util.js';
import { safeList } from './resource-kinds.js';

/** what the plugin needs of IAM: GetRole's trust policy and UpdateAssumeRolePolicy */
export interface IamTrustBackend {
  /** the role's trust policy document (decoded JSON text); throws when the role does not exist */
  getTrustPolicy(roleName: string): string;
  /** UpdateAssumeRolePolicy; throws what IAM would refuse */
  updateTrustPolicy(roleName: string, document: string): void;
}

export interface ProfileIamControllerOptions {
  store: ObjectStore;
  iam: IamTrustBackend;
  /** first delay before a failed reconcile is tried again; it doubles up to 5 s (default 100 ms) */
  retryMs?: number;
  /** every failed reconcile, as the controller would log it */
  onError?: (profile: string, message: string) => void;
}

const PROFILE_API = 'kubeflow.org/v1';
export const PROFILE_FINALIZER = 'profile-finalizer';
export const PLUGIN_KIND = 'AwsIamForServiceAccount';
export const ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';
const SERVICE_ACCOUNT = 'default-editor';
const AUDIENCE = 'sts.amazonaws.com';

interface PluginSpec {
  awsIamRole?: string;
  annotateOnly?: boolean;
}

type Doc = { Statement?: unknown } & Record<string, unknown>;

/** arn:aws:iam::<account>:oidc-provider/<issuer> -> <issuer>; everything after the first "/" */
const issuerOf = (providerArn: string): string => providerArn.slice(providerArn.indexOf('/') + 1);
/** the role name is what follows the ARN's last "/" */
const roleNameOf = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);
const subject = (ns: string, sa: string) => `system:serviceaccount:${ns}:${sa}`;

/** gjson's view of a condition value: a list stays a list, a single string is a list of one */
function asList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  return v === undefined || v === null ? [] : [typeof v === 'string' ? v : JSON.stringify(v)];
}

function firstStatement(policy: string): { federated: string; subjects: string[] } {
  const doc = JSON.parse(policy) as Doc;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  const first = (statements[0] ?? {}) as { Principal?: { Federated?: unknown }; Condition?: { StringEquals?: Record<string, unknown> } };
  const federated = typeof first.Principal?.Federated === 'string' ? first.Principal.Federated : '';
  return { federated, subjects: asList(first.Condition?.StringEquals?.[`${issuerOf(federated)}:sub`]) };
}

/** the one-statement document both plugin functions write (MakePolicyDocument of MakeAssumeRoleWithWebIdentityPolicyDocument) */
function oneStatement(federated: string, subjects: string[]): string {
  const issuer = issuerOf(federated);
  const stringEquals: Record<string, string[]> = { [`${issuer}:aud`]: [AUDIENCE] };
  if (subjects.length) stringEquals[`${issuer}:sub`] = subjects;
  // Go's encoding/json writes map keys sorted
  return JSON.stringify({
    Statement: [{ Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: stringEquals }, Effect: 'Allow', Principal: { Federated: federated } }],
    Version: '2012-10-17',
  });
}

/** addServiceAccountInAssumeRolePolicy; undefined when the subject is already there (ConditionExistError: no write) */
export function withServiceAccount(policy: string, namespace: string, serviceAccount = SERVICE_ACCOUNT): string | undefined {
  const { federated, subjects } = firstStatement(policy);
  const me = subject(namespace, serviceAccount);
  if (subjects.includes(me)) return undefined;
  return oneStatement(federated, [...subjects, me]);
}

/** removeServiceAccountInAssumeRolePolicy: always rewrites */
export function withoutServiceAccount(policy: string, namespace: string, serviceAccount = SERVICE_ACCOUNT): string {
  const { federated, subjects } = firstStatement(policy);
  const me = subject(namespace, serviceAccount);
  return oneStatement(federated, subjects.filter((s) => s !== me));
}

export function startProfileIamController(opts: ProfileIamControllerOptions): () => void {
  const { store, iam } = opts;
  const retryMs = opts.retryMs ?? 100;
  const timers = new Timers();
  const pending = new Set<string>();
  const backoff = new Map<string, number>();

  const pluginsOf = (p: KubeObject): PluginSpec[] =>
    (((p.spec as { plugins?: { kind?: string; spec?: PluginSpec }[] } | undefined)?.plugins ?? []) as { kind?: string; spec?: PluginSpec }[])
      .filter((x) => x.kind === PLUGIN_KIND)
      .map((x) => x.spec ?? {});

  /** patchAnnotation: Get the service account (an error when it is missing), set or drop the annotation */
  function annotate(namespace: string, roleArn: string | undefined, add: boolean): void {
    const sa = store.get('v1', 'ServiceAccount', SERVICE_ACCOUNT, namespace);
    if (!sa) throw new Error(`serviceaccounts "${SERVICE_ACCOUNT}" not found`);
    if (!roleArn) throw new Error('failed to setup service account because awsIamRole is empty');
    modify(store, refOf(sa), (cur) => {
      const has = cur.metadata.annotations?.[ROLE_ANNOTATION];
      if (add ? has === roleArn : has === undefined) return false;
      const annotations = { ...cur.metadata.annotations };
      if (add) annotations[ROLE_ANNOTATION] = roleArn;
      else delete annotations[ROLE_ANNOTATION];
      cur.metadata.annotations = annotations;
    });
  }

  function apply(profile: string, plugin: PluginSpec): void {
    annotate(profile, plugin.awsIamRole, true);
    if (plugin.annotateOnly) return;
    const role = roleNameOf(plugin.awsIamRole!);
    const next = withServiceAccount(iam.getTrustPolicy(role), profile);
    if (next !== undefined) iam.updateTrustPolicy(role, next);
  }

  function revoke(profile: string, plugin: PluginSpec): void {
    annotate(profile, plugin.awsIamRole, false);
    if (plugin.annotateOnly) return;
    const role = roleNameOf(plugin.awsIamRole!);
    iam.updateTrustPolicy(role, withoutServiceAccount(iam.getTrustPolicy(role), profile));
  }

  function reconcile(name: string): void {
    const p = store.get(PROFILE_API, 'Profile', name);
    if (!p) return;
    const plugins = pluginsOf(p);
    try {
      // ApplyPlugin runs on every reconcile, also of a Profile being deleted (profile_controller.go)
      for (const plugin of plugins) apply(name, plugin);
      if (!p.metadata.deletionTimestamp) {
        modify(store, refOf(p), (cur) => {
          if (cur.metadata.finalizers?.includes(PROFILE_FINALIZER)) return false;
          cur.metadata.finalizers = [...(cur.metadata.finalizers ?? []), PROFILE_FINALIZER];
        });
      } else if (p.metadata.finalizers?.includes(PROFILE_FINALIZER)) {
        for (const plugin of plugins) revoke(name, plugin);
        modify(store, refOf(p), (cur) => {
          cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== PROFILE_FINALIZER);
        });
      }
      backoff.delete(name);
    } catch (e) {
      opts.onError?.(name, e instanceof Error ? e.message : String(e));
      // the reconcile returns the error and controller-runtime requeues it with backoff
      const delay = backoff.get(name) ?? retryMs;
      backoff.set(name, Math.min(delay * 2, 5000));
      timers.after(delay, () => schedule(name));
    }
  }

  const schedule = (name: string) => {
    if (pending.has(name) || timers.stopped) return;
    pending.add(name);
    timers.after(0, () => {
      pending.delete(name);
      reconcile(name);
    });
  };

  const unwatch = store.watch(
    (type, o) => {
      if (timers.stopped) return;
      if (o.kind === 'Profile' && o.apiVersion === PROFILE_API) {
        if (type !== 'DELETED') schedule(o.metadata.name);
      } else if (o.kind === 'ServiceAccount' && o.metadata.name === SERVICE_ACCOUNT && o.metadata.namespace && type === 'ADDED') {
        // the profile controller owns default-editor: its creation re-runs the Profile's reconcile
        if (store.get(PROFILE_API, 'Profile', o.metadata.namespace)) schedule(o.metadata.namespace);
      }
    },
    ['kubeflow.org/Profile', '/ServiceAccount'],
  );
  for (const p of safeList(store, PROFILE_API, 'Profile')) schedule(p.metadata.name);

  return () => {
    timers.stop();
    unwatch();
  };
}

/** adapts the AWS emulator's IAM state (AwsState.iam) to the plugin's backend */
export function iamTrustBackend(state: { getRole(name: string): { AssumeRolePolicyDocument: string }; updateAssumeRolePolicy(name: string, document: string): void }): IamTrustBackend {
  return {
    getTrustPolicy: (name) => state.getRole(name).AssumeRolePolicyDocument,
    updateTrustPolicy: (name, document) => state.updateAssumeRolePolicy(name, document),
  };
}
