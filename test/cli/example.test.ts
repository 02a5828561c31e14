// The example playbook through the built CLI, in all three modes, with the recap, --diff,
// --output json, --format markdown and the exit codes.
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { kfup, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

let dir: string;
let playbook: string;
const env = ['--env', 'staging'];

beforeAll(() => {
  dir = tempDir('kfup-cli-');
  // only the files under version control: not an out/ or .kfup/ left by someone trying it out
  cpSync(join(repoRoot, 'playbooks/examples'), dir, { recursive: true, filter: (src) => !/[/\\](out|\.kfup)([/\\]|$)/.test(src) });
  playbook = join(dir, 'example.yaml');
  writeFileSync(join(dir, 'more-profiles.yaml'), 'profiles: [team-a, team-b, team-c, team-z]\n');
});

describe('kfup CLI on the example playbook', () => {
  it('validates it', async () => {
    const r = await kfup(['validate', playbook, ...env]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid \(Example playbook, 9 tasks\)/);
  });

  it('dry-run describes every task and writes nothing', async () => {
    const r = await kfup(['run', playbook, ...env, '--dry-run'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/planned\s+Check each profile name \(item=team-c\)/);
    expect(r.stdout).toMatch(/- ask: Upgrade staging now \(3 profiles\)\?/);
    expect(r.stdout).toMatch(/RECAP \(dry-run, run \S+, .*\)\s+ok=0\s+changed=0\s+skipped=0\s+failed=0\s+planned=9/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, '.kfup'))).toBe(false);
    expect(r.stdout).not.toContain('\u001b');
  });

  it('check --diff shows the file it would write, and --detailed-exitcode says changes are pending', async () => {
    const r = await kfup(['run', playbook, ...env, '--check', '--diff', '--detailed-exitcode'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/would change\s+Write the maintenance notice/);
    expect(r.stdout).toMatch(/\+ create file .*upgrade-notice-staging\.md/);
    expect(r.stdout).toMatch(/^\s+\+- team-c$/m);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('run stops at the approval gate without a terminal, and goes through with --yes', async () => {
    const noYes = await kfup(['run', playbook, ...env], { cwd: dir });
    expect(noYes.code).toBe(1);
    expect(noYes.stdout).toMatch(/approval needed and there is no terminal/);
    expect(noYes.stdout).toMatch(/hint: .*--yes/);

    const r = await kfup(['run', playbook, ...env, '--yes'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/RECAP \(run, run \S+, .*\)\s+ok=8\s+changed=1\s+skipped=0\s+failed=0/);
    expect(readFileSync(join(dir, 'out/upgrade-notice-staging.md'), 'utf8')).toContain('- team-c');

    const again = await kfup(['run', playbook, ...env, '--yes'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/ok=9\s+changed=0/);

    const check = await kfup(['run', playbook, ...env, '--check', '--detailed-exitcode'], { cwd: dir });
    expect(check.code).toBe(0);
  });

  it('a --var override changes the file, and the replaced file is kept as a backup', async () => {
    const r = await kfup(['run', playbook, ...env, '--yes', '--var', 'output_dir=out', '--vars-file', join(dir, 'more-profiles.yaml')], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/changed\s+Write the maintenance notice/);
    expect(readFileSync(join(dir, 'out/upgrade-notice-staging.md'), 'utf8')).toContain('- team-z');
    expect(readFileSync(join(dir, 'out/upgrade-notice-staging.md.bak'), 'utf8')).not.toContain('- team-z');
  });

  it('--output json writes one JSON event per line', async () => {
    const r = await kfup(['run', playbook, ...env, '--check', '--output', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; counts?: Record<string, number> });
    expect(events[0].type).toBe('run-start');
    expect(events.at(-1)?.type).toBe('recap');
    expect(events.filter((e) => e.type === 'task-end').length).toBeGreaterThanOrEqual(10);
    expect(events.at(-1)?.counts?.failed).toBe(0);
  });

  it('--format markdown writes the plan for review', async () => {
    const r = await kfup(['run', playbook, '--env', 'staging', '--var', 'environment_name=review', '--check', '--diff', '--format', 'markdown'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# kfup plan: Example playbook/);
    expect(r.stdout).toMatch(/\| \d+ \| Write the maintenance notice \| would change \| 1 \|/);
    expect(r.stdout).toMatch(/```diff\n[\s\S]*\+# Kubeflow upgrade: review/);
  });

  it('lists tasks, variables with their sources, and runs', async () => {
    const tasks = await kfup(['list-tasks', playbook]);
    expect(tasks.stdout).toMatch(/6\. Independent checks \(parallel block\)/);
    expect(tasks.stdout).toMatch(/7\. Backup name is set \[assert\]/);
    const vars = await kfup(['vars', playbook, ...env, '--var', 'use_knative=false']);
    expect(vars.stdout).toMatch(/environment_name\s+staging\s+\(environment staging\)/);
    expect(vars.stdout).toMatch(/backup_prefix\s+kf-upgrade\s+\(playbook\)/);
    expect(vars.stdout).toMatch(/use_knative\s+false\s+\(--var\)/);
    const runs = await kfup(['runs', '--state-dir', join(dir, '.kfup')]);
    expect(runs.stdout).toMatch(/completed .* Example playbook \(env staging\)/);
    expect(runs.stdout).toMatch(/failed .* Example playbook/);
  });
});

describe('kfup CLI: schema, modules and errors', () => {
  it('prints one combined schema that the example validates against', async () => {
    const r = await kfup(['schema']);
    const schema = JSON.parse(r.stdout) as { definitions: Record<string, unknown> };
    expect(Object.keys(schema.definitions)).toEqual(expect.arrayContaining(['task-assert', 'task-pause', 'task-set-vars', 'task-template']));
    const ajv = new Ajv({ strict: false, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    const example = parse(readFileSync(join(repoRoot, 'playbooks/examples/example.yaml'), 'utf8')) as { tasks: Record<string, unknown>[] };
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    example.tasks[0].asert = example.tasks[0].assert;
    expect(validate(example)).toBe(false);
  });

  it('describes every task type from its schema', async () => {
    const r = await kfup(['modules']);
    for (const t of ['assert', 'pause', 'set-vars', 'template']) expect(r.stdout).toMatch(new RegExp(`^${t}  \\S`, 'm'));
    expect(r.stdout).toMatch(/that\s+required/);
    const one = await kfup(['modules', 'template']);
    expect(one.stdout).toMatch(/example:\n\s+name: An example template task/);
    const bad = await kfup(['modules', 'templat']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/did you mean "template"/);
  });

  it('prints a user error with its location, an excerpt and a caret, and exits 2 without a stack trace', async () => {
    const r = await kfup(['validate', join(repoRoot, 'test/fixtures/invalid/unknown-task-type.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown task type "asert"/);
    expect(r.stderr).toMatch(/--> .*unknown-task-type\.yaml:7:5/);
    expect(r.stderr).toMatch(/7 \| {5}asert: \{that: \[true\]\}\n\s+\| {5}\^/);
    expect(r.stderr).toMatch(/hint: did you mean "assert"\?/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('rejects conflicting flags as invalid input', async () => {
    const r = await kfup(['run', playbook, '--check', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/different modes/);
    const md = await kfup(['run', playbook, '--format', 'markdown']);
    expect(md.code).toBe(2);
    const unknownFlag = await kfup(['run', playbook, '--chek']);
    expect(unknownFlag.code).toBe(2);
  });

  it('validate loads neither the AWS SDK nor the Kubernetes client', async () => {
    // every module the CLI process resolves is logged by a resolve hook; dist/bundle/packages.json
    // (written by the build) says which packages each bundled chunk holds
    const hooks = mkdtempSync(join(tmpdir(), 'kfup-loaded-'));
    try {
      const log = join(hooks, 'resolved.txt');
      writeFileSync(join(hooks, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nlet log;\nexport function initialize(d) { log = d; }\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(log, r.url + '\\n'); return r; }\n`);
      writeFileSync(join(hooks, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(hooks, 'hooks.mjs')).href)}, { data: ${JSON.stringify(log)} });\n`);
      const r = await kfup(['validate', playbook, '--env', 'staging'], { env: { NODE_OPTIONS: `--import=${pathToFileURL(join(hooks, 'register.mjs')).href}` } });
      expect(r.code, r.stderr).toBe(0);
      const packages = JSON.parse(readFileSync(join(repoRoot, 'dist/bundle/packages.json'), 'utf8')) as Record<string, string[]>;
      const chunks = readFileSync(log, 'utf8').split('\n').filter((u) => u.includes('/dist/bundle/')).map((u) => u.split('/').pop()!);
      expect(chunks).toContain('cli.js');
      const loaded = new Set(chunks.flatMap((c) => packages[c] ?? []));
      expect(loaded.has('yaml')).toBe(true);
      expect([...loaded].filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/') || p === '@kubernetes/client-node')).toEqual([]);
      // and the bundle does hold them, loaded by the commands that reach AWS and clusters
      const all = new Set(Object.values(packages).flat());
      expect(all.has('@kubernetes/client-node') && all.has('@aws-sdk/client-backup')).toBe(true);
    } finally {
      rmSync(hooks, { recursive: true, force: true });
    }
  });
});
