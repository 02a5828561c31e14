// Shared state in S3 (issue 15), against the sandbox's S3 (every answer checked against the
// official S3 model): the lock is a conditional write that exactly one of two racers wins, and a
// run started in one working copy is listed, resumed and rolled back from another.
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { kfup, kfupBin, repoRoot } from '../helpers/cli.js';
import { stringify } from 'yaml';
import { useSandbox } from '../helpers/sandbox.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { runPlaybook, type RunRequest } from '../../src/runner/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { openBackend } from '../../src/runner/state/backend.js';
import { formatRuns } from '../../src/runner/report/runs-report.js';
import { CollectingReporter, tempDir } from '../helpers/run.js';
import { testTasks } from '../helpers/registry.js';
import { world } from '../helpers/probe.js';

let sb: Sandbox;
useSandbox({}, (s) => {
  sb = s;
});
beforeEach(() => world.reset());

const BUCKET = 'kfup-team-state';
const runDirs = (d: string): string[] => readdirSync(d).filter((n) => !n.startsWith('.'));

/** a working copy: the playbook and an environment whose state is in the bucket */
function workingCopy(tasks: unknown[], prefix: string): { dir: string; playbook: string } {
  sb.aws.state.s3.createBucket(BUCKET);
  const dir = tempDir();
  mkdirSync(join(dir, 'environments'));
  writeFileSync(join(dir, 'environments', 'prod.yaml'), stringify({ vars: { color: 'blue' }, state: { s3: { bucket: BUCKET, prefix, region: sb.scenario.region } } }));
  writeFileSync(join(dir, 'playbook.yaml'), stringify({ name: 'shared', tasks }));
  return { dir, playbook: join(dir, 'playbook.yaml') };
}

/** the same files in another directory: another engineer's checkout, or a CI runner */
function clone(from: string): { dir: string; playbook: string } {
  const dir = tempDir();
  cpSync(join(from, 'playbook.yaml'), join(dir, 'playbook.yaml'));
  cpSync(join(from, 'environments'), join(dir, 'environments'), { recursive: true });
  return { dir, playbook: join(dir, 'playbook.yaml') };
}

const run = (playbook: string, more: Partial<RunRequest> = {}) =>
  runPlaybook({ playbook, env: 'prod', registry: testTasks, mode: 'run', yes: true, reporter: new CollectingReporter(), notice: () => {}, ...more });

describe('state in S3', () => {
  it('two racers for the lock: exactly one wins (PutObject If-None-Match: *, 412 for the other), and the lock is free after release', async () => {
    const a = workingCopy([], 'race');
    const b = clone(a.dir);
    const backends = await Promise.all([a, b].map((c) => openBackend(c.playbook, join(c.dir, 'environments', 'prod.yaml'))));
    const holder = (i: number) => ({ runId: `run-${i}`, playbook: join([a, b][i].dir, 'playbook.yaml'), env: join([a, b][i].dir, 'environments', 'prod.yaml') });
    const mark = sb.requestLog.mark();
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(backends.map((be, i) => be.lock(holder(i), {})));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected')!;
      expect(String(lost.reason)).toMatch(/run run-[01] \(pid \d+ on .*\) is already running this playbook with environment prod.yaml \(lock s3:\/\/kfup-team-state\/race\/locks\//);
      await won[0].value.release();
    }
    const puts = sb.requestLog.since(mark).filter((e) => e.service === 's3' && e.operation === 'PutObject');
    expect(puts.filter((e) => e.status === 412).length).toBe(5);
  });

  it('two processes race for the lock: exactly one wins, the other is told who holds it', async () => {
    const compiled = join(repoRoot, 'dist', 'runner', 'state', 'backend.js');
    if (!existsSync(compiled)) return void console.warn('skipped: run `npm run build` first (the racers run the compiled state backend)');
    const copies = [workingCopy([], 'procs'), undefined].map((c, i, all) => c ?? clone(all[0]!.dir));
    // each racer takes the lock, holds it for 3 s (longer than the two start apart), releases it
    const script = (c: { dir: string; playbook: string }, i: number) => `
      const { openBackend } = await import(${JSON.stringify(pathToFileURL(compiled).href)});
      const env = ${JSON.stringify(join(c.dir, 'environments', 'prod.yaml'))};
      const b = await openBackend(${JSON.stringify(c.playbook)}, env);
      try {
        const l = await b.lock({ runId: 'racer-${i}', playbook: ${JSON.stringify(c.playbook)}, env }, {});
        console.log('won');
        await new Promise((r) => setTimeout(r, 3000));
        await l.release();
      } catch (e) { console.log('lost: ' + e.message); }`;
    const racers = copies.map(
      (c, i) =>
        new Promise<string>((res) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script(c, i)], { env: { ...process.env, ...sb.env }, stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('close', () => res(out.trim()));
        }),
    );
    const outs = await Promise.all(racers);
    expect(outs.filter((o) => o === 'won'), outs.join('\n')).toHaveLength(1);
    expect(outs.find((o) => o !== 'won')).toMatch(/^lost: run racer-[01] \(pid \d+ on .*\) is already running/);
  }, 30_000);

  it('a run failed in one working copy is listed, resumed and then rolled back from another (another state directory)', async () => {
    const tasks = [
      { name: 'make', probe: { item: 'made' } },
      { name: 'flaky', probe: { item: 'flaky', fail_times: 1 } },
    ];
    const laptop = workingCopy(tasks, 'kfup/prod');
    const first = await run(laptop.playbook);
    expect(first.failed).toBe(true);
    expect([...sb.aws.state.s3.buckets.get(BUCKET)!.keys()].sort()).toEqual([`kfup/prod/runs/${first.runId}/journal.ndjson`, `kfup/prod/runs/${first.runId}/meta.json`]);

    const ci = clone(laptop.dir);
    const backend = await openBackend(ci.playbook, join(ci.dir, 'environments', 'prod.yaml'));
    await backend.pull();
    expect(formatRuns(backend.dir, backend.where)).toMatch(new RegExp(`runs in s3://${BUCKET}/kfup/prod/[\\s\\S]*${first.runId}\\s+run\\s+failed\\s+yes`));

    const rep = new CollectingReporter();
    const resumed = await run(ci.playbook, { resume: 'last', reporter: rep });
    expect(resumed.runId).toBe(first.runId);
    expect(resumed.failed).toBe(false);
    expect(rep.end('make').notes.join(' ')).toMatch(/before the resume/);
    expect(world.applies.get('made')).toBe(1);
    expect(existsSync(join(laptop.dir, '.kfup', 'locks'))).toBe(false); // the lock lives in the bucket

    // a resume from a copy whose environment says something else is refused, naming it
    const other = clone(laptop.dir);
    writeFileSync(join(other.dir, 'environments', 'prod.yaml'), stringify({ vars: { color: 'green' }, state: { s3: { bucket: BUCKET, prefix: 'kfup/prod', region: sb.scenario.region } } }));
    await expect(run(other.playbook, { resume: first.runId })).rejects.toThrow(/the environment file prod.yaml was edited since the run started/);

    // back on the laptop: the rollback of the run the CI finished
    const back = await rollbackRun({ registry: testTasks, runId: 'last', playbook: laptop.playbook, env: 'prod', mode: 'run', yes: true, reporter: new CollectingReporter(), notice: () => {} });
    expect(back.failed).toBe(false);
    expect(world.items.size).toBe(0);
    const after = await openBackend(ci.playbook, join(ci.dir, 'environments', 'prod.yaml'));
    await after.pull();
    expect(formatRuns(after.dir)).toMatch(new RegExp(`${first.runId}\\s+run\\s+completed\\s+done`));
    expect([...sb.aws.state.s3.buckets.get(BUCKET)!.keys()].filter((k) => k.includes('/locks/'))).toEqual([]);
  });

  // Issue 15: uploads run in the background, so a kfup killed with -9 may leave the bucket's
  // journal behind this machine's copy. The journal only grows, so the next pull on this machine
  // sees its copy extend the bucket's, says so, and uploads it; another machine then has it all.
  it('a journal the bucket holds only part of (kfup killed before its upload) is uploaded by the next pull on that machine', async () => {
    const laptop = workingCopy([{ name: 'make', probe: { item: 'made' } }, { name: 'flaky', probe: { item: 'flaky', fail_times: 1 } }], 'kfup/behind');
    const first = await run(laptop.playbook);
    const bucket = sb.aws.state.s3.buckets.get(BUCKET)!;
    const key = `kfup/behind/runs/${first.runId}/journal.ndjson`;
    const full = bucket.get(key)!.body.toString();
    const lines = full.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    // what the bucket holds when the last two uploads never happened
    sb.aws.state.s3.put(bucket, key, lines.slice(0, -2).join('\n') + '\n');
    const ci = clone(laptop.dir);
    const ciBackend = await openBackend(ci.playbook, join(ci.dir, 'environments', 'prod.yaml'));
    await ciBackend.pull();
    expect(readFileSync(join(ciBackend.dir, 'runs', first.runId, 'journal.ndjson'), 'utf8')).not.toBe(full);

    const notices: string[] = [];
    const here = await openBackend(laptop.playbook, join(laptop.dir, 'environments', 'prod.yaml'));
    await here.pull((l) => notices.push(l));
    expect(notices.join('\n')).toMatch(new RegExp(`run ${first.runId}: s3://${BUCKET}/kfup/behind/ lacked the last 2 journal line\\(s\\) this machine wrote`));
    expect(bucket.get(key)!.body).toBe(full);
    await ciBackend.pull();
    expect(readFileSync(join(ciBackend.dir, 'runs', first.runId, 'journal.ndjson'), 'utf8')).toBe(full);
    // once in step, a pull says nothing
    notices.length = 0;
    await here.pull((l) => notices.push(l));
    expect(notices).toEqual([]);

    // a run whose every upload was lost is uploaded whole
    for (const k of [...bucket.keys()]) if (k.startsWith(`kfup/behind/runs/${first.runId}/`)) bucket.delete(k);
    await here.pull((l) => notices.push(l));
    expect(notices.join('\n')).toMatch(new RegExp(`run ${first.runId} was never uploaded to s3://${BUCKET}/kfup/behind/`));
    expect(bucket.get(key)!.body).toBe(full);

    // a journal the bucket has taken further elsewhere (a resume on another machine) wins over
    // this machine's older lines, which are kept aside and named
    sb.aws.state.s3.put(bucket, key, lines.slice(0, -1).join('\n') + '\n{"t":"persist","key":"9","k":"x","v":1}\n');
    notices.length = 0;
    await here.pull((l) => notices.push(l));
    expect(notices.join('\n')).toMatch(/differ \(the run went on elsewhere\); the bucket's is kept, this machine's is in .*journal\.ndjson\.unsynced-\d+/);
    expect(readFileSync(join(here.dir, 'runs', first.runId, 'journal.ndjson'), 'utf8')).toContain('"k":"x"');

    // a local run directory whose meta.json is not a run's is never spread to the bucket
    mkdirSync(join(here.dir, 'runs', 'garbled-run'));
    writeFileSync(join(here.dir, 'runs', 'garbled-run', 'meta.json'), '{ not json');
    await here.pull(() => {});
    expect([...bucket.keys()].filter((k) => k.includes('garbled-run'))).toEqual([]);
  });

  // SIGTERM (and Ctrl-C, the same path) ends a run the normal way: its last lines are uploaded
  // before kfup exits, and so is its final status.
  // After SIGKILL nothing can run, so the next command on this machine (here `kfup runs`) does it.
  it.each(['SIGTERM', 'SIGKILL'] as const)('after %s the bucket holds every journal line the run wrote', async (signal) => {
    if (!existsSync(join(repoRoot, 'dist', 'cli.js'))) return void console.warn('skipped: run `npm run build` first (the run is the built CLI, signalled)');
    const copy = workingCopy(
      [
        { name: 'first', assert: { that: ['{{true}}'] } },
        // AWS Backup answers 503 (a fault below) and the task retries: kfup is in the middle of it when the signal comes
        { name: 'waiting', 'aws-info': { service: 'backup', operation: 'DescribeBackupVault', input: { BackupVaultName: 'vault' } }, retries: 100, delay: '300ms' },
      ],
      `signal-${signal}`,
    );
    sb.traffic.setFaults([{ fault: 'error503', target: 'aws', operation: 'DescribeBackupVault' }]);
    onTestFinished(() => sb.traffic.setFaults([]));
    const child = spawn(process.execPath, [kfupBin, 'run', copy.playbook, '--env', 'prod', '--yes'], { cwd: copy.dir, env: { ...process.env, ...sb.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const local = join(copy.dir, '.kfup', 's3', BUCKET, `signal-${signal}`, 'runs');
    const journal = (): string | undefined => {
      try {
        const [runId] = runDirs(local);
        return readFileSync(join(local, runId, 'journal.ndjson'), 'utf8');
      } catch {
        return undefined;
      }
    };
    for (let i = 0; i < 1200 && !journal()?.includes('"name":"waiting"'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(journal() ?? stderr).toContain('"name":"waiting"');
    child.kill(signal);
    await exited;
    // no SDK warning on stderr (issue 14: no warnings in normal output)
    expect(stderr).not.toMatch(/Stream of unknown length/);
    if (signal === 'SIGKILL') {
      const runs = await kfup(['runs', copy.playbook, '--env', 'prod'], { cwd: copy.dir, env: sb.env });
      expect(runs.code, runs.stderr).toBe(0);
    }
    const [runId] = runDirs(local);
    const stored = (f: string) => sb.aws.state.s3.buckets.get(BUCKET)!.get(`signal-${signal}/runs/${runId}/${f}`)?.body.toString();
    expect(stored('journal.ndjson')).toBe(readFileSync(join(local, runId, 'journal.ndjson'), 'utf8'));
    if (signal !== 'SIGKILL') {
      expect(JSON.parse(stored('meta.json') ?? '{}'), stderr).toMatchObject({ status: 'interrupted' });
      expect(stored('journal.ndjson')).toMatch(/"t":"task-end","key":"2","name":"waiting"/);
    }
  }, 30_000);
});
