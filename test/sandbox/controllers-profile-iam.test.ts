// The emulated AWS IAM plugin of Kubeflow's profile controller (kubeflow/kubeflow
// components/profile-controller/controllers/plugin_iam.go, profile_controller.go) on blue and
// green, acting on one emulated IAM: it only ever reads the trust policy's FIRST statement, and
// when it writes, it writes one statement built from it, dropping every other.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedAws } from '../../src/sandbox/aws/seed.js';
import { federatedPrincipal } from '../../src/sandbox/aws/services/iam-policy.js';
import { AwsState } from '../../src/sandbox/aws/state.js';
import { iamTrustBackend, startProfileIamController, withoutServiceAccount, withServiceAccount } from '../../src/sandbox/kube/controllers/profile-iam.js';
import { seedCluster } from '../../src/sandbox/kube/seed.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import { makeScenario, oidcIssuer, oidcProviderArn } from '../../src/sandbox/scenario.js';
import { waitFor } from './controllers-helpers.js';

const P = 'kubeflow.org/v1';
const scenario = makeScenario({ profiles: 2, notebooks: 1 });
const [p0, p1] = scenario.profiles;
const role0 = p0.roleArn.split('/').pop()!;
const blueHost = oidcIssuer(scenario, 'blue').replace('https://', '');
const greenHost = oidcIssuer(scenario, 'green').replace('https://', '');
const sub = (ns: string) => `system:serviceaccount:${ns}:default-editor`;

let aws: AwsState;
let blue: MemoryStore;
let green: MemoryStore;
let stops: (() => void)[] = [];
let errors: string[];
beforeEach(() => {
  aws = seedAws(new AwsState(scenario.accountId, scenario.region), scenario);
  blue = new MemoryStore();
  green = new MemoryStore();
  seedCluster(blue, scenario, 'blue');
  seedCluster(green, scenario, 'green');
  errors = [];
  stops = [blue, green].map((store) =>
    startProfileIamController({ store, iam: iamTrustBackend(aws.iam), retryMs: 10, onError: (p, m) => errors.push(`${p}: ${m}`) }),
  );
});
afterEach(() => stops.forEach((s) => s()));

/** irsa-trust's result: blue's statement first, a mirror for green's provider after it */
function trustBothClusters(role: string, ns: string): void {
  const doc = aws.iam.trustPolicy(role);
  doc.Statement.push({
    Effect: 'Allow',
    Principal: { Federated: oidcProviderArn(scenario, 'green') },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringEquals: { [`${greenHost}:sub`]: sub(ns), [`${greenHost}:aud`]: 'sts.amazonaws.com' } },
  });
  aws.iam.updateAssumeRolePolicy(role, JSON.stringify(doc));
}

/** what Velero's restore puts on green for one profile: namespace, default-editor, the Profile */
function restoreProfileOnGreen(p: typeof p0): void {
  green.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: p.namespace } });
  green.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default-editor', namespace: p.namespace, annotations: { 'eks.amazonaws.com/role-arn': p.roleArn } } });
  const fromBlue = blue.get(P, 'Profile', p.name)!;
  green.create({ apiVersion: P, kind: 'Profile', metadata: { name: p.name, labels: { 'velero.io/restore-name': 'r' } }, spec: fromBlue.spec });
}

const profileSettled = (store: MemoryStore, name: string) => () => store.get(P, 'Profile', name)?.metadata.finalizers?.includes('profile-finalizer');

describe('the trust policy functions (plugin_iam.go)', () => {
  const doc = (statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const federated = (host: string, subs: unknown) => ({
    Sid: 'Kept?',
    Effect: 'Allow',
    Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${host}` },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringEquals: { [`${host}:sub`]: subs, [`${host}:aud`]: 'sts.amazonaws.com' } },
  });

  it('adds the service account to the first statement only, and drops every other statement and field', () => {
    const before = doc([federated(blueHost, ['system:serviceaccount:other:default-editor']), federated(greenHost, sub('team-x')), { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    const after: unknown = JSON.parse(withServiceAccount(before, 'team-x')!);
    expect(after).toEqual({
      Statement: [
        {
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${blueHost}:aud`]: ['sts.amazonaws.com'], [`${blueHost}:sub`]: ['system:serviceaccount:other:default-editor', sub('team-x')] } },
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${blueHost}` },
        },
      ],
      Version: '2012-10-17',
    });
  });

  it('writes nothing when the first statement already names the service account (a single string counts as a list of one)', () => {
    expect(withServiceAccount(doc([federated(blueHost, sub('team-x')), federated(greenHost, sub('other'))]), 'team-x')).toBeUndefined();
    // in a later statement only: not seen, so the policy is rewritten from the first one
    expect(withServiceAccount(doc([federated(greenHost, sub('other')), federated(blueHost, sub('team-x'))]), 'team-x')).toBeDefined();
  });

  it('on revoke leaves the first statement without the service account, and with no sub condition when none is left', () => {
    const after = JSON.parse(withoutServiceAccount(doc([federated(blueHost, sub('team-x')), federated(greenHost, sub('team-x'))]), 'team-x')) as { Statement: { Condition: unknown }[] };
    expect(after.Statement).toHaveLength(1);
    expect(after.Statement[0].Condition).toEqual({ StringEquals: { [`${blueHost}:aud`]: ['sts.amazonaws.com'] } });
  });
});

describe('the profile controller with the AwsIamForServiceAccount plugin, on both clusters', () => {
  it("leaves blue's seeded profiles and roles as they are (their first statement already trusts default-editor)", async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toEqual([]);
    expect(aws.iam.trustPolicy(role0).Statement).toHaveLength(1);
    expect(aws.iam.trustPolicy(role0).Statement[0].Condition?.StringEquals[`${blueHost}:sub`]).toBe(sub(p0.namespace));
  });

  it("a profile restored on green after irsa-trust keeps both clusters' statements: green's plugin finds default-editor in the first one", async () => {
    trustBothClusters(role0, p0.namespace);
    const before = aws.iam.getRole(role0).AssumeRolePolicyDocument;
    restoreProfileOnGreen(p0);
    await waitFor('the profile reconciled on green', profileSettled(green, p0.name));
    expect(aws.iam.getRole(role0).AssumeRolePolicyDocument).toBe(before);
    expect(errors).toEqual([]);
  });

  it('a profile whose role does not name default-editor in its first statement gets its trust policy rewritten to that one statement', async () => {
    // blue's statement (still first) names another account: the plugin rewrites from it
    const doc = aws.iam.trustPolicy(role0);
    doc.Statement[0].Condition!.StringEquals[`${blueHost}:sub`] = sub('someone-else');
    aws.iam.updateAssumeRolePolicy(role0, JSON.stringify(doc));
    trustBothClusters(role0, p0.namespace);
    restoreProfileOnGreen(p0);
    await waitFor('the rewrite', () => aws.iam.trustPolicy(role0).Statement.length === 1);
    const [only] = aws.iam.trustPolicy(role0).Statement;
    expect(federatedPrincipal(only)).toBe(oidcProviderArn(scenario, 'blue'));
    expect(only.Condition?.StringEquals[`${blueHost}:sub`]).toEqual([sub('someone-else'), sub(p0.namespace)]);
  });

  it("deleting a profile on blue revokes: the role keeps one statement, blue's, without default-editor; green's trust is gone", async () => {
    trustBothClusters(role0, p0.namespace);
    blue.delete(P, 'Profile', p0.name);
    await waitFor('the profile to go', () => !blue.get(P, 'Profile', p0.name));
    const st = aws.iam.trustPolicy(role0).Statement;
    expect(st).toHaveLength(1);
    expect(federatedPrincipal(st[0])).toBe(oidcProviderArn(scenario, 'blue'));
    expect(st[0].Condition?.StringEquals).toEqual({ [`${blueHost}:aud`]: ['sts.amazonaws.com'] });
    expect(blue.get('v1', 'ServiceAccount', 'default-editor', p0.namespace)!.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBeUndefined();
    // the other profile's role is not touched
    expect(aws.iam.trustPolicy(p1.roleArn.split('/').pop()!).Statement[0].Condition?.StringEquals[`${blueHost}:sub`]).toBe(sub(p1.namespace));
  });

  it('waits for default-editor (the reconcile fails until it exists), annotates it, and honours annotateOnly', async () => {
    green.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'solo' } });
    const spec = (annotateOnly: boolean) => ({ owner: { kind: 'User', name: 'solo@example.com' }, plugins: [{ kind: 'AwsIamForServiceAccount', spec: { awsIamRole: p1.roleArn, annotateOnly } }] });
    green.create({ apiVersion: P, kind: 'Profile', metadata: { name: 'solo' }, spec: spec(true) });
    await waitFor('a failed reconcile', () => errors.some((e) => e.includes('serviceaccounts "default-editor" not found')));
    expect(green.get(P, 'Profile', 'solo')!.metadata.finalizers ?? []).toEqual([]);
    green.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default-editor', namespace: 'solo' } });
    await waitFor('the profile reconciled', profileSettled(green, 'solo'));
    expect(green.get('v1', 'ServiceAccount', 'default-editor', 'solo')!.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': p1.roleArn });
    // annotateOnly: IAM untouched
    expect(aws.iam.trustPolicy(p1.roleArn.split('/').pop()!).Statement[0].Condition?.StringEquals[`${blueHost}:sub`]).toBe(sub(p1.namespace));
  });
});
