// CI habits (issue 14), through the built CLI as a CI job runs it (run `npm run build` first):
// --detailed-exitcode reads invalid input as an error (1), as `terraform plan -detailed-exitcode`
// does (https://developer.hashicorp.com/terraform/cli/commands/plan#detailed-exitcode); with
// --output json, validation results are JSON events; an unknown --tags is an error listing the
// known ones; a closed stdout (`kfup run … | head`) ends kfup quietly with its journal intact and
// its lock released; no Node warning in normal output.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kfup, kfupBin, repoRoot } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kfup-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const invalid = join(dir, 'invalid.yaml');
writeFileSync(invalid, 'name: x\ntargets:\n  clusters:\n    blue: {context: blue}\ntasks:\n  - name: read\n    k8s-info: {cluster: bleu, api_version: v1, kind: Namespace}\n');
const tagged = join(dir, 'tagged.yaml');
writeFileSync(tagged, 'name: x\ntasks:\n  - name: a\n    tags: [backup]\n    assert: {that: [true]}\n  - name: b\n    tags: [cutover]\n    assert: {that: [true]}\n');

describe('exit codes and JSON errors', () => {
  it('invalid input: 2, and 1 under --detailed-exitcode (2 means changes pending there)', async () => {
    const plain = await kfup(['run', invalid, '--check'], { cwd: dir });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('unknown cluster "bleu"');
    const detailed = await kfup(['run', invalid, '--check', '--detailed-exitcode'], { cwd: dir });
    expect(detailed.code).toBe(1);
    // a usage error too
    expect((await kfup(['run', tagged, '--check', '--detailed-exitcode', '--no-such-flag'], { cwd: dir })).code).toBe(1);
  });

  it('validate -o json and run -o json print validation results as JSON events, each with its place', async () => {
    for (const args of [['validate', invalid, '-o', 'json'], ['run', invalid, '--dry-run', '--output', 'json']]) {
      const r = await kfup(args, { cwd: dir });
      expect(r.code).toBe(2);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; message?: string; where?: string; code?: number });
      expect(events[0]).toMatchObject({ type: 'error', message: expect.stringContaining('unknown cluster "bleu"') as unknown, where: `${invalid}:7:25` });
      expect(events.at(-1)).toEqual({ type: 'exit', code: 2, problems: 1 });
    }
    const ok = await kfup(['validate', tagged, '-o', 'json'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout.split('\n')[0])).toMatchObject({ type: 'valid', tasks: 2 });
  });

  it('--tags naming no task\'s tag is an error listing the known ones', async () => {
    const r = await kfup(['run', tagged, '--dry-run', '--tags', 'nope'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--tags: no task has the tag "nope"');
    expect(r.stderr).toContain("the playbook's tags: backup, cutover");
  });
});

describe('a closed stdout', () => {
  it('ends kfup quietly (141), the journal intact and the lock released', async () => {
    const pb = join(dir, 'many.yaml');
    const tasks = Array.from({ length: 3000 }, (_, i) => `  - name: t${i}\n    assert: {that: [true]}`).join('\n');
    writeFileSync(pb, `name: many\ntasks:\n${tasks}\n`);
    const stateDir = join(dir, 'state');
    const child = spawn(process.execPath, [kfupBin, 'run', pb, '-o', 'json', '--state-dir', stateDir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // like `| head -1`: the reader goes away after the first chunk
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(141);
    expect(stderr).not.toMatch(/EPIPE|at .*\(.*:\d+:\d+\)|internal error/);
    // the lock is released
    expect(existsSync(join(stateDir, 'locks')) ? readdirSync(join(stateDir, 'locks')) : []).toEqual([]);
    // the journal: every line whole JSON, and the run marked as ended
    const [run] = readdirSync(join(stateDir, 'runs'));
    const meta = JSON.parse(readFileSync(join(stateDir, 'runs', run, 'meta.json'), 'utf8')) as { status: string };
    expect(meta.status).toMatch(/interrupted|completed/);
    for (const l of readFileSync(join(stateDir, 'runs', run, 'journal.ndjson'), 'utf8').trim().split('\n')) expect(() => JSON.parse(l) as unknown).not.toThrow();
  }, 60_000);
});

describe('no Node warnings in normal output', () => {
  it('a dry-run of the example playbook prints no "(node:" warning', async () => {
    const r = await kfup(['run', join(repoRoot, 'playbooks/examples/example.yaml'), '--env', 'staging', '--dry-run'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/\(node:\d+\)|Warning:|NodeVersionSupportWarning/);
  });
});
