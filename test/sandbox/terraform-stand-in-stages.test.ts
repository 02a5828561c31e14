// Issue 13, "The upgrade as the real deployment runs it", point 1: green is deployed as the upgrade
// module's Makefile deploys it (../shared/fixtures/kubeflow-manifests/upgrade-terraform/Makefile,
// `make deploy`): init; the EKS cluster, then green's kubeconfig context from the
// `configure_kubectl` output; the add-ons; the Kubeflow components; the ALB redirect. The stages
// are the playbook's own (green_terraform_stages in playbooks/blue-green-upgrade.yaml), run by the
// real terraform against the stand-in module (the real variables), and the kubeconfig step by the
// real aws CLI against the sandbox's EKS.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { productionState } from '../../src/sandbox/tfstate.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { repoRoot } from '../helpers/cli.js';
import { runTasks, tempDir } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';
import { onPath } from '../helpers/binaries.js';

const haveTerraform = onPath('terraform', ['version']);
const haveAws = onPath('aws', ['--version']);
if (!haveTerraform) console.warn('terraform is not on PATH: the staged green deployment tests are skipped');
if (!haveAws) console.warn('aws is not on PATH: the kubeconfig step through the aws CLI is not tested (the sandbox kubeconfig already has the context)');

interface StageDef {
  name: string;
  targets: string[];
  kubeconfig?: { output: string; context: string; file?: string };
}
/** the playbook's stages, with its templated context and file made concrete */
function playbookStages(context: string, file: string): StageDef[] {
  const pb = parse(readFileSync(join(repoRoot, 'playbooks', 'blue-green-upgrade.yaml'), 'utf8')) as { vars: { green_terraform_stages: StageDef[] } };
  return pb.vars.green_terraform_stages.map((s) => (s.kubeconfig ? { ...s, kubeconfig: { ...s.kubeconfig, context, file } } : s));
}

/** the Makefile's deploy targets, in order */
function makefileTargets(): string[] | undefined {
  const mk = join(repoRoot, '..', 'shared', 'fixtures', 'kubeflow-manifests', 'upgrade-terraform', 'Makefile');
  if (!existsSync(mk)) return undefined;
  return [...readFileSync(mk, 'utf8').matchAll(/terraform apply -target="(module\.[a-z_]+)"/g)].map((m) => m[1]);
}

let sb: Sandbox;
useSandbox({ profiles: 1 }, (s) => (sb = s));

function workspace(): string {
  const dir = tempDir('kfup-green-stages-');
  writeFileSync(join(dir, 'blue.tfstate'), JSON.stringify(productionState(sb.scenario)));
  cpSync(join(repoRoot, 'playbooks', 'sandbox', 'green-terraform'), join(dir, 'green'), { recursive: true });
  return dir;
}

const tasks = (stages: StageDef[]) => [
  {
    name: 'collect',
    'tfvars-from-state': {
      statefile: 'blue.tfstate',
      write: 'green/sample.auto.tfvars',
      cognito: true,
      efs: true,
      fsx: false,
      values: { cluster_name: sb.scenario.green.clusterName, cluster_region: sb.scenario.region, stage: 'green', src_velero_bucket_name: sb.scenario.velero.bucket },
    },
    register: 'prod',
  },
  { name: 'deploy', 'terraform-apply': { dir: 'green', vars: '{{prod.outputs.values}}', stages }, register: 'green_tf' },
];

describe.skipIf(!haveTerraform)('green deployed stage by stage, as make deploy does (issue 13)', () => {
  it('the playbook\'s stages are the Makefile\'s deploy targets, in its order (source: upgrade-terraform/Makefile)', () => {
    const targets = makefileTargets();
    if (!targets) return console.warn('../shared is absent: the Makefile comparison is skipped');
    expect(playbookStages('x', 'y').flatMap((s) => s.targets)).toEqual(targets);
    expect(playbookStages('x', 'y')[0].kubeconfig?.output).toBe('configure_kubectl');
  });

  // One workspace through check, run and a second run. With the aws CLI, green's kubeconfig
  // context is missing at first: run adds it after the EKS stage from configure_kubectl, and the
  // second run finds it and keeps it. Without it, the sandbox's own kubeconfig already has the
  // context, and every pass keeps it.
  it(`check plans each stage in order; run applies them${haveAws ? ", adding green's context from configure_kubectl through the aws CLI (never a shell)" : ''}; a second run is ok and keeps the context`, async () => {
    const dir = workspace();
    const kubeconfig = haveAws ? join(dir, 'kubeconfig') : sb.kubeconfigPath;
    const contextName = haveAws ? 'kubeflow-green-new' : 'sandbox-green';
    const stages = playbookStages(contextName, kubeconfig);
    const targets = sandboxTargets(sb);
    const check = await runTasks({ dir, targets, mode: 'check', tasks: tasks(stages) });
    const c = check.reporter.end('deploy');
    expect(c.status, c.message).toBe('changed');
    const planLines = c.notes.filter((n) => /^stage "[^"]+" \([^)]*\): plan:/.test(n)).map((n) => /^stage "([^"]+)"/.exec(n)![1]);
    expect(planLines).toEqual(stages.map((s) => s.name));
    // each module's resource listed once, though a later stage's plan includes what it depends on
    const addresses = c.changes.map((x) => x.target);
    expect(new Set(addresses).size).toBe(addresses.length);
    for (const m of ['eks_blueprints', 'eks_blueprints_kubernetes_addons', 'kubeflow_components', 'alb_redirection[0]']) expect(addresses).toContain(`module.${m}.terraform_data.this`);
    if (haveAws) expect(addresses).toContain(`kubeconfig context ${contextName} in ${kubeconfig}`);
    else expect(c.notes.join('\n')).toMatch(/kubeconfig context sandbox-green is in .* already: kept/);
    expect(existsSync(join(dir, 'green', 'terraform.tfstate'))).toBe(false);

    const run = await runTasks({ dir, targets, tasks: tasks(stages) });
    expect(run.reporter.end('deploy').status, run.reporter.end('deploy').message).toBe('changed');
    const state = JSON.parse(readFileSync(join(dir, 'green', 'terraform.tfstate'), 'utf8')) as { resources: { module?: string }[] };
    expect(state.resources.map((r) => r.module).sort()).toEqual(['module.alb_redirection[0]', 'module.eks_blueprints', 'module.eks_blueprints_kubernetes_addons', 'module.kubeflow_components']);
    if (haveAws) {
      const doc = parse(readFileSync(kubeconfig, 'utf8')) as { contexts: { name: string; context: { cluster: string } }[]; clusters: { name: string; cluster: { server: string } }[] };
      const context = doc.contexts.find((x) => x.name === contextName);
      expect(context).toBeDefined();
      // the cluster the sandbox's EKS describes for green
      const green = sb.aws.state.eks.clusters.get(sb.scenario.green.clusterName)!;
      expect(doc.clusters.find((x) => x.name === context!.context.cluster)?.cluster.server).toBe(green.endpoint);
    }

    const again = await runTasks({ dir, targets, tasks: tasks(stages) });
    const a = again.reporter.end('deploy');
    expect(a.status, a.message).toBe('ok');
    expect(a.notes.join('\n')).toMatch(new RegExp(`kubeconfig context ${contextName} is in .* already: kept`));
  }, 300_000);
});
