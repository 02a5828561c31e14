// Secrets never reach output: marker secrets planted in the production state file, the Secrets
// Manager secrets, the serving ingress's API keys and the environment file must not appear in
// stdout, stderr, the journal, or the files kfup writes, in any mode, with --diff, --output json
// and --debug. (The tfvars files are the exception by design: they carry the RDS endpoint to
// Terraform, so the marker planted in the endpoint is allowed there and nowhere else.)
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { kfupBin, repoRoot } from '../helpers/cli.js';
import { sandbox, upgradePlaybook } from './helpers.js';

const MARKERS = {
  statePassword: 'MARKER-STATE-DBPASS-4f1c',
  rdsPassword: 'MARKER-SM-RDSPASS-77aa',
  rdsHost: 'marker-rds-host-5e2d.example.internal',
  s3Key: 'MARKER-SM-S3KEY-19bd',
  apiKey: 'MARKER-SERVING-KEY-c0de',
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const run = (args: string[], env: Record<string, string>, cwd: string) =>
  new Promise<{ code: number; out: string }>((res) =>
    execFile(process.execPath, [kfupBin, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' }, cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
    ),
  );

describe('secrets', () => {
  it('never appear in any output, journal or written file', async () => {
    const { sb, done } = await sandbox();
    try {
      // plant the markers where production keeps secrets
      const rds = sb.aws.state.secrets.find(sb.scenario.rds.secretName)!;
      rds.SecretString = JSON.stringify({ ...JSON.parse(rds.SecretString!), password: MARKERS.rdsPassword, host: MARKERS.rdsHost });
      const s3 = sb.aws.state.secrets.find(sb.scenario.s3.secretName)!;
      s3.SecretString = JSON.stringify({ ...JSON.parse(s3.SecretString!), secretkey: MARKERS.s3Key });
      const state = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/terraform/states/cognito-rds-s3.tfstate'), 'utf8'));
      const stateFile = join(sb.dir, 'blue.tfstate');
      writeFileSync(stateFile, JSON.stringify(state).replace(/PLANTED-[A-Za-z0-9-]+/g, MARKERS.statePassword));
      const env = parse(readFileSync(sb.environmentFile, 'utf8'));
      env.vars.serving_api_keys = [MARKERS.apiKey];
      env.secrets = ['serving_api_keys'];
      const envFile = join(sb.dir, 'secret-env.yaml');
      writeFileSync(envFile, stringify(env));
      copyFileSync(sb.kubeconfigPath, join(sb.dir, 'kubeconfig.copy'));

      const outputs: string[] = [];
      const base = ['run', upgradePlaybook, '--env', envFile, '--yes', '--state-dir', join(sb.dir, '.kfup'), '--diff', '--debug'];
      for (const source of ['cluster', 'statefile']) {
        const vars = ['--var', `tfvars_source=${source}`, '--var', `blue_tfstate=${stateFile}`];
        for (const mode of [['--dry-run'], ['--check'], []]) {
          for (const output of [['--output', 'json'], []]) {
            const r = await run([...base, ...vars, ...mode, ...output], sb.env, sb.dir);
            expect(r.code, r.out.slice(-1500)).toBe(0);
            outputs.push(r.out);
          }
        }
      }
      // the state file really was read: its non-secret values reached green's tfvars
      const tfvars = readFileSync(join(sb.dir, 'green-terraform', 'sample.auto.tfvars'), 'utf8');
      expect(tfvars).toMatch(/src_vpc_id = "vpc-/);

      const files = walk(sb.dir).filter((f) => !f.endsWith('blue.tfstate') && !f.endsWith('secret-env.yaml') && !f.includes('/.terraform/'));
      const written = files.map((f) => ({ f, text: readFileSync(f, 'utf8') }));
      for (const [name, marker] of Object.entries(MARKERS)) {
        for (const out of outputs) expect(out.includes(marker), `${name} in command output`).toBe(false);
        for (const { f, text } of written) {
          // terraform's own state and the tfvars exist to hold the endpoint; nothing else may
          const carriesEndpoint = name === 'rdsHost' && (/\.tfvars(\.bak(\.\d+)?)?$/.test(f) || /terraform\.tfstate/.test(f));
          if (!carriesEndpoint) expect(text.includes(marker), `${name} in ${f}`).toBe(false);
        }
      }
    } finally {
      await done();
    }
  }, 240_000); // twelve runs of the upgrade, each deploying green in the Makefile's four Terraform stages
});
