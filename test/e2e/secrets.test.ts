// Secrets never reach output, whatever form they take on the way (--var, helpers, JSON, URL and
// base64 encodings), in any mode or output format, nor any file kfup writes. (The whole upgrade
// with secrets planted in Secrets Manager, the state file, a vars file and --var is
// test/e2e/secrets-upgrade.test.ts.)
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { filesUnder as walk, kfupCli } from './helpers.js';

const run = (args: string[], env: Record<string, string>, cwd: string) => kfupCli(args, env, cwd).done;

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
