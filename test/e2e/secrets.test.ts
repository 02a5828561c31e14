// Secrets never reach output: marker secrets planted in the production state file, the Secrets
// Manager secrets, the serving ingress's API keys and the environment file must not appear in
// stdout, stderr, the journal, or the files kfup writes, in any mode, with --diff, --output json
// and --debug. (The tfvars files are the exception by design: they carry the RDS endpoint to
// Terraform, so the marker planted in the endpoint is allowed there and nowhere else.)
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
      const rds = sb.aws.state.secrets.find(sb.scenario.rds.secretName);
      rds.SecretString = JSON.stringify({ ...JSON.parse(rds.SecretString), password: MARKERS.rdsPassword, host: MARKERS.rdsHost });
      const s3 = sb.aws.state.secrets.find(sb.scenario.s3.secretName);
      s3.SecretString = JSON.stringify({ ...JSON.parse(s3.SecretString), secretkey: MARKERS.s3Key });
      const state = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/terraform/states/cognito-rds-s3.tfstate'), 'utf8')) as unknown;
      const stateFile = join(sb.dir, 'blue.tfstate');
      writeFileSync(stateFile, JSON.stringify(state).replace(/PLANTED-[A-Za-z0-9-]+/g, MARKERS.statePassword));
      const env = parse(readFileSync(sb.environmentFile, 'utf8')) as { vars: Record<string, unknown>; secrets?: string[] };
      env.vars.serving_api_keys = [MARKERS.apiKey];
      env.secrets = ['serving_api_keys'];
      const envFile = join(sb.dir, 'secret-env.yaml');
      writeFileSync(envFile, stringify(env));
      copyFileSync(sb.kubeconfigPath, join(sb.dir, 'kubeconfig.copy'));

      const outputs: string[] = [];
      const base = ['run', upgradePlaybook, '--env', envFile, '--yes', '--state-dir', join(sb.dir, '.kfup'), '--diff', '--debug'];
      // every mode, each output format, and each tfvars source: the Secrets Manager values (the
      // cluster source) in a dry-run and in a check, whose --diff shows the tfvars and Terraform's
      // plan with the values of that source; the state file's through the run itself, which plans
      // as check does and then writes and applies. (A run with the cluster source, a failure and
      // a resume are test/e2e/secrets-upgrade.test.ts's.)
      const json = ['--output', 'json'];
      for (const [source, mode, format] of [
        ['cluster', ['--dry-run'], json],
        ['cluster', ['--check'], []],
        ['statefile', [], json],
      ] as const) {
        const vars = ['--var', `tfvars_source=${source}`, '--var', `blue_tfstate=${stateFile}`];
        const r = await run([...base, ...vars, ...mode, ...format], sb.env, sb.dir);
        expect(r.code, r.out.slice(-1500)).toBe(0);
        outputs.push(r.out);
      }
      // the check did see the planted Secrets Manager values: the endpoint is in its plan, redacted
      expect(outputs[1]).toMatch(/src_rds_endpoint/);
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
  }, 240_000); // three runs of the upgrade, one deploying green in the Makefile's four Terraform stages
});

// Issue 14: a secret in every form it takes. Passed with --var (so meta.json must keep only a
// digest), with a quote and a backslash (so JSON escaping changes it, twice inside the journal),
// transformed by helpers ({{upper}}, {{json}}, {{concat}}), URL-encoded and base64-encoded in
// the grep; through run, check, --diff, JSON, Markdown, a failure and a rollback. Then every
// output, every file under .kfup/, every file written and kfup's temp entries are searched.
describe('a secret in every form', () => {
  const SECRET = 'Tok"en\\sl4sh-MARKER-9c1e';
  const forms = (s: string): Record<string, string> => ({
    raw: s,
    upper: s.toUpperCase(),
    json1: JSON.stringify(s).slice(1, -1),
    json2: JSON.stringify(JSON.stringify(s)).slice(1, -1),
    url: encodeURIComponent(s),
    base64: Buffer.from(s).toString('base64').replace(/=+$/, ''),
    upperJson: JSON.stringify(s.toUpperCase()).slice(1, -1),
  });

  it('is found in no output, no file under .kfup/, no written file and no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfup-secret-forms-'));
    try {
      const pb = join(dir, 'pb.yaml');
      const playbook = (fail: boolean) => stringify({
        name: 'secret forms',
        secrets: ['token'],
        vars: { token: 'placeholder', fail },
        tasks: [
          { name: 'derive', 'set-vars': { shout: '{{upper token}}', wrapped: "{{json (concat 'k=' token)}}" } },
          { name: 'write notice', template: { dest: 'out/notice.txt', content: 'a notice of {{length token}} characters\n', mode: '0600' } },
          { name: 'check', assert: { that: ["{{not fail}}"], fail_msg: 'failed with {{shout}} {{wrapped}} {{token}}', success_msg: 'ok {{shout}}' } },
        ],
      });
      const outputs: string[] = [];
      const state = ['--state-dir', join(dir, '.kfup')];
      const v = ['--var', `token=${SECRET}`];
      writeFileSync(pb, playbook(false));
      for (const args of [
        ['run', pb, ...v, ...state, '--yes', '--diff'],
        ['run', pb, ...v, ...state, '--yes', '-o', 'json'],
        ['run', pb, ...v, ...state, '--check', '--diff'],
        ['run', pb, ...v, ...state, '--check', '--format', 'markdown'],
        ['run', pb, ...v, ...state, '--dry-run', '-o', 'json', '--diff'],
        ['vars', pb, ...v],
        ['validate', pb, ...v],
      ]) {
        const r = await run(args, {}, dir);
        expect(r.code, `${args.join(' ')}: ${r.out.slice(-800)}`).toBe(0);
        outputs.push(r.out);
      }
      // a failure, then a rollback of that run (given the --var again: only its digest was kept)
      writeFileSync(pb, playbook(true));
      const failed = await run(['run', pb, ...v, ...state, '--yes', '--var', 'fail=true'], {}, dir);
      expect(failed.code).toBe(1);
      outputs.push(failed.out);
      const rb = await run(['rollback', 'last', ...state, '--yes', ...v, '--var', 'fail=true'], {}, dir);
      outputs.push(rb.out);
      expect(rb.out).not.toMatch(/internal error/);

      // the file asked for with mode 0600 has it (backup is on by default)
      expect(statSync(join(dir, 'out', 'notice.txt')).mode & 0o777).toBe(0o600);
      const files = walk(dir).filter((f) => f !== pb);
      expect(files.some((f) => f.endsWith('meta.json'))).toBe(true);
      const temps = readdirSync(tmpdir()).filter((n) => /^kfup-tf(plan|data)-/.test(n)).map((n) => join(tmpdir(), n));
      for (const [form, needle] of Object.entries(forms(SECRET))) {
        for (const out of outputs) expect(out.includes(needle), `${form} in command output`).toBe(false);
        for (const f of [...files, ...temps.filter((t) => existsSync(t) && statSync(t).isFile())]) expect(readFileSync(f, 'utf8').includes(needle), `${form} in ${f}`).toBe(false);
      }
      mkdirSync(join(dir, 'unused'), { recursive: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
