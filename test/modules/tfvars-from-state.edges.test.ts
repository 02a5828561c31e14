// tfvars-from-state in detail, beyond its conformance table (tfvars-from-state.test.ts): the exact
// files written from Terraform states shaped like the two Kubeflow on AWS deployments (with
// secrets planted in them), the outputs used by a later task, repairs, errors, a state written by a
// real `terraform apply`, and the `cluster` source against the AWS emulator.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsEmulator } from '../../src/sandbox/aws/index.js';
import { makeScenario, type Scenario } from '../../src/sandbox/scenario.js';
import { Traffic } from '../../src/sandbox/traffic.js';
import { runTasks, tempDir, type TaskRun } from '../helpers/run.js';

const fx = join(import.meta.dirname, '..', 'fixtures', 'terraform');
const PLANTED = ['PLANTED-db-Pw-9f8e7d6c', 'AKIAPLANTED0EXAMPLE7', 'PLANTEDsecretKey/0123456789abcdefghijABCDEFG', 'PLANTED-client-secret-77aa', 'LS0tLS1CRUdJTiBQTEFOVEVELUNB', 'PLANTED-tfvars-Pw-31xy'];
const RDS_ENDPOINT = 'kubeflow-db.cprod1234567.us-west-2.rds.amazonaws.com';

/** a playbook dir with prod.tfstate and green/sample.auto.tfvars */
function workspace(state: string): string {
  const dir = tempDir('kfup-tfvars-');
  copyFileSync(join(fx, 'states', `${state}.tfstate`), join(dir, 'prod.tfstate'));
  cpSync(join(fx, 'tfvars'), join(dir, 'green'), { recursive: true });
  return dir;
}

const collect = (extra: Record<string, unknown> = {}) => ({ name: 'collect', 'tfvars-from-state': { statefile: 'prod.tfstate', write: 'green/sample.auto.tfvars', ...extra }, register: 'prod' });

const journals = (run: TaskRun): string =>
  (existsSync(join(run.stateDir, 'runs')) ? readdirSync(join(run.stateDir, 'runs')) : [])
    .map((r) => join(run.stateDir, 'runs', r, 'journal.ndjson'))
    .filter(existsSync)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');

/** everything a run showed or recorded */
const visible = (run: TaskRun): string => JSON.stringify(run.reporter.events) + journals(run);

const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');

describe('tfvars-from-state: statefile source', () => {
  it('dry-run describes the reads and writes and touches nothing', async () => {
    const dir = workspace('rds-s3');
    const before = read(dir, 'green/sample.auto.tfvars');
    const { reporter } = await runTasks({ dir, mode: 'dry-run', tasks: [collect()] });
    const end = reporter.end('collect');
    expect(end.status).toBe('planned');
    expect(end.describe).toEqual([
      'read the production values from Terraform state prod.tfstate',
      'write green/upgrade.tfvars from templates/terraform/upgrade.tfvars.hbs',
      'merge the values into green/sample.auto.tfvars (existing keys replaced in place, new keys appended, previous file kept as .bak)',
    ]);
    expect(existsSync(join(dir, 'green/upgrade.tfvars'))).toBe(false);
    expect(read(dir, 'green/sample.auto.tfvars')).toBe(before);
  });

  it('rds-s3: check shows the diffs, run writes upgrade.tfvars and merges in place, a second run is ok', async () => {
    const dir = workspace('rds-s3');
    const original = read(dir, 'green/sample.auto.tfvars');

    const check = await runTasks({ dir, mode: 'check', diff: true, tasks: [collect()] });
    const c = check.reporter.end('collect');
    expect(c.status, c.message).toBe('changed');
    expect(c.changes.map((x) => `${x.action} ${x.target.replace(dir, '.')}`)).toEqual(['create file ./green/upgrade.tfvars', 'update file ./green/sample.auto.tfvars']);
    expect(c.notes).toContain('Cognito: nothing found, user_pool_id, cognito_user_pool_arn, cognito_user_pool_domain, certificate_arn, src_stage left out');
    expect(c.notes.some((n) => n.startsWith('EFS: nothing found'))).toBe(true);
    const merge = c.changes[1];
    // the diff shows the change, with the RDS endpoint and the user's own password redacted
    expect(merge.after).toContain('src_rds_endpoint = "***"');
    expect(merge.before).toContain('db_password = "***"');
    expect(read(dir, 'green/sample.auto.tfvars')).toBe(original);
    expect(existsSync(join(dir, 'green/upgrade.tfvars'))).toBe(false);

    const run = await runTasks({
      dir,
      tasks: [collect(), { name: 'use', assert: { that: ["{{eq prod.outputs.src_vpc_id 'vpc-0prod1234567890ab'}}", "{{eq (join prod.outputs.src_vpc_private_subnets ',') 'subnet-0priv0prod000000,subnet-0priv1prod000000,subnet-0priv2prod000000'}}"] } }],
    });
    expect(run.reporter.end('collect').status).toBe('changed');
    expect(run.reporter.end('use').status, run.reporter.end('use').message).toBe('ok');

    expect(read(dir, 'green/upgrade.tfvars')).toBe(
      [
        '# Values of the production deployment for the blue/green upgrade, read from Terraform state prod.tfstate.',
        '# Written by kfup (tfvars-from-state), which replaces this file on every run.',
        'src_vpc_private_subnets = ["subnet-0priv0prod000000", "subnet-0priv1prod000000", "subnet-0priv2prod000000"]',
        'src_vpc_public_subnets = ["subnet-0pub0prod0000000", "subnet-0pub1prod0000000", "subnet-0pub2prod0000000"]',
        'src_vpc_id = "vpc-0prod1234567890ab"',
        'src_vpc_cidr = "10.0.0.0/16"',
        'src_cluster_sg_id = "sg-0prodcluster12345"',
        'src_s3_secret_name = "s3-secret-prod"',
        'src_s3_bucket_name = "kf-artifacts-prod-20230502"',
        'src_rds_secret_name = "rds-secret-prod"',
        `src_rds_endpoint = "${RDS_ENDPOINT}"`,
        // no EFS in this production: the upgrade module's own switch, and the id it requires anyway (issue 13)
        'use_efs = false',
        'src_efs_fs_id = ""',
        '',
      ].join('\n'),
    );
    const merged = read(dir, 'green/sample.auto.tfvars');
    expect(merged).toBe(
      [
        '# Basic deployment information (copied from production)',
        'cluster_name="kubeflow-green"',
        'cluster_region="us-west-2"',
        'use_rds="true"',
        'use_s3="true"',
        'use_efs = false',
        'use_fsx="false"',
        'db_password = "PLANTED-tfvars-Pw-31xy"',
        '',
        '# set by hand in an earlier attempt',
        'src_vpc_id = "vpc-0prod1234567890ab" # production VPC',
        'src_vpc_private_subnets = ["subnet-0priv0prod000000", "subnet-0priv1prod000000", "subnet-0priv2prod000000"]',
        'src_vpc_public_subnets = ["subnet-0pub0prod0000000", "subnet-0pub1prod0000000", "subnet-0pub2prod0000000"]',
        'src_vpc_cidr = "10.0.0.0/16"',
        'src_cluster_sg_id = "sg-0prodcluster12345"',
        'src_s3_secret_name = "s3-secret-prod"',
        'src_s3_bucket_name = "kf-artifacts-prod-20230502"',
        'src_rds_secret_name = "rds-secret-prod"',
        `src_rds_endpoint = "${RDS_ENDPOINT}"`,
        'src_efs_fs_id = ""',
        '',
      ].join('\n'),
    );
    expect(read(dir, 'green/sample.auto.tfvars.bak')).toBe(original);

    // nothing planted in the state leaks; the RDS endpoint is only in the files it belongs in
    for (const r of [check, run]) {
      for (const s of [...PLANTED, RDS_ENDPOINT]) expect(visible(r)).not.toContain(s);
    }
    for (const f of ['green/upgrade.tfvars', 'green/sample.auto.tfvars']) for (const s of PLANTED.slice(0, 5)) expect(read(dir, f)).not.toContain(s);

    const again = await runTasks({ dir, tasks: [collect()] });
    expect(again.reporter.end('collect').status).toBe('ok');
    expect(read(dir, 'green/sample.auto.tfvars')).toBe(merged);
    expect(existsSync(join(dir, 'green/sample.auto.tfvars.bak.1'))).toBe(false);
  });

  it('cognito-rds-s3: Cognito values, the deployment-region certificate, EFS; explicit values win and are appended', async () => {
    const dir = workspace('cognito-rds-s3');
    const { reporter } = await runTasks({ dir, tasks: [collect({ values: { cluster_name: 'kubeflow-green-2', stage: 'green', use_alb_redirect: true, src_stage: '' } })] });
    const end = reporter.end('collect');
    expect(end.status, end.message).toBe('changed');
    const up = read(dir, 'green/upgrade.tfvars');
    expect(up).toContain('src_efs_fs_id = "fs-0prodefs1234567"\n');
    expect(up).toContain('user_pool_id = "us-west-2_PrOdPoOl1"\n');
    expect(up).toContain('cognito_user_pool_arn = "arn:aws:cognito-idp:us-west-2:111122223333:userpool/us-west-2_PrOdPoOl1"\n');
    expect(up).toContain('cognito_user_pool_domain = "auth.platform.example.com"\n');
    expect(up).toContain('certificate_arn = "arn:aws:acm:us-west-2:111122223333:certificate/aaaaaaaa-1111-2222-3333-444444444444"\n');
    expect(up).toContain('src_stage = ""\n');
    expect(up).toMatch(/stage = "green"\nuse_alb_redirect = true\n$/);
    const merged = read(dir, 'green/sample.auto.tfvars');
    expect(merged).toMatch(/^cluster_name = "kubeflow-green-2"$/m);
    expect(merged.match(/^cluster_name/gm)).toHaveLength(1);
    expect(merged).not.toContain('PLANTED-client-secret-77aa');
  });

  it('repairs a file that `cat upgrade.tfvars >> sample.auto.tfvars` ran on twice', async () => {
    const dir = workspace('rds-s3');
    const first = await runTasks({ dir, tasks: [collect({ write: undefined, upgrade_tfvars: 'green/upgrade.tfvars' })] });
    expect(first.reporter.end('collect').status).toBe('changed');
    const upgrade = read(dir, 'green/upgrade.tfvars');
    const file = join(dir, 'green/sample.auto.tfvars');
    writeFileSync(file, read(dir, 'green/sample.auto.tfvars') + upgrade + upgrade);
    const { reporter } = await runTasks({ dir, tasks: [collect()] });
    const end = reporter.end('collect');
    expect(end.status).toBe('changed');
    expect(end.notes.some((n) => /more than once/.test(n))).toBe(true);
    const text = readFileSync(file, 'utf8');
    for (const key of ['src_vpc_id', 'src_rds_endpoint', 'src_vpc_public_subnets']) expect(text.match(new RegExp(`^${key} =`, 'gm'))).toHaveLength(1);
    expect((await runTasks({ dir, tasks: [collect()] })).reporter.end('collect').status).toBe('ok');
  });

  it('a missing state file, another format version and a non-JSON file are clear errors', async () => {
    const dir = workspace('rds-s3');
    const missing = (await runTasks({ dir, mode: 'check', tasks: [collect({ statefile: 'nope.tfstate' })] })).reporter.end('collect');
    expect(missing.status).toBe('failed');
    expect(missing.message).toMatch(/^Terraform state file not found: .*nope\.tfstate$/);
    expect(missing.hint).toMatch(/terraform state pull/);

    const v3 = JSON.parse(read(dir, 'prod.tfstate')) as { version: number };
    v3.version = 3;
    writeFileSync(join(dir, 'old.tfstate'), JSON.stringify(v3));
    const old = (await runTasks({ dir, mode: 'check', tasks: [collect({ statefile: 'old.tfstate' })] })).reporter.end('collect');
    expect(old.message).toMatch(/old\.tfstate is a Terraform state of format version 3; kfup reads format version 4/);

    writeFileSync(join(dir, 'bad.tfstate'), `{"version": 4, "password": "PLANTED-db-Pw-9f8e7d6c" oops}`);
    const bad = await runTasks({ dir, mode: 'check', tasks: [collect({ statefile: 'bad.tfstate' })] });
    expect(bad.reporter.end('collect').message).toMatch(/is not a Terraform state file: it is not valid JSON/);
    expect(visible(bad)).not.toContain('PLANTED');
  });

  it('an unmapped value names the variable and what was searched; optional and mappings change that', async () => {
    const dir = workspace('rds-s3');
    const mappings = { src_rds_secret_name: [{ resource: '**.aws_secretsmanager_secret.database', attribute: 'name' }, { output: 'rds_secret' }] };
    const run = await runTasks({ dir, mode: 'check', tasks: [collect({ mappings, cognito: true })] });
    const end = run.reporter.end('collect');
    expect(end.status).toBe('failed');
    expect(end.message).toContain('no value for 5 variable(s) in Terraform state prod.tfstate:');
    expect(end.message).toContain('src_rds_secret_name: searched resource **.aws_secretsmanager_secret.database attribute name: absent; output "rds_secret": absent');
    expect(end.message).toContain('user_pool_id: searched resource **.aws_cognito_user_pool.platform attribute id: absent');
    expect(end.hint).toMatch(/mappings.*values.*optional/);
    expect(visible(run)).not.toContain('PLANTED');

    const ok = await runTasks({ dir, mode: 'check', tasks: [collect({ mappings, optional: ['src_rds_secret_name'] })] });
    const o = ok.reporter.end('collect');
    expect(o.status, o.message).toBe('changed');
    expect(o.notes).toContain('src_rds_secret_name: not found, left out (optional)');

    // a mapping to an attribute that is a map is refused without showing it
    const map = await runTasks({ dir, mode: 'check', tasks: [collect({ mappings: { src_vpc_id: [{ resource: 'module.vpc.aws_vpc.this', attribute: 'tags' }] } })] });
    expect(map.reporter.end('collect').message).toContain('module.vpc.aws_vpc.this[0] attribute tags is a map, not a single value');
    // a mapped attribute Terraform marks sensitive is treated as a secret
    const sens = await runTasks({ dir, mode: 'check', diff: true, tasks: [collect({ mappings: { src_s3_secret_name: [{ resource: '**.aws_secretsmanager_secret_version.s3_secret_version', attribute: 'secret_string' }] } })] });
    expect(sens.reporter.end('collect').status).toBe('changed');
    expect(visible(sens)).not.toContain('AKIAPLANTED0EXAMPLE7');
  });
});

const tfMissing = (() => {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    console.warn('terraform is not on PATH: the test that reads a state written by terraform is skipped');
    return true;
  }
})();

describe('tfvars-from-state: a state written by terraform apply', () => {
  it.skipIf(tfMissing)('reads terraform_data outputs and attributes from the real state', async () => {
    const dir = tempDir('kfup-tfvars-real-');
    cpSync(join(fx, 'configs', 'green'), join(dir, 'prod'), { recursive: true });
    const vars = { cluster_name: 'kubeflow-prod', src_vpc_id: 'vpc-0real', src_vpc_private_subnets: ['subnet-r1', 'subnet-r2'] };
    const mappings = {
      src_vpc_id: [{ resource: 'terraform_data.cluster', attribute: 'output.value.vpc_id' }],
      src_secret_input: [{ resource: 'terraform_data.database', attribute: 'input.value.secret' }],
      src_vpc_private_subnets: { list: true, from: [{ output: 'cluster_subnets' }] },
      src_db: { secret: true, from: [{ output: 'db_password' }] },
    };
    const { reporter } = await runTasks({
      dir,
      tasks: [
        { name: 'deploy', 'terraform-apply': { dir: 'prod', vars } },
        { name: 'collect', 'tfvars-from-state': { statefile: 'prod/terraform.tfstate', upgrade_tfvars: 'upgrade.tfvars', mappings, optional: [], values: {} }, register: 'prod' },
      ],
    });
    const end = reporter.end('collect');
    // the default mappings for the Kubeflow deployments find nothing in this small state
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/src_vpc_public_subnets: searched resource \*\*\.module\.vpc\.aws_subnet\.public\[\*\] attribute id: absent/);

    const second = await runTasks({
      dir,
      tasks: [{ name: 'collect', 'tfvars-from-state': { statefile: 'prod/terraform.tfstate', upgrade_tfvars: 'upgrade.tfvars', mappings, optional: ['src_vpc_public_subnets', 'src_vpc_cidr', 'src_cluster_sg_id', 'src_s3_secret_name', 'src_s3_bucket_name', 'src_rds_secret_name', 'src_rds_endpoint'] }, register: 'prod' }],
    });
    const e2 = second.reporter.end('collect');
    expect(e2.status, e2.message).toBe('changed');
    const up = read(dir, 'upgrade.tfvars');
    expect(up).toContain('src_vpc_id = "vpc-0real"\n');
    expect(up).toContain('src_vpc_private_subnets = ["subnet-r1", "subnet-r2"]\n');
    // a sensitive output, mapped on purpose: written where asked, never shown
    expect(up).toContain('src_db = "fixture-db-password-Zq81"\n');
    expect(up).toContain('src_secret_input = "fixture-db-password-Zq81"\n');
    expect(visible(second)).not.toContain('fixture-db-password-Zq81');
  }, 30_000);
});

describe('tfvars-from-state: cluster source (sandbox AWS)', () => {
  let emulator: AwsEmulator;
  let traffic: Traffic;
  let scenario: Scenario;
  const saved = { ...process.env };
  beforeAll(async () => {
    traffic = new Traffic();
    scenario = makeScenario();
    emulator = new AwsEmulator({ traffic, scenario });
    process.env.AWS_ENDPOINT_URL = await emulator.start();
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    process.env.AWS_REGION = scenario.region;
  });
  afterAll(async () => {
    await emulator.stop();
    for (const k of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  const fromCluster = (s: Scenario, extra: Record<string, unknown> = {}) => ({
    name: 'collect',
    'tfvars-from-state': {
      cluster: { name: s.blue.clusterName, s3_bucket: s.s3.bucket, rds_secret_name: s.rds.secretName, s3_secret_name: s.s3.secretName, efs_name: s.efs.name },
      write: 'green/sample.auto.tfvars',
      ...extra,
    },
    register: 'prod',
  });

  // in a manifest deployment Cognito is set up by hand: its values are given, as the reference procedure adds them
  const cognitoValues = (s: Scenario) => ({
    user_pool_id: s.cognito.userPoolId,
    cognito_user_pool_arn: `arn:aws:cognito-idp:${s.region}:${s.accountId}:userpool/${s.cognito.userPoolId}`,
    cognito_user_pool_domain: s.cognito.domain,
    certificate_arn: s.cognito.certificateArn,
  });

  it('check reads EKS, EC2, EFS and Secrets Manager without one mutating request; run writes; second run ok', async () => {
    const dir = tempDir('kfup-tfvars-cluster-');
    const targets = { aws: { region: scenario.region } };
    const start = traffic.log.mark();
    const check = await runTasks({ dir, mode: 'check', diff: true, targets, tasks: [fromCluster(scenario)] });
    const c = check.reporter.end('collect');
    expect(c.status, c.message).toBe('changed');
    expect(traffic.log.mutating().length).toBe(0);
    const ops = new Set(traffic.log.since(start).map((r) => r.operation));
    expect([...ops].sort()).toEqual(['DescribeCluster', 'DescribeFileSystems', 'DescribeSecret', 'DescribeSecurityGroups', 'DescribeSubnets', 'DescribeVpcs', 'GetSecretValue']);
    expect(existsSync(join(dir, 'green'))).toBe(false);

    const run = await runTasks({ dir, targets, tasks: [fromCluster(scenario, { values: cognitoValues(scenario) }), { name: 'use', assert: { that: [`{{eq prod.outputs.src_efs_fs_id '${scenario.efs.id}'}}`] } }] });
    expect(run.reporter.end('collect').status, run.reporter.end('collect').message).toBe('changed');
    expect(run.reporter.end('use').status, run.reporter.end('use').message).toBe('ok');
    const text = read(dir, 'green/sample.auto.tfvars');
    expect(text).toContain(`src_vpc_id = "${scenario.vpc.id}"\n`);
    expect(text).toContain(`src_vpc_cidr = "${scenario.vpc.cidr}"\n`);
    expect(text).toContain(`src_vpc_private_subnets = [${scenario.vpc.privateSubnets.map((s) => `"${s}"`).join(', ')}]\n`);
    expect(text).toContain(`src_vpc_public_subnets = [${scenario.vpc.publicSubnets.map((s) => `"${s}"`).join(', ')}]\n`);
    expect(text).toContain(`src_cluster_sg_id = "${scenario.vpc.clusterSecurityGroup}"\n`);
    expect(text).toContain(`src_efs_fs_id = "${scenario.efs.id}"\n`);
    expect(text).toContain(`src_rds_endpoint = "${scenario.rds.endpoint}"\n`);
    expect(text).toContain(`user_pool_id = "${scenario.cognito.userPoolId}"\n`);
    expect(text).toContain(`certificate_arn = "${scenario.cognito.certificateArn}"\n`);
    expect(text).toContain('src_stage = ""\n');
    // the RDS secret's other fields are never written or shown; the endpoint only in the files
    const secretValue = JSON.parse(emulator.state.secrets.secrets.get(scenario.rds.secretName)!.SecretString) as Record<string, string>;
    for (const r of [check, run]) {
      expect(visible(r)).not.toContain(scenario.rds.endpoint);
      expect(visible(r)).not.toContain(secretValue.password);
    }
    expect(text).not.toContain(secretValue.password);

    const again = await runTasks({ dir, targets, tasks: [fromCluster(scenario, { values: cognitoValues(scenario) })] });
    expect(again.reporter.end('collect').status).toBe('ok');
  });

  it('subnets without role tags are told apart by MapPublicIpOnLaunch; cognito: true needs the values', async () => {
    const s = makeScenario();
    for (const id of [...s.vpc.privateSubnets, ...s.vpc.publicSubnets]) {
      const sub = emulator.state.ec2.subnets.get(id)!;
      sub.tags = sub.tags.filter((t) => !t.Key.startsWith('kubernetes.io/role/'));
    }
    const dir = tempDir('kfup-tfvars-cluster-');
    const targets = { aws: { region: s.region } };
    const run = await runTasks({ dir, mode: 'check', targets, tasks: [fromCluster(s)] });
    const end = run.reporter.end('collect');
    expect(end.status, end.message).toBe('changed');
    const after = String(end.changes.find((x) => x.target.endsWith('sample.auto.tfvars'))!.after);
    expect(after).toContain(`src_vpc_public_subnets = [${s.vpc.publicSubnets.map((x) => `"${x}"`).join(', ')}]`);

    const cognito = await runTasks({ dir, mode: 'check', targets, tasks: [fromCluster(s, { cognito: true })] });
    const ce = cognito.reporter.end('collect');
    expect(ce.status).toBe('failed');
    expect(ce.message).toContain('user_pool_id: searched Cognito is set up by hand in a manifest deployment');
  });

  it('an unknown cluster is a clear error', async () => {
    const s = { ...makeScenario(), blue: { ...makeScenario().blue, clusterName: 'kubeflow-nope' } };
    const { reporter } = await runTasks({ dir: tempDir(), mode: 'check', targets: { aws: { region: s.region } }, tasks: [fromCluster(s)] });
    expect(reporter.end('collect').message).toBe('EKS cluster "kubeflow-nope" not found in us-west-2');
  });
});
