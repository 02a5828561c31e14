// The trust-policy rewriting irsa-trust relies on, on documents the sandbox does not seed:
// StringLike conditions, Sids, several providers, single-statement documents, and the property
// that mirroring twice adds nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addGreenTrust, decodePolicy, type PolicyDocument } from '../../src/modules/iam/trust-policy.js';
import { repairTrust } from '../../src/modules/iam/trust-repair.js';

const BLUE = 'oidc.eks.us-west-2.amazonaws.com/id/BLUE1';
const GREEN = 'oidc.eks.us-west-2.amazonaws.com/id/GREEN2';
const arn = (host: string) => `arn:aws:iam::123456789012:oidc-provider/${host}`;
const target = { blueHost: BLUE, greenHost: GREEN, greenProviderArn: arn(GREEN), sidSuffix: 'kubeflowgreen' };

const irsa = (host: string, sub: string, op = 'StringEquals', sid?: string) => ({
  ...(sid ? { Sid: sid } : {}),
  Effect: 'Allow',
  Principal: { Federated: arn(host) },
  Action: 'sts:AssumeRoleWithWebIdentity',
  Condition: { [op]: { [`${host}:sub`]: sub, [`${host}:aud`]: 'sts.amazonaws.com' } },
});

describe('trust policy mirroring', () => {
  it('decodes the URL-encoded document IAM returns, and plain JSON as well', () => {
    const doc = { Version: '2012-10-17', Statement: [irsa(BLUE, 'system:serviceaccount:team a:default-editor')] };
    expect(decodePolicy(encodeURIComponent(JSON.stringify(doc)))).toEqual(doc);
    expect(decodePolicy(JSON.stringify(doc))).toEqual(doc);
    expect(() => decodePolicy('%7B%7D')).toThrow(/no Statement/);
  });

  it('mirrors right after each blue statement, keeping the operator, values and a unique Sid', () => {
    const other = { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' };
    const doc: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [irsa(BLUE, 'system:serviceaccount:*:pipeline-runner', 'StringLike', 'Runner'), other, irsa(BLUE, 'system:serviceaccount:kubeflow:ml-pipeline')],
    };
    const r = addGreenTrust(doc, target);
    expect(r).toMatchObject({ blue: 2, added: 2 });
    const st = r.doc.Statement as Record<string, unknown>[];
    expect(st.map((s) => (s.Principal as { Federated?: string }).Federated ?? 'service')).toEqual([arn(BLUE), arn(GREEN), 'service', arn(BLUE), arn(GREEN)]);
    expect(st[1]).toEqual({ ...irsa(GREEN, 'system:serviceaccount:*:pipeline-runner', 'StringLike'), Sid: 'Runnerkubeflowgreen' });
    // the input document is left as it was
    expect((doc.Statement as unknown[]).length).toBe(3);
  });

  it('handles a single statement written as an object, and a Federated list', () => {
    const single: PolicyDocument = { Version: '2012-10-17', Statement: irsa(BLUE, 'system:serviceaccount:a:b') };
    expect((addGreenTrust(single, target).doc.Statement as unknown[]).length).toBe(2);
    const list: PolicyDocument = { Statement: [{ ...irsa(BLUE, 's'), Principal: { Federated: [arn(BLUE), 'cognito-identity.amazonaws.com'] } }] };
    const st = addGreenTrust(list, target).doc.Statement as { Principal: { Federated: string[] } }[];
    expect(st[1].Principal.Federated).toEqual([arn(GREEN), 'cognito-identity.amazonaws.com']);
  });

  it('leaves a document without blue statements as it is', () => {
    const doc: PolicyDocument = { Statement: [irsa('oidc.eks.eu-west-1.amazonaws.com/id/OTHER', 's')] };
    expect(addGreenTrust(doc, target)).toEqual({ doc, blue: 0, added: 0 });
  });

  it('is idempotent: mirroring its own output adds nothing, whatever the statements', () => {
    const statement = fc.record({
      host: fc.constantFrom(BLUE, GREEN, 'oidc.eks.eu-west-1.amazonaws.com/id/X'),
      sub: fc.string({ minLength: 1, maxLength: 20 }),
      op: fc.constantFrom('StringEquals', 'StringLike'),
      sid: fc.option(fc.stringMatching(/^[A-Za-z0-9]{1,8}$/), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 6 }), (specs) => {
        const doc: PolicyDocument = { Version: '2012-10-17', Statement: specs.map((s) => irsa(s.host, s.sub, s.op, s.sid)) };
        const once = addGreenTrust(doc, target);
        const twice = addGreenTrust(once.doc, target);
        expect(twice.added).toBe(0);
        expect(twice.doc).toStrictEqual(once.doc);
        // every blue statement has its green twin afterwards
        expect(addGreenTrust(once.doc, target).blue).toBe(specs.filter((s) => s.host === BLUE).length);
      }),
    );
  });

  it('irsa-trust-repair only moves a mirrored statement that names every subject, so irsa-trust still finds green trusted (the upgrade runs both)', () => {
    const sub = 'system:serviceaccount:team-a:default-editor';
    const mirrored = addGreenTrust({ Version: '2012-10-17', Statement: [irsa(BLUE, sub)] }, target).doc;
    const repaired = repairTrust(mirrored, { host: GREEN, providerArn: arn(GREEN), subjects: [sub], first: true });
    expect(repaired.movedFirst).toBe(true);
    const statements = repaired.doc.Statement as PolicyDocument[];
    expect(statements[0]).toEqual((mirrored.Statement as PolicyDocument[])[1]);
    expect(addGreenTrust(repaired.doc, target).added).toBe(0);
  });
});
