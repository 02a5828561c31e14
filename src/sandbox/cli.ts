// `kfup sandbox up`: runs the sandbox in the foreground until Ctrl-C, after saying how to use it.
import { UserError } from '../runner/errors.js';
import { parseFaultSpec } from './traffic.js';
import { startSandbox } from './index.js';

const int = (name: string, v: string, min: number, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`--${name} must be a whole number from ${min} to ${max}, not "${v}"`);
  return n;
};

const bool = (name: string, v: string): boolean => {
  if (v === 'true' || v === 'false') return v === 'true';
  throw new UserError(`--${name} must be true or false, not "${v}"`);
};

export interface SandboxUpFlags {
  dir: string;
  profiles: string;
  notebooks: string;
  latency: string;
  faults?: string;
  seed: string;
  strict?: boolean;
  lenient?: boolean;
  /** IAM's "Role trust policy length" quota, characters without white space */
  trustPolicyQuota: string;
  /** Velero's server flag --default-volumes-to-fs-backup on both clusters */
  veleroDefaultVolumesToFsBackup: string;
  /** the ACK SageMaker controllers' --deletion-policy */
  ackDeletionPolicy: string;
  /** a third cluster for a second upgrade after the first */
  thirdCluster?: boolean;
}

export async function sandboxUp(flags: SandboxUpFlags): Promise<void> {
  if (flags.strict && flags.lenient) throw new UserError('--strict and --lenient exclude each other');
  // strict unless asked otherwise: a rehearsal is only worth what its judge is
  const strict = !flags.lenient;
  const profiles = int('profiles', flags.profiles, 0, 5000);
  const notebooks = int('notebooks', flags.notebooks, 0, 100);
  const latencyMs = int('latency', flags.latency, 0, 60_000);
  const seed = int('seed', flags.seed, 0, 2 ** 31);
  // IAM lets an account raise the quota to 4,096 (Service Quotas); lower values are for rehearsing the failure
  const trustPolicyQuota = int('trust-policy-quota', flags.trustPolicyQuota, 1, 4096);
  const veleroDefaultVolumesToFsBackup = bool('velero-default-volumes-to-fs-backup', flags.veleroDefaultVolumesToFsBackup);
  if (flags.ackDeletionPolicy !== 'delete' && flags.ackDeletionPolicy !== 'retain') throw new UserError(`--ack-deletion-policy must be delete or retain, not "${flags.ackDeletionPolicy}"`);
  const ackDeletionPolicy = flags.ackDeletionPolicy;
  if (flags.faults) {
    try {
      parseFaultSpec(flags.faults);
    } catch (e) {
      throw new UserError(`--faults: ${(e as Error).message}`);
    }
  }
  const sb = await startSandbox({ dir: flags.dir, profiles, notebooks, latencyMs, faults: flags.faults, seed, strict, trustPolicyQuota, veleroDefaultVolumesToFsBackup, ackDeletionPolicy, thirdCluster: flags.thirdCluster });
  const out = process.stdout;
  out.write(`kfup sandbox is up (AWS account ${sb.scenario.accountId}, ${sb.scenario.region})\n`);
  out.write(`  AWS endpoint   ${sb.awsEndpoint}   (${strict ? 'strict: requests checked against the AWS service models' : 'lenient: requests not checked against the AWS service models'})\n`);
  out.write(`  blue cluster   ${sb.clusters.blue.url}   (context sandbox-blue, ${profiles} profiles)\n`);
  out.write(`  green cluster  ${sb.clusters.green.url}   (context sandbox-green, freshly deployed)\n`);
  if (sb.clusters.third) out.write(`  third cluster  ${sb.clusters.third.url}   (context sandbox-third, freshly deployed; second upgrade: --env ${sb.secondEnvironmentFile})\n`);
  out.write(`  IAM            role trust policies up to ${trustPolicyQuota} characters (white space not counted)\n`);
  out.write(`  Velero         --default-volumes-to-fs-backup=${veleroDefaultVolumesToFsBackup} on both clusters\n`);
  out.write(`  ACK SageMaker  --deletion-policy=${ackDeletionPolicy} on both clusters\n`);
  out.write(`  kubeconfig     ${sb.kubeconfigPath}\n`);
  out.write(`  environment    ${sb.environmentFile}\n\n`);
  out.write(`In another terminal:\n  source ${sb.envFile}\n  kubectl --context sandbox-blue get profiles\n  npx kfup run playbooks/blue-green-upgrade.yaml --env ${sb.environmentFile} --check\n\nCtrl-C stops the sandbox.\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out.write('\n' + sb.requestLog.summary() + '\n');
  await sb.stop();
  out.write('kfup sandbox stopped\n');
}
