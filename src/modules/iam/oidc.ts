// The two clusters' OIDC issuers (EKS DescribeCluster) and green's provider in IAM, which must
// exist before any role can trust it.
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { GetOpenIDConnectProviderCommand, IAMClient, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import { TaskError, isNotFound, type Context } from '../kit/index.js';
import { isProviderOf, issuerHost } from './trust-policy.js';

/** what these lookups need of the task's context */
export type AwsCtx = Pick<Context, 'aws' | 'targets'>;

const region = (ctx: AwsCtx, fallback: string): string => ctx.targets.aws?.region ?? fallback;

/** the issuer host of an EKS cluster, e.g. oidc.eks.us-west-2.amazonaws.com/id/ABC */
export async function clusterIssuerHost(ctx: AwsCtx, cluster: string, param: string): Promise<string> {
  let issuer: string | undefined;
  try {
    issuer = (await ctx.aws(EKSClient).send(new DescribeClusterCommand({ name: cluster }))).cluster?.identity?.oidc?.issuer;
  } catch (e) {
    if (isNotFound(e)) {
      throw new TaskError(`${param}: EKS cluster "${cluster}" not found in ${region(ctx, 'the configured region')}`, { code: 'clusterNotFound', hint: `check ${param} and targets.aws.region` });
    }
    throw e;
  }
  if (!issuer) throw new TaskError(`${param}: EKS cluster "${cluster}" has no OIDC issuer`, { code: 'noIssuer', hint: "IRSA needs the cluster's OIDC issuer; is this an EKS cluster?" });
  return issuerHost(issuer);
}

/** the ARNs of the account's IAM OIDC providers (ListOpenIDConnectProviders is not paged) */
export async function providerArns(ctx: Pick<AwsCtx, 'aws'>): Promise<string[]> {
  const list = await ctx.aws(IAMClient).send(new ListOpenIDConnectProvidersCommand({}));
  return (list.OpenIDConnectProviderList ?? []).map((p) => p.Arn ?? '').filter(Boolean);
}

/** the ARN of the IAM OIDC provider for this issuer host; a TaskError telling how to create it when missing */
export async function requireProvider(ctx: AwsCtx, host: string, cluster: string, known?: string[]): Promise<{ arn: string; audiences: string[] }> {
  const iam = ctx.aws(IAMClient);
  const arn = (known ?? (await providerArns(ctx))).find((a) => isProviderOf(a, host));
  const missing = () =>
    new TaskError(`IAM has no OIDC provider for cluster ${cluster} (issuer ${host})`, {
      code: 'noProvider',
      hint: `create it first: eksctl utils associate-iam-oidc-provider --cluster ${cluster} --region ${region(ctx, 'REGION')} --approve`,
    });
  if (!arn) throw missing();
  try {
    const p = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    return { arn, audiences: p.ClientIDList ?? [] };
  } catch (e) {
    if (isNotFound(e)) throw missing();
    throw e;
  }
}
