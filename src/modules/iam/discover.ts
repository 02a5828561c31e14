// The IAM roles IRSA uses on a cluster: the roles of Profiles' AwsIamForServiceAccount plugins
// and the roles service accounts are annotated with (eks.amazonaws.com/role-arn), in the profile
// namespaces (as the upgrade guide's irsa_trust.py looks only at profiles) or the ones listed. Read a page at a time, retried on throttling and 5xx.
import { isKubeNotFound, listAll, type Context, type ListPage } from '../kit/index.js';

export const ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';

export interface DiscoveredRole {
  arn: string;
  /** where it was found, e.g. "Profile team-000" or "ServiceAccount team-000/default-editor" */
  source: string;
  /** the service account that assumes it, as its token's sub claim: system:serviceaccount:<ns>:<name> */
  subject: string;
}

/** the profile controller's plugin annotates (and trusts) this service account of the profile namespace */
const PROFILE_SERVICE_ACCOUNT = 'default-editor';

interface ProfileLike {
  metadata?: { name?: string };
  spec?: { plugins?: { kind?: string; spec?: { awsIamRole?: string } }[] };
}

export async function discoverRoles(ctx: Pick<Context, 'kube' | 'signal'>, cluster: string, namespaces?: string[]): Promise<{ roles: DiscoveredRole[]; notes: string[] }> {
  const kube = ctx.kube(cluster);
  let wanted = namespaces?.length ? new Set(namespaces) : undefined;
  const roles: DiscoveredRole[] = [];
  const notes: string[] = [];
  const retry = { signal: ctx.signal };

  // a Profile's namespace has the Profile's name
  let profiles: ProfileLike[] = [];
  try {
    profiles = await listAll<ProfileLike>(
      // the custom objects API answers `object`: the list's shape is the API server's
      async (cont, limit) => (await kube.custom.listClusterCustomObject({ group: 'kubeflow.org', version: 'v1', plural: 'profiles', limit, _continue: cont })) as ListPage<ProfileLike>,
      retry,
    );
  } catch (e) {
    if (!isKubeNotFound(e)) throw e;
    notes.push(`cluster ${cluster} has no Profile resource (kubeflow.org/v1); only service accounts were searched`);
  }
  // by default: the namespaces the Profiles own (a Profile's namespace has its name)
  wanted ??= new Set(profiles.map((p) => p.metadata?.name ?? '').filter(Boolean));
  for (const p of profiles) {
    const name = p.metadata?.name ?? '';
    if (wanted && !wanted.has(name)) continue;
    for (const plugin of p.spec?.plugins ?? []) {
      const arn = plugin.kind === 'AwsIamForServiceAccount' ? plugin.spec?.awsIamRole : undefined;
      if (arn) roles.push({ arn, source: `Profile ${name}`, subject: `system:serviceaccount:${name}:${PROFILE_SERVICE_ACCOUNT}` });
    }
  }

  const accounts = await listAll((cont, limit) => kube.core.listServiceAccountForAllNamespaces({ limit, _continue: cont }), retry);
  for (const sa of accounts) {
    const ns = sa.metadata?.namespace ?? '';
    if (wanted && !wanted.has(ns)) continue;
    const arn = sa.metadata?.annotations?.[ROLE_ANNOTATION];
    if (arn) roles.push({ arn, source: `ServiceAccount ${ns}/${sa.metadata?.name}`, subject: `system:serviceaccount:${ns}:${sa.metadata?.name}` });
  }
  return { roles, notes };
}
