// The sandbox's stand-in for green's Terraform (playbooks/sandbox/green-terraform) has the real
// deployment's interface: the variables of the Kubeflow on AWS manifests' blue/green branch
// (../shared/fixtures/kubeflow-manifests/upgrade-terraform/variables.tf) with the same types and
// defaults, and the outputs of its outputs.tf. Both files are read with HashiCorp's own HCL
// parser (@cdktf/hcl2json), and the real terraform then shows that it refuses what the real
// deployment would refuse: a required value left out, or a value for a variable it lacks.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';
import { haveTerraform as terraformFound } from '../helpers/binaries.js';

const standIn = join(repoRoot, 'playbooks', 'sandbox', 'green-terraform');
const upstream = resolve(repoRoot, '..', 'shared', 'fixtures', 'kubeflow-manifests', 'upgrade-terraform');
const haveUpstream = existsSync(join(upstream, 'variables.tf'));
if (!haveUpstream) console.warn(`${upstream} is absent (../shared): the comparison with the real Terraform interface is skipped`);

const haveTerraform = terraformFound('the stand-in module tests that run it are skipped');

interface VariableDecl {
  type?: string;
  /** absent: the variable is required */
  default?: unknown;
  hasDefault: boolean;
}

/** `list`, `map` and `set` alone are Terraform's shorthand for list(any), map(any), set(any)
 * (developer.hashicorp.com/terraform/language/expressions/type-constraints); `terraform fmt` writes the long form */
const sameType = (t: string | undefined): string | undefined => t?.replace(/^\$\{(list|map|set)\}$/, '$${$1(any)}');

/** every `variable` block of a file: its type expression and default, as HCL parses them */
async function variables(file: string): Promise<Record<string, VariableDecl>> {
  const json = (await parse(file, readFileSync(file, 'utf8'))) as { variable?: Record<string, Record<string, unknown>[]> };
  const out: Record<string, VariableDecl> = {};
  for (const [name, [block]] of Object.entries(json.variable ?? {})) {
    out[name] = { type: sameType(block.type as string | undefined), hasDefault: 'default' in block, ...('default' in block ? { default: block.default } : {}) };
  }
  return out;
}

async function outputs(file: string): Promise<string[]> {
  const json = (await parse(file, readFileSync(file, 'utf8'))) as { output?: Record<string, unknown> };
  return Object.keys(json.output ?? {}).sort();
}

describe('the stand-in Terraform module has the real deployment interface', () => {
  it.skipIf(!haveUpstream)('declares exactly the real variables.tf: same names, types and defaults (source: kubeflow-manifests upgrade-terraform/variables.tf)', async () => {
    const real = await variables(join(upstream, 'variables.tf'));
    const ours = await variables(join(standIn, 'variables.tf'));
    expect(Object.keys(ours).sort()).toEqual(Object.keys(real).sort());
    for (const name of Object.keys(real)) expect({ name, ...ours[name] }).toEqual({ name, ...real[name] });
    // and nothing else in the module declares a variable
    const main = await variables(join(standIn, 'main.tf'));
    const outs = await variables(join(standIn, 'outputs.tf'));
    expect([...Object.keys(main), ...Object.keys(outs)]).toEqual([]);
  });

  it.skipIf(!haveUpstream)('has the outputs of the real outputs.tf (source: kubeflow-manifests upgrade-terraform/outputs.tf)', async () => {
    expect(await outputs(join(standIn, 'outputs.tf'))).toEqual(await outputs(join(upstream, 'outputs.tf')));
    expect(await outputs(join(standIn, 'main.tf'))).toEqual([]);
  });

  it.skipIf(!haveUpstream)('names as modules the targets of the real Makefile (make deploy applies each with -target)', () => {
    const targets = [...readFileSync(join(upstream, 'Makefile'), 'utf8').matchAll(/-target="module\.([a-z_]+)"/g)].map((m) => m[1]);
    const modules = [...readFileSync(join(standIn, 'main.tf'), 'utf8').matchAll(/^module "([a-z_]+)"/gm)].map((m) => m[1]);
    expect(new Set(modules)).toEqual(new Set(targets));
  });
});

describe.skipIf(!haveTerraform)('terraform refuses what the real deployment refuses', () => {
  const tf = (dir: string, args: string[]) => spawnSync('terraform', args, { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' } });
  let dir: string | undefined;
  const workdir = (): string => {
    if (dir) return dir;
    dir = join(tempDir('kfup-standin-'), 'tf');
    cpSync(standIn, dir, { recursive: true });
    const init = tf(dir, ['init', '-input=false', '-no-color']);
    expect(init.status, init.stderr).toBe(0);
    return dir;
  };
  const production = ['src_vpc_private_subnets=["subnet-1","subnet-2"]', 'src_vpc_public_subnets=["subnet-3"]', 'src_vpc_id=vpc-1', 'src_vpc_cidr=10.0.0.0/16', 'src_efs_fs_id=fs-1', 'src_cluster_sg_id=sg-1', 'src_s3_secret_name=s3', 'src_s3_bucket_name=bucket', 'src_rds_secret_name=rds', 'src_rds_endpoint=db.example.internal'];
  const vars = (list: string[]) => list.flatMap((v) => ['-var', v]);

  it('the operator file alone leaves the production values missing, each named', () => {
    const r = tf(workdir(), ['plan', '-input=false', '-no-color', '-lock=false']);
    expect(r.status).not.toBe(0);
    for (const v of ['src_vpc_id', 'src_vpc_private_subnets', 'src_rds_endpoint', 'src_efs_fs_id']) expect(r.stderr).toContain(`variable "${v}"`);
  }, 120_000);

  it('with the production values it plans the four stages', () => {
    const r = tf(workdir(), ['plan', '-input=false', '-no-color', '-lock=false', ...vars(production)]);
    expect(r.status, r.stderr).toBe(0);
    for (const m of ['eks_blueprints', 'eks_blueprints_kubernetes_addons', 'kubeflow_components', 'alb_redirection[0]']) expect(r.stdout).toContain(`module.${m}.terraform_data.this`);
    expect(r.stdout).not.toContain('db.example.internal');
  }, 120_000);

  it('refuses a value for a variable the real deployment does not declare (src_fsx_fs_id)', () => {
    const r = tf(workdir(), ['plan', '-input=false', '-no-color', '-lock=false', ...vars([...production, 'src_fsx_fs_id=fs-2'])]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/undeclared variable[\s\S]*src_fsx_fs_id/);
  }, 120_000);
});
