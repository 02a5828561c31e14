// Shared by the tests of kfup against the sandbox's emulated AWS IAM plugin of Kubeflow's profile
// controller (src/sandbox/kube/controllers/profile-iam.ts, after kubeflow/kubeflow
// components/profile-controller/controllers/plugin_iam.go): the upgrade's trust step, a Profile
// arriving on green, and what green's provider is trusted for.
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { oidcIssuer, oidcProviderArn } from '../../src/sandbox/scenario.js';
import { runTasks } from '../helpers/run.js';
import { sandboxTargets } from '../helpers/sandbox.js';

export const PROFILE = 'kubeflow.org/v1';

/** the service account a profile's pods assume the role as */
export const subjectOf = (ns: string): string => `system:serviceaccount:${ns}:default-editor`;

/** the name of profile i's role */
export const roleName = (sb: Sandbox, i: number): string => sb.scenario.profiles[i].roleArn.split('/').pop()!;

/** the subjects green's provider is trusted for, over all statements of the role */
export function greenSubjects(sb: Sandbox, role: string): string[] {
  const host = oidcIssuer(sb.scenario, 'green').replace('https://', '');
  const statements = sb.aws.state.iam.trustPolicy(role).Statement as { Principal: { Federated?: string }; Condition?: { StringEquals?: Record<string, unknown> } }[];
  return statements.filter((s) => s.Principal.Federated === oidcProviderArn(sb.scenario, 'green')).flatMap((s) => [s.Condition?.StringEquals?.[`${host}:sub`] ?? []].flat() as string[]);
}

/** the upgrade's trust step: irsa-trust mirrors blue's statements to green (the sandbox's IAM needs no settling) */
export async function trustGreen(sb: Sandbox, namespaces?: string[]): Promise<void> {
  const trust = await runTasks({
    targets: sandboxTargets(sb),
    tasks: [{ name: 'trust', 'irsa-trust': { blue_cluster: sb.scenario.blue.clusterName, green_cluster: sb.scenario.green.clusterName, discover_from: 'blue', settle_seconds: 0, ...(namespaces ? { namespaces } : {}) } }],
  });
  expect(trust.reporter.end('trust').status, trust.reporter.end('trust').message).toBe('changed');
}

/** a Profile on green as the restore brings it (or a new one): its namespace, default-editor, the Profile */
export function profileOnGreen(sb: Sandbox, name: string, roleArn: string): void {
  const green = sb.clusters.green.server.store;
  green.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  green.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default-editor', namespace: name, annotations: { 'eks.amazonaws.com/role-arn': roleArn } } });
  green.create({
    apiVersion: PROFILE,
    kind: 'Profile',
    metadata: { name },
    spec: { owner: { kind: 'User', name: `${name}@example.com` }, plugins: [{ kind: 'AwsIamForServiceAccount', spec: { awsIamRole: roleArn } }] },
  });
}

/** whether green's profile controller has reconciled the Profile (its finalizer is on) */
export const reconciledOnGreen = (sb: Sandbox, name: string) => (): boolean => !!sb.clusters.green.server.store.get(PROFILE, 'Profile', name)?.metadata.finalizers?.includes('profile-finalizer');
