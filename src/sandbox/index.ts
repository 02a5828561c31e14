// startSandbox: an emulated AWS account and two Kubeflow clusters (blue in production, green
// freshly deployed; optionally a third, for a second upgrade) over real HTTP on 127.0.0.1, configured the standard way: a kubeconfig file,
// AWS_ENDPOINT_URL and static test credentials. Tests, `kfup demo` and `kfup sandbox up` use it.
import { cpSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { packagePath } from '../runner/load/package-root.js';
import { writeFileAtomic } from '../runner/state/fs-atomic.js';
import { productionState } from './tfstate.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AwsEmulator, seedAws, type AwsReply } from './aws/index.js';
import { VeleroBucket } from './bucket.js';
import { startAckController, sagemakerBackend, type AckDeletionPolicy } from './kube/controllers/ack.js';
import { iamTrustBackend, startProfileIamController } from './kube/controllers/profile-iam.js';
import { startLoadBalancerController } from './kube/controllers/load-balancer.js';
import { startVeleroController } from './kube/controllers/velero.js';
import { veleroObjectStore } from './aws/presign.js';
import { writeKubeconfig } from './kube/kubeconfig.js';
import { seedCluster } from './kube/seed.js';
import { KubeApiServer } from './kube/server.js';
import { MemoryStore } from './kube/store.js';
import { makeScenario, type Scenario, type Side } from './scenario.js';
import { parseFaultSpec, Traffic, type FaultRule, type RequestLog, type ScenarioFaults } from './traffic.js';
import { sandboxEnvironment, writeSandboxFiles, writeSecondUpgradeFiles } from './environment.js';

export interface SandboxTiming {
  /** how long an AWS Backup job takes (default 1500 ms) */
  backupJobMs?: number;
  /** Route 53 PENDING → INSYNC (default 300 ms) */
  dnsChangeMs?: number;
  /** each Velero phase (default 200 ms) */
  veleroPhaseMs?: number;
  /** a backup written by one cluster appears on the other after this (default 300 ms) */
  veleroSyncMs?: number;
}

export interface SandboxOptions {
  /** where kubeconfig, env and environment.yaml are written (default: a new temporary directory, removed by stop()) */
  dir?: string;
  /** user profiles on blue (default 3) */
  profiles?: number;
  /** notebooks per profile (default 2) */
  notebooks?: number;
  /** added to every request (ms) */
  latencyMs?: number;
  /** a fault spec as `kfup sandbox up --faults` takes it, or rules */
  faults?: string | { rules?: FaultRule[]; scenario?: ScenarioFaults };
  /** seed for fault injection (default 1) */
  seed?: number;
  timing?: SandboxTiming;
  /** the emulated account's IAM quota "Role trust policy length" (default 2,048 characters, white space not counted) */
  trustPolicyQuota?: number;
  /**
   * Velero's --default-volumes-to-fs-backup on both clusters (default true, as the EKS Blueprints
   * add-on installs Velero; Velero's own default is false)
   */
  veleroDefaultVolumesToFsBackup?: boolean;
  /**
   * A third cluster (context sandbox-third, EKS cluster kubeflow-third with its OIDC provider),
   * freshly deployed like green: the next green of a second upgrade (default false)
   */
  thirdCluster?: boolean;
  /** the ACK SageMaker controllers' --deletion-policy (default "delete", ACK's own default) */
  ackDeletionPolicy?: AckDeletionPolicy;
  /**
   * Strict (default true): the AWS endpoint judges each request by the official service models,
   * and the clusters check built-in kinds against the official Kubernetes schemas, refusing what
   * the real services refuse. `kfup sandbox up --lenient` turns both off for experiments.
   */
  strict?: boolean;
  /** called with every answer the AWS endpoint sends (the test helpers check each against the models) */
  onAwsResponse?: (reply: AwsReply) => void;
  /**
   * Kubernetes: how many change events each cluster keeps (its etcd compaction / watch cache
   * window). A watch or a list continue token older than that gets 410 Gone (default 10000).
   */
  kubeHistorySize?: number;
}

export interface SandboxCluster {
  name: Side;
  url: string;
  server: KubeApiServer;
  context: string;
}

export interface Sandbox {
  dir: string;
  scenario: Scenario;
  traffic: Traffic;
  /** every request both sides received: service/group, operation/verb, path, mutating */
  requestLog: RequestLog;
  aws: AwsEmulator;
  awsEndpoint: string;
  clusters: { blue: SandboxCluster; green: SandboxCluster; third?: SandboxCluster };
  bucket: VeleroBucket;
  kubeconfigPath: string;
  /** the AWS_* variables that point the SDK (and the aws CLI) at the sandbox */
  env: Record<string, string>;
  envFile: string;
  environmentFile: string;
  /** with the third cluster: the environment of a second upgrade (blue = green, green = the third cluster), extending environmentFile */
  secondEnvironmentFile?: string;
  /** the upgrade playbook's variables for this sandbox */
  vars: Record<string, unknown>;
  /** sets env in process.env; returns a function that puts the previous values back */
  applyEnv(): () => void;
  /** stops every server; a directory the sandbox made itself (no `dir` given) is removed with its files */
  stop(): Promise<void>;
  /** removes that directory at once, synchronously (for a process about to exit without stop()) */
  removeDirNow(): void;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const scenario = makeScenario({ profiles: opts.profiles, notebooks: opts.notebooks, veleroDefaultVolumesToFsBackup: opts.veleroDefaultVolumesToFsBackup, ackDeletionPolicy: opts.ackDeletionPolicy, thirdCluster: opts.thirdCluster });
  const traffic = new Traffic({ latencyMs: opts.latencyMs, seed: opts.seed });
  if (opts.faults) {
    const spec = typeof opts.faults === 'string' ? parseFaultSpec(opts.faults) : { rules: opts.faults.rules ?? [], scenario: opts.faults.scenario ?? {} };
    traffic.setFaults(spec.rules, opts.seed);
    traffic.scenario = spec.scenario;
  }
  // a directory of its own is the sandbox's to remove when it stops; the pid in its name lets the
  // next kfup run remove it when this process was killed before it could (children.ts sweepTempDirs)
  const ownDir = opts.dir === undefined;
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), `kfup-sandbox-${process.pid}-`)));
  mkdirSync(dir, { recursive: true });
  const timing = opts.timing ?? {};

  const aws = new AwsEmulator({
    traffic,
    scenario,
    timing: { backupJobMs: timing.backupJobMs, dnsChangeMs: timing.dnsChangeMs },
    strict: opts.strict,
    onResponse: opts.onAwsResponse,
  });
  seedAws(aws.state, scenario);
  if (opts.trustPolicyQuota !== undefined) aws.state.iam.trustPolicyQuota = opts.trustPolicyQuota;
  const bucket = new VeleroBucket(scenario.velero.bucket);
  // Velero's bucket is also an S3 bucket of the account: the files clients download (a
  // restore's results) are served from there through pre-signed URLs
  aws.state.s3.createBucket(bucket.name);
  let awsUrl = '';
  const objects = veleroObjectStore(aws, () => awsUrl, scenario.region);
  const stops: (() => void)[] = [];
  const servers: Partial<Record<Side, KubeApiServer>> = {};
  for (const side of scenario.sides) {
    const server = new KubeApiServer({ name: side, traffic, store: new MemoryStore({ historySize: opts.kubeHistorySize, strict: opts.strict }) });
    seedCluster(server.store, scenario, side);
    stops.push(
      startVeleroController({
        store: server.store,
        side,
        bucket,
        timing: { phaseMs: timing.veleroPhaseMs, syncMs: timing.veleroSyncMs },
        scenarioFaults: () => traffic.scenario,
        defaultVolumesToFsBackup: scenario.velero.defaultVolumesToFsBackup,
        objects,
      }),
    );
    stops.push(startAckController({ store: server.store, sagemaker: sagemakerBackend(aws.state.sagemaker), deletionPolicy: scenario.ack.deletionPolicy }));
    // Kubeflow's profile controller with its AWS IAM plugin runs on both clusters, on one IAM
    stops.push(startProfileIamController({ store: server.store, iam: iamTrustBackend(aws.state.iam) }));
    // the AWS Load Balancer Controller: an ALB for each Ingress of class alb (green's serving ingress)
    const clusterName = scenario[side].clusterName;
    stops.push(
      startLoadBalancerController({
        store: server.store,
        scenario,
        clusterName,
        securityGroup: aws.state.eks.clusters.get(clusterName)?.clusterSecurityGroupId ?? scenario.vpc.clusterSecurityGroup,
        loadBalancers: aws.state.elbv2.loadBalancers,
      }),
    );
    servers[side] = server;
  }
  const [awsEndpoint, ...urlList] = await Promise.all([aws.start(), ...scenario.sides.map((side) => servers[side]!.start())]);
  const urls = Object.fromEntries(scenario.sides.map((side, i) => [side, urlList[i]])) as Partial<Record<Side, string>>;
  const cluster = (side: Side): SandboxCluster => ({ name: side, url: urls[side]!, server: servers[side]!, context: `sandbox-${side}` });
  awsUrl = awsEndpoint;
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, { blue: urls.blue!, green: urls.green!, third: urls.third });
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: awsEndpoint,
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox-secret',
    AWS_REGION: scenario.region,
    AWS_DEFAULT_REGION: scenario.region,
    // no instance metadata lookups, no shared config surprises
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const vars = sandboxEnvironment(scenario, { dir, kubeconfigPath });
  // production was deployed with Terraform: its state file is where the upgrade reads its values
  writeFileAtomic(String(vars.blue_tfstate), JSON.stringify(productionState(scenario), null, 2) + '\n', 0o600);
  // green "exists" already; its Terraform is a stand-in that needs no provider (see its main.tf)
  cpSync(packagePath('playbooks', 'sandbox', 'green-terraform'), String(vars.green_terraform_dir), { recursive: true });
  const { envFile, environmentFile } = writeSandboxFiles(dir, env, scenario, vars, kubeconfigPath);
  // the second upgrade deploys the third cluster from a fresh copy of the upgrade module
  const secondEnvironmentFile = scenario.sides.includes('third') ? writeSecondUpgradeFiles(dir, scenario, environmentFile, kubeconfigPath) : undefined;
  if (secondEnvironmentFile) cpSync(packagePath('playbooks', 'sandbox', 'green-terraform'), join(dir, 'third-terraform'), { recursive: true });

  let stopped = false;
  return {
    dir,
    scenario,
    traffic,
    requestLog: traffic.log,
    aws,
    awsEndpoint,
    clusters: { blue: cluster('blue'), green: cluster('green'), ...(urls.third ? { third: cluster('third') } : {}) },
    bucket,
    kubeconfigPath,
    env,
    envFile,
    environmentFile,
    secondEnvironmentFile,
    vars,
    applyEnv() {
      const previous: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(env)) {
        previous[k] = process.env[k];
        process.env[k] = v;
      }
      return () => {
        for (const [k, v] of Object.entries(previous)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of stops) s();
      await Promise.all([aws.stop(), ...Object.values(servers).map((s) => s.stop())]);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    removeDirNow() {
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { makeScenario, type Scenario } from './scenario.js';
export { parseFaultSpec, Traffic, type FaultRule, type RequestLog, type RequestRecord, type ScenarioFaults } from './traffic.js';
