// tfvars-from-state through the conformance tester (test/kit/task-tester.ts): Terraform states
// shaped like the two Kubeflow on AWS deployments (secrets planted in them), and the `cluster`
// source against the sandbox's AWS. The tester asserts the invariants (dry-run sends nothing,
// check sends no mutating request, run then check plans nothing); the cases add what is particular
// to tfvars-from-state. The exact files, outputs used later, repairs and errors:
// tfvars-from-state.edges.test.ts.
import { copyFileSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { tempDir } from '../helpers/run.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
const fx = join(import.meta.dirname, '..', 'fixtures', 'terraform');
const PLANTED = ['PLANTED-db-Pw-9f8e7d6c', 'AKIAPLANTED0EXAMPLE7', 'PLANTEDsecretKey/0123456789abcdefghijABCDEFG', 'PLANTED-client-secret-77aa', 'LS0tLS1CRUdJTiBQTEFOVEVELUNB', 'PLANTED-tfvars-Pw-31xy'];
const RDS_ENDPOINT = 'kubeflow-db.cprod1234567.us-west-2.rds.amazonaws.com';

/** a directory with prod.tfstate and green/sample.auto.tfvars, by absolute path (each phase of a case runs in its own directory) */
let ws = '';
const workspace = (state?: string) => () => {
  ws = tempDir('kfup-tfvars-');
  if (state) copyFileSync(join(fx, 'states', `${state}.tfstate`), join(ws, 'prod.tfstate'));
  cpSync(join(fx, 'tfvars'), join(ws, 'green'), { recursive: true });
};
const read = (f: string) => readFileSync(join(ws, f), 'utf8');

// in a manifest deployment Cognito is set up by hand: its values are given, as the reference procedure adds them
const cognitoValues = (sb: Sandbox) => ({
  user_pool_id: sb.scenario.cognito.userPoolId,
  cognito_user_pool_arn: `arn:aws:cognito-idp:${sb.scenario.region}:${sb.scenario.accountId}:userpool/${sb.scenario.cognito.userPoolId}`,
  cognito_user_pool_domain: sb.scenario.cognito.domain,
  certificate_arn: sb.scenario.cognito.certificateArn,
});

taskTester({
  type: 'tfvars-from-state',
  valid: [
    {
      name: 'rds-s3 state: writes upgrade.tfvars and merges the values in place; nothing planted leaks',
      setup: workspace('rds-s3'),
      params: () => ({ statefile: join(ws, 'prod.tfstate'), write: join(ws, 'green/sample.auto.tfvars') }),
      after: ({ run, check }) => {
        const end = run.reporter.end(TASK);
        expect(end.changes.map((x) => `${x.action} ${x.target.replace(ws, '.')}`)).toEqual(['create file ./green/upgrade.tfvars', 'update file ./green/sample.auto.tfvars']);
        expect(end.notes).toContain('Cognito: nothing found, user_pool_id, cognito_user_pool_arn, cognito_user_pool_domain, certificate_arn, src_stage left out');
        // the diff shows the change, with the RDS endpoint and the user's own password redacted
        expect(end.changes[1].after).toContain('src_rds_endpoint = "***"');
        expect(end.changes[1].before).toContain('db_password = "***"');
        expect(read('green/upgrade.tfvars')).toContain('src_vpc_id = "vpc-0prod1234567890ab"\n');
        expect(read('green/upgrade.tfvars')).toContain(`src_rds_endpoint = "${RDS_ENDPOINT}"\n`);
        expect(read('green/sample.auto.tfvars')).toContain('src_vpc_id = "vpc-0prod1234567890ab" # production VPC\n');
        expect(read('green/sample.auto.tfvars.bak')).toBe(readFileSync(join(fx, 'tfvars', 'sample.auto.tfvars'), 'utf8'));
        const shown = JSON.stringify([run.reporter.events, check.reporter.events]);
        for (const s of [...PLANTED, RDS_ENDPOINT]) expect(shown).not.toContain(s);
      },
    },
    {
      name: 'cognito-rds-s3 state: Cognito values and EFS found; values given win and are appended',
      setup: workspace('cognito-rds-s3'),
      params: () => ({ statefile: join(ws, 'prod.tfstate'), write: join(ws, 'green/sample.auto.tfvars'), values: { cluster_name: 'kubeflow-green-2', stage: 'green' } }),
      after: () => {
        const up = read('green/upgrade.tfvars');
        expect(up).toContain('src_efs_fs_id = "fs-0prodefs1234567"\n');
        expect(up).toContain('user_pool_id = "us-west-2_PrOdPoOl1"\n');
        expect(up).toMatch(/stage = "green"\n$/);
        expect(read('green/sample.auto.tfvars').match(/^cluster_name/gm)).toHaveLength(1);
      },
    },
    {
      name: "the cluster source reads EKS, EC2, EFS and Secrets Manager, and shows none of the RDS secret",
      setup: workspace(),
      params: (sb) => ({
        cluster: { name: sb.scenario.blue.clusterName, s3_bucket: sb.scenario.s3.bucket, rds_secret_name: sb.scenario.rds.secretName, s3_secret_name: sb.scenario.s3.secretName, efs_name: sb.scenario.efs.name },
        write: join(ws, 'green/sample.auto.tfvars'),
        values: cognitoValues(sb),
      }),
      after: ({ sb, run, check }) => {
        const text = read('green/sample.auto.tfvars');
        // replaced in place: the comment the user wrote after it stays
        expect(text).toContain(`src_vpc_id = "${sb.scenario.vpc.id}" # production VPC\n`);
        expect(text).toContain(`src_vpc_private_subnets = [${sb.scenario.vpc.privateSubnets.map((s) => `"${s}"`).join(', ')}]\n`);
        expect(text).toContain(`src_efs_fs_id = "${sb.scenario.efs.id}"\n`);
        expect(text).toContain(`src_rds_endpoint = "${sb.scenario.rds.endpoint}"\n`);
        expect(JSON.stringify([run.reporter.events, check.reporter.events])).not.toContain(sb.scenario.rds.endpoint);
      },
    },
  ],
  invalid: [
    { name: 'neither a state nor a cluster', params: { write: 'green/sample.auto.tfvars' }, error: /statefile|cluster|oneOf|one of/ },
    { name: 'a group switch that is neither true, false nor auto', params: { statefile: 'prod.tfstate', cognito: 'yes' }, error: /cognito/ },
    { name: 'a value whose name Terraform does not allow', params: { statefile: 'prod.tfstate', values: { '1st': 'x' } }, error: /values/ },
    { name: 'a mapping rule with an attribute but no resource', params: { statefile: 'prod.tfstate', mappings: { src_vpc_id: [{ attribute: 'id' }] } }, error: /mappings/ },
  ],
});
