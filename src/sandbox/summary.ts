// The end state of an upgrade in the sandbox, read straight from its stores: what green holds of
// blue's user namespaces, whether the SageMaker endpoints survived and are adopted, which roles
// trust both clusters, where the ALB rule and DNS records point, and the side effects counted in
// the request log. `kfup demo` prints it; end-to-end tests compare it between runs.
import type { Sandbox } from './index.js';
import type { KubeObject } from './kube/store-api.js';
import { oidcProviderArn } from './scenario.js';

export interface UpgradeEndState {
  /** per kind, the namespaced names on blue (user namespaces) and which of them exist on green */
  kinds: Record<string, { blue: string[]; green: string[] }>;
  endpoints: { inSageMaker: string[]; adoptedOnGreen: string[]; expected: string[] };
  rolesTrustingBoth: string[];
  profileRoles: string[];
  albRedirectHost?: string;
  records: Record<string, string>;
  recoveryPoints: number;
  sideEffects: { backupJobs: number; veleroBackups: number; veleroRestores: number; dnsChanges: number; ruleChanges: number };
}

const KINDS: [string, string, string][] = [
  ['profiles', 'kubeflow.org/v1', 'Profile'],
  ['notebooks', 'kubeflow.org/v1', 'Notebook'],
  ['persistentvolumeclaims', 'v1', 'PersistentVolumeClaim'],
  ['persistentvolumes', 'v1', 'PersistentVolume'],
  ['inferenceservices', 'serving.kserve.io/v1beta1', 'InferenceService'],
  ['configmaps', 'v1', 'ConfigMap'],
  ['serviceaccounts', 'v1', 'ServiceAccount'],
];

const id = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

export function upgradeEndState(sb: Sandbox): UpgradeEndState {
  const s = sb.scenario;
  const userNs = new Set(s.profiles.map((p) => p.namespace));
  const blue = sb.clusters.blue.server.store;
  const green = sb.clusters.green.server.store;
  const kinds: UpgradeEndState['kinds'] = {};
  for (const [plural, apiVersion, kind] of KINDS) {
    const inScope = (o: KubeObject) =>
      plural === 'profiles' ? userNs.has(o.metadata.name) : plural === 'persistentvolumes' ? userNs.has(String((o.spec as { claimRef?: { namespace?: string } })?.claimRef?.namespace)) : userNs.has(String(o.metadata.namespace));
    const names = (objs: KubeObject[]) => objs.filter(inScope).map(id).sort();
    const b = names(blue.list(apiVersion, kind));
    const g = new Set(names(green.list(apiVersion, kind)));
    kinds[plural] = { blue: b, green: b.filter((n) => g.has(n)) };
  }
  const expected = s.profiles.flatMap((p) => p.endpoints).sort();
  const inSageMaker = [...sb.aws.state.sagemaker.endpoints.keys()].filter((n) => expected.includes(n)).sort();
  const adoptedOnGreen = green
    .list('sagemaker.services.k8s.aws/v1alpha1', 'Endpoint')
    .map((o) => String((o.spec as { endpointName?: string })?.endpointName ?? o.metadata.name))
    .filter((n) => expected.includes(n))
    .sort();
  const greenProvider = oidcProviderArn(s, 'green');
  const blueProvider = oidcProviderArn(s, 'blue');
  const profileRoles = s.profiles.map((p) => p.roleArn.split('/').pop()!).sort();
  const rolesTrustingBoth = profileRoles.filter((r) => {
    const doc = sb.aws.state.iam.trustPolicy(r);
    const feds = doc.Statement.map((st) => String((st.Principal as { Federated?: string })?.Federated ?? ''));
    return feds.includes(greenProvider) && feds.includes(blueProvider);
  });
  let albRedirectHost: string | undefined;
  for (const rule of sb.aws.state.elbv2.rules.values()) {
    const redirect = rule.Actions.find((a) => (a as { Type?: string }).Type === 'redirect') as { RedirectConfig?: { Host?: string } } | undefined;
    if (!rule.IsDefault && redirect?.RedirectConfig?.Host) albRedirectHost = redirect.RedirectConfig.Host;
  }
  const records: Record<string, string> = {};
  for (const zone of sb.aws.state.route53.zones.values()) {
    for (const r of sb.aws.state.route53.records(zone.Id)) {
      if (r.Type !== 'CNAME' && r.Type !== 'A') continue;
      const value = r.AliasTarget?.DNSName ?? r.ResourceRecords?.map((x) => x.Value).join(',') ?? '';
      records[`${r.Name.replace(/\\052/g, '*')} ${r.Type}`] = value.replace(/\.$/, '').replace(/^dualstack\./, '');
    }
  }
  const log = sb.requestLog;
  const count = (service: string, operation: string) => log.count((e) => e.service === service && e.operation === operation && e.status !== undefined && e.status < 300 && !e.fault);
  const creates = (group: string, plural: string) => log.count((e) => e.service === group && e.operation === 'create' && e.path.includes(`/${plural}`) && e.status !== undefined && e.status < 300);
  return {
    kinds,
    endpoints: { inSageMaker, adoptedOnGreen, expected },
    rolesTrustingBoth,
    profileRoles,
    albRedirectHost,
    records,
    recoveryPoints: sb.aws.state.backup.recoveryPoints.size,
    sideEffects: {
      backupJobs: sb.aws.state.backup.jobs.size,
      veleroBackups: creates('velero.io', 'backups'),
      veleroRestores: creates('velero.io', 'restores'),
      dnsChanges: count('route53', 'ChangeResourceRecordSets'),
      ruleChanges: count('elbv2', 'ModifyRule'),
    },
  };
}

export async function summarizeUpgrade(sb: Sandbox): Promise<string> {
  const st = upgradeEndState(sb);
  const s = sb.scenario;
  const lines = ['What changed in the sandbox:'];
  lines.push('  on green, from blue\'s user namespaces:');
  for (const [kind, v] of Object.entries(st.kinds)) lines.push(`    ${kind.padEnd(24)} ${String(v.green.length).padStart(4)} of ${v.blue.length}`);
  lines.push(`  SageMaker endpoints still in SageMaker: ${st.endpoints.inSageMaker.length} of ${st.endpoints.expected.length}, adopted on green: ${st.endpoints.adoptedOnGreen.length}`);
  lines.push(`  IRSA roles trusting both clusters: ${st.rolesTrustingBoth.length} of ${st.profileRoles.length}`);
  // the rule redirects to a platform hostname; the records point at load balancers
  const sideOf = (v: string | undefined) =>
    v === s.green.platformDomain || v === s.green.ingressHost || v === s.green.servingHost ? 'green' : v === s.blue.platformDomain || v === s.blue.ingressHost || v === s.blue.servingHost ? 'blue' : undefined;
  const side = sideOf(st.albRedirectHost);
  lines.push(`  ALB listener rule redirects to: ${st.albRedirectHost ?? '(none)'}${side ? `  (${side})` : ''}`);
  for (const [name, value] of Object.entries(st.records)) {
    const to = sideOf(value);
    if (to) lines.push(`  DNS ${name.padEnd(36)} -> ${to}`);
  }
  lines.push(`  AWS Backup recovery points: ${st.recoveryPoints}`);
  const all = sb.requestLog.entries;
  lines.push(`  requests served: ${all.length} (${all.filter((e) => e.mutating).length} mutating)`);
  return lines.join('\n');
}
