// IAM's documented rules for trust policies, sent by the real SDK client:
// - the "Role trust policy length" quota, 2,048 characters by default, white space not counted,
//   answered LimitExceeded (HTTP 409): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
// - a malformed document is MalformedPolicyDocument (policy grammar:
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html)
// - a Federated principal naming an OIDC provider that does not exist is "Invalid principal in
//   policy" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html)

import { CreateRoleCommand, GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irsaTrustPolicy } from '../../src/sandbox/aws/seed.js';
import { policySize } from '../../src/sandbox/aws/services/iam-policy.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { accepted, refusedWith, startAws, type AwsFixture } from './aws-helpers.js';

let f: AwsFixture;
let iam: IAMClient;
beforeAll(async () => {
  f = await startAws();
  iam = new IAMClient(f.cfg());
});
afterAll(async () => {
  await f?.emulator.stop();
});

const roleName = () => f.scenario.profiles[0].roleArn.split('/').pop()!;

/** an IRSA trust policy with one statement per service account, all trusting blue */
function bigPolicy(serviceAccounts: number): string {
  const one = irsaTrustPolicy(f.scenario, 'blue', 'team-000', 'sa') as { Version: string; Statement: Record<string, unknown>[] };
  const statements = Array.from({ length: serviceAccounts }, (_, i) => (irsaTrustPolicy(f.scenario, 'blue', 'team-000', `sa-${i}`) as typeof one).Statement[0]);
  return JSON.stringify({ Version: one.Version, Statement: statements });
}

async function refusal(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  const e = await p.then(accepted, refusedWith);
  return { name: e.name, message: e.message, status: e.$metadata.httpStatusCode };
}

describe('IAM trust policy quota (IAM quotas page: role trust policy length 2,048, white space not counted)', () => {
  it('a trust policy over the quota is LimitExceeded, HTTP 409, and the role keeps its policy', async () => {
    const before = f.emulator.state.iam.getRole(roleName()).AssumeRolePolicyDocument;
    const doc = bigPolicy(8);
    expect(policySize(doc)).toBeGreaterThan(2048);
    const err = await refusal(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: doc })));
    expect(err).toEqual({ name: 'LimitExceededException', message: 'Cannot exceed quota for ACLSizePerRole: 2048', status: 409 });
    expect(f.emulator.state.iam.getRole(roleName()).AssumeRolePolicyDocument).toBe(before);
    const created = await refusal(iam.send(new CreateRoleCommand({ RoleName: 'too-big', AssumeRolePolicyDocument: doc })));
    expect(created.name).toBe('LimitExceededException');
    expect(f.emulator.state.iam.roles.has('too-big')).toBe(false);
  });

  it('white space does not count: the same statements pretty-printed fit when their characters do', async () => {
    let n = 1;
    while (policySize(bigPolicy(n + 1)) <= 2048) n++;
    const pretty = JSON.stringify(JSON.parse(bigPolicy(n)), null, 8);
    expect(pretty.length).toBeGreaterThan(2048);
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: pretty }));
    expect(f.emulator.state.iam.trustPolicy(roleName()).Statement).toHaveLength(n);
  });

  it('the quota is the account’s: raised (state or the sandbox option), the larger policy is accepted', async () => {
    f.emulator.state.iam.trustPolicyQuota = 4096;
    try {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: bigPolicy(8) }));
      expect(f.emulator.state.iam.trustPolicy(roleName()).Statement).toHaveLength(8);
    } finally {
      f.emulator.state.iam.trustPolicyQuota = 2048;
    }
    const sb = await startSandbox({ trustPolicyQuota: 1024, profiles: 1, notebooks: 0 });
    try {
      expect(sb.aws.state.iam.trustPolicyQuota).toBe(1024);
      expect(() => sb.aws.state.iam.checkTrustPolicy(bigPolicy(3))).toThrow(/ACLSizePerRole: 1024/);
    } finally {
      await sb.stop();
    }
  });
});

describe('IAM malformed trust policies (policy grammar) and unknown principals (Principal element page)', () => {
  const cases: [string, string, RegExp][] = [
    ['invalid JSON', '{"Version":"2012-10-17","Statement":[', /This policy contains invalid Json/],
    ['no Statement', '{"Version":"2012-10-17"}', /Missing required field Statement/],
    ['a wrong Version', '{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}', /valid version string/],
    ['no Effect', '{"Version":"2012-10-17","Statement":[{"Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}', /Missing required field Effect/],
    ['no Principal', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}', /Missing required field Principal/],
    ['a Resource', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}', /Has prohibited field Resource/],
  ];
  it.each(cases)('%s is MalformedPolicyDocument (HTTP 400), on CreateRole and UpdateAssumeRolePolicy', async (_what, doc, message) => {
    const created = await refusal(iam.send(new CreateRoleCommand({ RoleName: 'malformed', AssumeRolePolicyDocument: doc })));
    expect(created).toMatchObject({ name: 'MalformedPolicyDocumentException', status: 400 });
    expect(created.message).toMatch(message);
    const updated = await refusal(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: doc })));
    expect(updated.name).toBe('MalformedPolicyDocumentException');
    expect(f.emulator.state.iam.roles.has('malformed')).toBe(false);
  });

  it('a Federated principal naming an OIDC provider that does not exist is "Invalid principal in policy"', async () => {
    const missing = `arn:aws:iam::${f.scenario.accountId}:oidc-provider/oidc.eks.${f.scenario.region}.amazonaws.com/id/0000000000000000000000000000DEAD`;
    const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: missing }, Action: 'sts:AssumeRoleWithWebIdentity' }] });
    const err = await refusal(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: doc })));
    expect(err).toEqual({ name: 'MalformedPolicyDocumentException', message: `Invalid principal in policy: "Federated":"${missing}"`, status: 400 });
    // green's provider exists: the same statement for it is accepted
    const green = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: oidcProviderArn(f.scenario, 'green') }, Action: 'sts:AssumeRoleWithWebIdentity' }] });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: green }));
    // a provider deleted after the fact: the next update naming it is refused
    const providers = f.emulator.state.iam.oidcProviders;
    const saved = providers.get(oidcProviderArn(f.scenario, 'green'))!;
    providers.delete(saved.Arn);
    try {
      expect((await refusal(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: green })))).message).toMatch(/Invalid principal in policy/);
    } finally {
      providers.set(saved.Arn, saved);
    }
  });

  it('CreateRole makes the role (GetRole reads it back); a second one of the same name is EntityAlreadyExists (409)', async () => {
    const doc = JSON.stringify(irsaTrustPolicy(f.scenario, 'green', 'team-001', 'default-editor'));
    const out = await iam.send(new CreateRoleCommand({ RoleName: 'kf-new-irsa', AssumeRolePolicyDocument: doc, Tags: [{ Key: 'team', Value: 'x' }] }));
    expect(out.Role?.Arn).toBe(`arn:aws:iam::${f.scenario.accountId}:role/kf-new-irsa`);
    const got = await iam.send(new GetRoleCommand({ RoleName: 'kf-new-irsa' }));
    expect(JSON.parse(decodeURIComponent(got.Role!.AssumeRolePolicyDocument!))).toEqual(JSON.parse(doc));
    expect(got.Role?.Tags).toEqual([{ Key: 'team', Value: 'x' }]);
    const again = await refusal(iam.send(new CreateRoleCommand({ RoleName: 'KF-NEW-IRSA', AssumeRolePolicyDocument: doc })));
    expect(again).toMatchObject({ name: 'EntityAlreadyExistsException', status: 409 });
  });

  it('every seeded trust policy passes the same checks', () => {
    for (const role of f.emulator.state.iam.roles.values()) expect(() => f.emulator.state.iam.checkTrustPolicy(role.AssumeRolePolicyDocument)).not.toThrow();
  });
});
