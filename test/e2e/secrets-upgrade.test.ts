// Issue 14, "Done when": a secret planted in every form, through the WHOLE upgrade
// (playbooks/blue-green-upgrade.yaml against the sandbox, as test/e2e/upgrade.test.ts runs it):
// a dry-run (--output json) and a check of the state file source, both with --diff and --debug;
// a check with --diff (as Markdown, with an HTML --report), a run that fails at the cut-over (a
// fault injected into Route 53) with --debug, its resume with --output json and --debug, `kfup
// report` of the run, and a rollback. The secrets: the serving API keys (the playbook's secret
// variable, from a vars file) and a token passed with --var that the environment declares secret
// (kept in meta.json only as a digest, and given again to the rollback), both with a quote and a
// backslash so that JSON escaping changes them; the RDS and S3 credentials and the RDS endpoint in
// the sandbox's Secrets Manager, which kfup reads; the passwords in the production Terraform state
// file. Then every output, every file under the state directory, every file written beside the
// sandbox and kfup's temporary entries are searched for each secret raw, JSON-escaped once and
// twice, base64-encoded (at each of the three byte alignments), URL-encoded and as a plain SHA-256
// (which meta.json held for --var values). Nothing is found, but for the RDS endpoint in green's
// tfvars and Terraform's state, which exist to carry it. (Writing tfvars from a state file that
// holds secrets is test/modules/tfvars-from-state*.test.ts's.)
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from '../helpers/cli.js';
import { FAST, filesUnder as walk, kfupCli, sandbox, upgradePlaybook } from './helpers.js';
import { upgradeEndState } from '../../src/sandbox/summary.js';

const SECRETS = {
  apiKey: 'Key"api\\MARKER-7f3a',
  token: 'tok"en\\MARKER-c41d',
  rdsPassword: 'pw"rds\\MARKER-09be',
  s3Key: 'MARKER-S3KEY-5a61+/=',
  // the RDS endpoint in the Secrets Manager secret: Terraform needs it, so green's tfvars and
  // Terraform's own state hold it by design; nothing else may
  rdsHost: 'marker-rds-host-5e2d.example.internal',
  // the passwords in the production Terraform state file (the state file source of the tfvars)
  statePassword: 'MARKER-STATE-DBPASS-4f1c',
};
/** the files that exist to carry the RDS endpoint to Terraform */
const carriesEndpoint = (f: string) => /\.tfvars(\.bak(\.\d+)?)?$/.test(f) || /terraform\.tfstate/.test(f);

/** the forms a value takes on its way through JSON, HTTP and Kubernetes Secrets */
function forms(s: string): Record<string, string> {
  const out: Record<string, string> = {
    raw: s,
    json1: JSON.stringify(s).slice(1, -1),
    json2: JSON.stringify(JSON.stringify(s)).slice(1, -1),
    url: encodeURIComponent(s),
    // an unsalted hash gives a short secret away to anyone who tries candidates
    sha256: createHash('sha256').update(s).digest('hex'),
  };
  // inside a longer base64 text the value starts at any of three byte offsets: for each, the
  // characters that depend on the value's bytes alone
  for (let pad = 0; pad < 3; pad++) {
    const b = Buffer.from('\0'.repeat(pad) + s).toString('base64');
    const from = pad === 0 ? 0 : pad === 1 ? 2 : 3;
    const usable = Math.floor((pad + Buffer.byteLength(s)) / 3) * 4;
    out[`base64@${pad}`] = b.slice(from, usable);
  }
  return out;
}

describe('secrets through the whole upgrade', () => {
  it('appear in no output, no state file, no written file and no temp file: check --diff, a failed run, its resume killed in the cut-over, the reports and the rollback that puts blue back', async () => {
    const tempsBefore = new Set(readdirSync(tmpdir()));
    // DNS changes take 4 s to be INSYNC, so that a kill lands between the ALB rule and DNS
    const { sb, done } = await sandbox({ timing: { ...FAST, dnsChangeMs: 4000 } });
    try {
      const before = upgradeEndState(sb);
      const rds = sb.aws.state.secrets.find(sb.scenario.rds.secretName);
      rds.SecretString = JSON.stringify({ ...JSON.parse(rds.SecretString), password: SECRETS.rdsPassword, host: SECRETS.rdsHost });
      const s3 = sb.aws.state.secrets.find(sb.scenario.s3.secretName);
      s3.SecretString = JSON.stringify({ ...JSON.parse(s3.SecretString), secretkey: SECRETS.s3Key });
      const env = parse(readFileSync(sb.environmentFile, 'utf8')) as { vars: Record<string, unknown>; secrets?: string[] };
      env.secrets = [...(env.secrets ?? []), 'change_token'];
      const envFile = join(sb.dir, 'secret-env.yaml');
      writeFileSync(envFile, stringify(env));
      const varsFile = join(sb.dir, 'secret-vars.yaml');
      writeFileSync(varsFile, stringify({ serving_api_keys: [SECRETS.apiKey] }));
      const stateDir = join(sb.dir, '.kfup');
      // the production state file, its passwords replaced by the marker
      const stateFile = join(sb.dir, 'blue.tfstate');
      writeFileSync(stateFile, readFileSync(join(repoRoot, 'test/fixtures/terraform/states/cognito-rds-s3.tfstate'), 'utf8').replace(/PLANTED-[A-Za-z0-9-]+/g, SECRETS.statePassword));
      // tfvars_source=cluster: the production values are read through the AWS APIs, the RDS and S3
      // credentials from Secrets Manager among them (the state file path reads none)
      const inputs = ['--env', envFile, '--vars-file', varsFile, '--var', `change_token=${SECRETS.token}`, '--var', 'tfvars_source=cluster', '--state-dir', stateDir];
      const outputs: Record<string, string> = {};
      const step = async (name: string, args: string[], code: number) => {
        const r = await kfupCli(args, sb.env, sb.dir).done;
        outputs[name] = r.out;
        expect(r.code, `${name}: ${r.out.slice(-2000)}`).toBe(code);
        return r.out;
      };

      // a dry-run and a check from the state file, with --debug: what they print of each source
      await step('dry-run, json', ['run', upgradePlaybook, ...inputs, '--dry-run', '--diff', '--debug', '-o', 'json'], 0);
      const fromState = inputs.map((a) => (a === 'tfvars_source=cluster' ? 'tfvars_source=statefile' : a));
      const stateCheck = await step('check, state file source', ['run', upgradePlaybook, ...fromState, '--var', `blue_tfstate=${stateFile}`, '--check', '--diff', '--debug'], 0);
      // the state file really was read: its values are in the tfvars the check would write
      expect(stateCheck).toMatch(/src_vpc_id/);
      await step('check --diff (markdown, html)', ['run', upgradePlaybook, ...inputs, '--check', '--diff', '--format', 'markdown', '--report', join(sb.dir, 'check.html')], 0);
      // the cut-over's DNS change fails (after the serving ingress got the keys): the run fails there
      sb.traffic.setFaults([{ fault: 'error500', target: 'aws', operation: 'ChangeResourceRecordSets' }]);
      // with --debug: a failure's stack trace and the debug lines are where a secret would slip out
      const runArgs = ['run', upgradePlaybook, ...inputs, '--yes'];
      const failed = await step('failed run', [...runArgs, '--diff', '--debug'], 1);
      expect(failed).toMatch(/stopped at "Send users to green"/);
      sb.traffic.setFaults([]);
      // Issue 15: its resume is killed with SIGKILL in the middle of the cut-over, the ALB rule on
      // green and the DNS change submitted but not yet INSYNC (4 s here); then the dead run is
      // rolled back from the CLI and users are back on blue
      const mark = sb.requestLog.mark();
      const resume = kfupCli([...runArgs, '--resume', 'last', '-o', 'json', '--debug'], sb.env, sb.dir);
      const dnsSubmitted = () => sb.requestLog.since(mark).some((e) => e.operation === 'ChangeResourceRecordSets' && e.fault === undefined);
      for (let i = 0; i < 2400 && !dnsSubmitted(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(dnsSubmitted(), 'the resumed cut-over submitted its DNS change').toBe(true);
      resume.kill();
      outputs['resume, json, killed'] = (await resume.done).out;
      expect(upgradeEndState(sb).albRedirectHost, 'the ALB rule moved to green').toBe(sb.scenario.green.platformDomain);
      // the secrets did their work: green's serving ingress holds the API key (in its ALB conditions)
      expect(JSON.stringify(sb.clusters.green.server.store.list('networking.k8s.io/v1', 'Ingress'))).toContain('MARKER-7f3a');
      expect(await step('runs', ['runs', '--state-dir', stateDir], 0)).toMatch(/run\s+killed\s+yes\s/);
      await step('report', ['report', 'last', '--state-dir', stateDir, '--output', join(sb.dir, 'run.html')], 0);
      // without a terminal and without --yes: refused, nothing changed
      expect(await step('rollback, unapproved', ['rollback', 'last', upgradePlaybook, ...inputs], 2)).toMatch(/no terminal to ask for approval/);
      expect(upgradeEndState(sb).albRedirectHost).toBe(sb.scenario.green.platformDomain);
      const back = await step('rollback', ['rollback', 'last', upgradePlaybook, ...inputs, '--yes'], 0);
      expect(back).toMatch(/revert: Send users to green \[alb-cutover\] \(interrupted part-way\)/);
      // the data stores are not restored automatically: where the snapshots are and how to restore
      // them is said in the plain output
      expect(back).toMatch(/aws backup start-restore-job --recovery-point-arn/);
      const after = upgradeEndState(sb);
      expect(after.albRedirectHost).toEqual(before.albRedirectHost);
      expect(after.records).toEqual(before.records);

      const written = walk(sb.dir).filter((f) => f !== varsFile && f !== envFile && f !== stateFile);
      // the planted endpoint was read from Secrets Manager and reached green's tfvars, where it belongs
      expect(written.filter(carriesEndpoint).some((f) => f.endsWith('.tfvars') && readFileSync(f, 'utf8').includes(SECRETS.rdsHost))).toBe(true);
      expect(written.some((f) => f.endsWith('meta.json'))).toBe(true);
      expect(written).toContain(join(sb.dir, 'run.html'));
      // kfup's own temporary entries (kfup-<what>-<pid>-XXXXXX: saved plans, Terraform data
      // directories) made meanwhile; they are removed after use, so usually there are none left
      const temps = readdirSync(tmpdir())
        // (the sandbox's own directory, where this test wrote its inputs, is searched above)
        .filter((n) => /^kfup-[a-z]+-\d+-[A-Za-z0-9]{6}$/.test(n) && !tempsBefore.has(n) && join(tmpdir(), n) !== sb.dir)
        .flatMap((n) => {
          const p = join(tmpdir(), n);
          return existsSync(p) && statSync(p).isFile() ? [p] : walk(p);
        });
      const contents = (f: string): string => {
        try {
          return readFileSync(f, 'latin1');
        } catch {
          return ''; // a temp file removed since it was listed
        }
      };
      const leaks: string[] = [];
      for (const [name, secret] of Object.entries(SECRETS)) {
        for (const [form, needle] of Object.entries(forms(secret))) {
          for (const [step, out] of Object.entries(outputs)) if (out.includes(needle)) leaks.push(`${name} (${form}) in the output of ${step}`);
          for (const f of [...written, ...temps]) if (!(name === 'rdsHost' && carriesEndpoint(f)) && contents(f).includes(needle)) leaks.push(`${name} (${form}) in ${f}`);
        }
      }
      expect(leaks).toEqual([]);
    } finally {
      await done();
      // the sandbox directory holds the planted secrets' files
      rmSync(sb.dir, { recursive: true, force: true });
    }
  }, 240_000);
});
