// IAM over awsQuery. Policy documents travel URL-encoded in responses, as IAM sends them.

import { rpcService } from '../service.js';
import type { IamRole, OidcProvider } from '../state.js';
import { AwsError, isoTime, qList, qStr, unflattenQuery, type QueryValue } from '../wire.js';

const roleOut = (r: IamRole) => ({
  Path: r.Path,
  RoleName: r.RoleName,
  RoleId: r.RoleId,
  Arn: r.Arn,
  CreateDate: isoTime(r.CreateDate),
  AssumeRolePolicyDocument: encodeURIComponent(r.AssumeRolePolicyDocument),
  Description: r.Description,
  MaxSessionDuration: r.MaxSessionDuration,
  Tags: r.Tags.length ? r.Tags : undefined,
});

const providerOut = (p: OidcProvider) => ({
  Url: p.Url,
  ClientIDList: p.ClientIDList,
  ThumbprintList: p.ThumbprintList,
  CreateDate: isoTime(p.CreateDate),
  Tags: p.Tags,
});

function need(input: Record<string, QueryValue>, name: string): string {
  const v = qStr(input[name]);
  if (!v) throw new AwsError('ValidationError', `1 validation error detected: Value null at '${name[0].toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
}

export const iam = rpcService<Record<string, QueryValue>>(
  { name: 'iam', signingName: 'iam', protocol: 'query', xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/' },
  {
    GetRole: (input, state) => ({ Role: roleOut(state.iam.getRole(need(input, 'RoleName'))) }),
    CreateRole: (input, state) => {
      const name = need(input, 'RoleName');
      const document = need(input, 'AssumeRolePolicyDocument');
      // role names are unique in the account regardless of case (IAM quotas page, name requirements)
      if ([...state.iam.roles.keys()].some((n) => n.toLowerCase() === name.toLowerCase())) {
        throw new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
      }
      const path = qStr(input.Path) ?? '/';
      const tags = qList(input.Tags).map((t) => ({ Key: qStr((t as Record<string, QueryValue>).Key) ?? '', Value: qStr((t as Record<string, QueryValue>).Value) ?? '' }));
      const max = qStr(input.MaxSessionDuration);
      const role = state.iam.addRole(name, document, { path, description: qStr(input.Description), tags, maxSessionDuration: max ? Number(max) : undefined });
      role.CreateDate = Date.now();
      return { Role: roleOut(role) };
    },
    UpdateAssumeRolePolicy: (input, state) => {
      state.iam.updateAssumeRolePolicy(need(input, 'RoleName'), need(input, 'PolicyDocument'));
      return undefined;
    },
    ListRoles: (input, state) => {
      const prefix = qStr(input.PathPrefix) ?? '/';
      const max = Number(qStr(input.MaxItems) ?? 100);
      if (!Number.isInteger(max) || max < 1 || max > 1000) throw new AwsError('ValidationError', 'MaxItems must be between 1 and 1000');
      const all = [...state.iam.roles.values()].filter((r) => r.Path.startsWith(prefix)).sort((a, b) => (a.RoleName < b.RoleName ? -1 : 1));
      let start = 0;
      const marker = qStr(input.Marker);
      if (marker) {
        start = Number(Buffer.from(marker, 'base64').toString('utf8').replace(/^roles:/, ''));
        if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidInput', 'Invalid Marker');
      }
      const page = all.slice(start, start + max);
      const truncated = start + max < all.length;
      return {
        Roles: page.map((r) => ({ ...roleOut(r), Tags: undefined })),
        IsTruncated: truncated,
        Marker: truncated ? Buffer.from(`roles:${start + max}`).toString('base64') : undefined,
      };
    },
    ListOpenIDConnectProviders: (_input, state) => ({
      OpenIDConnectProviderList: [...state.iam.oidcProviders.keys()].map((Arn) => ({ Arn })),
    }),
    GetOpenIDConnectProvider: (input, state) => {
      const arn = need(input, 'OpenIDConnectProviderArn');
      if (!arn.startsWith('arn:')) throw new AwsError('InvalidInput', `ARN ${arn} is not valid.`);
      return providerOut(state.iam.getOidcProvider(arn));
    },
    // what removing a cluster (Terraform's destroy of the EKS module) does to its provider. The API
    // reference: "Deleting an IAM OIDC provider resource does not update any roles that reference
    // the provider as a principal in their trust policies", and the operation "is idempotent; it
    // does not fail or return an error if you call the operation for a provider that does not exist"
    // (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteOpenIDConnectProvider.html)
    DeleteOpenIDConnectProvider: (input, state) => {
      const arn = need(input, 'OpenIDConnectProviderArn');
      if (!arn.startsWith('arn:')) throw new AwsError('InvalidInput', `ARN ${arn} is not valid.`);
      state.iam.oidcProviders.delete(arn);
      return undefined;
    },
  },
  (req) => new URLSearchParams(req.body).get('Action') ?? req.query.get('Action') ?? undefined,
  (req) => unflattenQuery(new URLSearchParams(req.body)),
);
