// Run state a team can trust (issue 15): where state lives, the lock over every spelling of a
// playbook and environment, corrupt state reported (exit 2, never an internal error), resume
// refusing another run's inputs, and `rollback last` picking the run to undo, asking first.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { runPlaybook, type RunRequest } from '../../src/runner/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { formatRuns } from '../../src/runner/report/runs-report.js';
import { CollectingReporter, tempDir } from '../helpers/run.js';
import { testTasks } from '../helpers/registry.js';
import { world } from '../helpers/probe.js';

beforeEach(() => world.reset());
const cwd = process.cwd();
afterEach(() => process.chdir(cwd));

/** a playbook file with environments e1 and e2 beside it */
function project(tasks: unknown[], extra: Record<string, unknown> = {}, file = 'playbook.yaml', dir = tempDir()): { dir: string; playbook: string } {
  mkdirSync(join(dir, 'environments'), { recursive: true });
  writeFileSync(join(dir, 'environments', 'e1.yaml'), stringify({ vars: { color: 'blue' } }));
  writeFileSync(join(dir, 'environments', 'e2.yaml'), stringify({ vars: { color: 'green' } }));
  const playbook = join(dir, file);
  writeFileSync(playbook, stringify({ name: `test ${file}`, tasks, ...extra }));
  return { dir, playbook };
}

const run = (playbook: string, more: Partial<RunRequest> = {}) =>
  runPlaybook({ playbook, registry: testTasks, mode: 'run', yes: true, reporter: new CollectingReporter(), notice: () => {}, ...more });

async function refusal(p: Promise<unknown>): Promise<Error & { hint?: string; exitCode?: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { hint?: string; exitCode?: number };
  }
  throw new Error('expected a refusal');
}

describe('where state lives', () => {
  it('keeps runs in .kfup beside the playbook, whatever the current directory (issue 15: it was .kfup in the cwd)', async () => {
    const { dir, playbook } = project([{ name: 'a', probe: { item: 'a' } }]);
    const elsewhere = tempDir();
    process.chdir(elsewhere);
    const r = await run(playbook, { env: 'e1' });
    expect(existsSync(join(dir, '.kfup', 'runs', r.runId, 'meta.json'))).toBe(true);
    expect(existsSync(join(elsewhere, '.kfup'))).toBe(false);
  });

  it('uses KFUP_STATE_DIR when set, and --state-dir over it', async () => {
    const { playbook } = project([{ name: 'a', probe: { item: 'a' } }]);
    const fromEnv = tempDir();
    const fromFlag = tempDir();
    process.env.KFUP_STATE_DIR = fromEnv;
    try {
      const r1 = await run(playbook);
      expect(existsSync(join(fromEnv, 'runs', r1.runId))).toBe(true);
      const r2 = await run(playbook, { stateDir: fromFlag });
      expect(existsSync(join(fromFlag, 'runs', r2.runId))).toBe(true);
    } finally {
      delete process.env.KFUP_STATE_DIR;
    }
  });

  it('four spellings of one environment, and another working directory, cannot run at once (issue 15: all four ran)', async () => {
    const { dir, playbook } = project([{ name: 'slow', probe: { item: 'slow', sleep_ms: 1500 } }]);
    process.chdir(dir);
    const holder = run(playbook, { env: 'e1' });
    await new Promise((r) => setTimeout(r, 300)); // the holder has its lock once its run exists
    for (let i = 0; i < 100 && !existsSync(join(dir, '.kfup', 'locks')); i++) await new Promise((r) => setTimeout(r, 20));
    const attempts: [string, () => Promise<unknown>][] = [
      ['./environments/e1.yaml', () => run('playbook.yaml', { env: './environments/e1.yaml' })],
      ['absolute path', () => run(playbook, { env: join(dir, 'environments', 'e1.yaml') })],
      [
        'from another directory',
        () => {
          const other = tempDir();
          process.chdir(other);
          return run(relative(other, playbook), { env: 'e1' });
        },
      ],
      ['the name again', () => run(playbook, { env: 'e1' })],
    ];
    for (const [how, attempt] of attempts) {
      const e = await refusal(attempt());
      expect(e.message, how).toMatch(/is already running this playbook with environment .*e1\.yaml/);
      process.chdir(dir);
    }
    expect((await holder).failed).toBe(false);
    expect(world.applies.get('slow')).toBe(1);
    // another environment is another lock
    expect((await run(playbook, { env: 'e2' })).failed).toBe(false);
  });
});

describe('corrupt state is exit 2 with the path, what is wrong and what to do (issue 15: internal error)', () => {
  async function failedRun(): Promise<{ dir: string; playbook: string; runId: string; runDir: string }> {
    const p = project([{ name: 'a', probe: { item: 'a' } }, { name: 'b', probe: { item: 'b', fail_times: 5 } }]);
    const r = await run(p.playbook);
    expect(r.failed).toBe(true);
    return { ...p, runId: r.runId, runDir: join(p.dir, '.kfup', 'runs', r.runId) };
  }

  it('a corrupt meta.json: resume refuses it, and `kfup runs` lists the run as corrupt', async () => {
    const f = await failedRun();
    writeFileSync(join(f.runDir, 'meta.json'), '{"runId": ');
    const e = await refusal(run(f.playbook, { resume: f.runId }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`corrupt state: ${join(f.runDir, 'meta.json')}: it is not valid JSON`);
    expect(e.hint).toMatch(/restore it from a backup, or move it away/);
    expect(formatRuns(join(f.dir, '.kfup'))).toMatch(new RegExp(`${f.runId}\\s+\\?\\s+corrupt\\s+-\\s+.*meta.json: it is not valid JSON`));
  });

  it('a meta.json of the wrong shape', async () => {
    const f = await failedRun();
    writeFileSync(join(f.runDir, 'meta.json'), '[]');
    const e = await refusal(run(f.playbook, { resume: f.runId }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/meta.json: it is not a JSON object/);
  });

  it('a journal line `null`', async () => {
    const f = await failedRun();
    writeFileSync(join(f.runDir, 'journal.ndjson'), 'null\n');
    const e = await refusal(run(f.playbook, { resume: f.runId }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`corrupt state: ${join(f.runDir, 'journal.ndjson')}: line 1 is not a journal record (null)`);
  });

  it('a journal that is a directory', async () => {
    const f = await failedRun();
    const journal = join(f.runDir, 'journal.ndjson');
    const { rmSync } = await import('node:fs');
    rmSync(journal);
    mkdirSync(journal);
    const e = await refusal(run(f.playbook, { resume: f.runId }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`corrupt state: ${journal}: the journal is a directory, not a file`);
    expect(await refusal(rollbackRun({ registry: testTasks, runId: f.runId, playbook: f.playbook, mode: 'run', yes: true, notice: () => {} }))).toMatchObject({ exitCode: 2 });
  });

  it('a cut-off last line (a kill mid-write) is not corruption: the run resumes', async () => {
    const f = await failedRun();
    writeFileSync(join(f.runDir, 'journal.ndjson'), readFileSync(join(f.runDir, 'journal.ndjson'), 'utf8') + '{"t":"task-st');
    const r = await run(f.playbook, { resume: f.runId });
    expect(r.runId).toBe(f.runId);
    // and the journal it continued is still readable (the next record did not join the cut line)
    const again = await run(f.playbook, { resume: f.runId });
    expect(again.runId).toBe(f.runId);
  });

  it('--state-dir pointing at a file', async () => {
    const { playbook } = project([{ name: 'a', probe: { item: 'a' } }]);
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const e = await refusal(run(playbook, { stateDir: file }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`--state-dir ${file} is not a directory`);
    expect(e.hint).toMatch(/point --state-dir .* at a directory/);
  });

  it('a runs directory that is a file', async () => {
    const { dir, playbook } = project([{ name: 'a', probe: { item: 'a' } }]);
    mkdirSync(join(dir, '.kfup'));
    writeFileSync(join(dir, '.kfup', 'runs'), '');
    const e = await refusal(run(playbook));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/the runs directory .* is not a directory/);
  });
});

describe('resume continues the same run, or refuses naming what differs (issue 15)', () => {
  const tasks = [
    { name: 'a', probe: { item: 'a-{{color}}-{{n}}' } },
    { name: 'b', probe: { item: 'b', fail_times: 1 } },
  ];
  const pbExtra = { vars: { n: 1, token: 'none' }, secrets: ['token'] };

  it('refuses another environment (issue 15: it ran the rest against e2 and rewrote meta.json)', async () => {
    const { dir, playbook } = project(tasks, pbExtra);
    const r = await run(playbook, { env: 'e1' });
    expect(r.failed).toBe(true);
    const meta = readFileSync(join(dir, '.kfup', 'runs', r.runId, 'meta.json'), 'utf8');
    const e = await refusal(run(playbook, { env: 'e2', resume: r.runId }));
    expect(e.message).toMatch(/differs in\n {2}- the environment: the run used .*e1\.yaml, this is .*e2\.yaml/);
    expect(e.hint).toMatch(/--force/);
    expect(readFileSync(join(dir, '.kfup', 'runs', r.runId, 'meta.json'), 'utf8')).toBe(meta);
  });

  it('refuses a missing or different --var, and never stores a secret --var', async () => {
    const { dir, playbook } = project(tasks, pbExtra);
    const r = await run(playbook, { env: 'e1', vars: ['n=2', 'token=s3cr3t-value'] });
    expect(r.failed).toBe(true);
    const runDir = join(dir, '.kfup', 'runs', r.runId);
    for (const f of readdirSync(runDir)) expect(readFileSync(join(runDir, f), 'utf8')).not.toContain('s3cr3t-value');
    expect((await refusal(run(playbook, { env: 'e1', resume: r.runId, vars: ['token=s3cr3t-value'] }))).message).toMatch(/--var\/--vars-file values: n \(given to the run, missing now\)/);
    expect((await refusal(run(playbook, { env: 'e1', resume: r.runId, vars: ['n=3', 'token=s3cr3t-value'] }))).message).toMatch(/n \(another value\)/);
    expect((await refusal(run(playbook, { env: 'e1', resume: r.runId, vars: ['n=2', 'token=other'] }))).message).toMatch(/token \(another value\)/);
    const ok = await run(playbook, { env: 'e1', resume: r.runId, vars: ['n=2', 'token=s3cr3t-value'] });
    expect(ok.failed).toBe(false);
  });

  it('--force resumes with other inputs, and a task whose rendered parameters changed is checked again', async () => {
    const { playbook } = project(tasks, pbExtra);
    const r = await run(playbook, { env: 'e1' });
    const rep = new CollectingReporter();
    const notices: string[] = [];
    const ok = await run(playbook, { env: 'e2', resume: r.runId, force: true, reporter: rep, notice: (l) => notices.push(l) });
    expect(ok.failed).toBe(false);
    expect(notices.join('\n')).toMatch(/with different inputs \(--force\)/);
    expect(rep.end('a').notes.join(' ')).not.toMatch(/before the resume/);
    expect(world.items.has('a-green-1')).toBe(true);
  });

  it('notices an edited playbook: a finished task whose condition became false is not "done before the resume"', async () => {
    const { playbook } = project(tasks, pbExtra);
    const r = await run(playbook, { env: 'e1' });
    const edited = [{ ...tasks[0], when: false }, tasks[1]];
    writeFileSync(playbook, stringify({ name: 'test playbook.yaml', tasks: edited, ...pbExtra }));
    expect((await refusal(run(playbook, { env: 'e1', resume: r.runId }))).message).toMatch(/the playbook .* was edited since the run started/);
    const rep = new CollectingReporter();
    await run(playbook, { env: 'e1', resume: r.runId, force: true, reporter: rep });
    expect(rep.end('a').status).toBe('skipped');
    // an unedited finished task is still trusted
    const again = project(tasks, pbExtra);
    const r2 = await run(again.playbook, { env: 'e1' });
    const rep2 = new CollectingReporter();
    await run(again.playbook, { env: 'e1', resume: r2.runId, reporter: rep2 });
    expect(rep2.end('a').notes.join(' ')).toMatch(/done in run .* before the resume/);
  });
});

describe('rollback (issue 15)', () => {
  it('`last` skips a later no-op run and another playbook\'s run, and `kfup runs` says which can be rolled back', async () => {
    const { dir, playbook } = project([{ name: 'make', probe: { item: 'a' } }]);
    const first = await run(playbook, { env: 'e1' });
    const noop = await run(playbook, { env: 'e1' });
    expect(noop.counts.changed).toBe(0);
    const other = project([{ name: 'other', probe: { item: 'o' } }], {}, 'other.yaml', dir);
    await run(other.playbook, { env: 'e1' });
    const listing = formatRuns(join(dir, '.kfup'));
    expect(listing).toMatch(new RegExp(`${first.runId}\\s+run\\s+completed\\s+yes`));
    expect(listing).toMatch(new RegExp(`${noop.runId}\\s+run\\s+completed\\s+-`));
    const back = await rollbackRun({ registry: testTasks, runId: 'last', playbook, env: 'e1', mode: 'run', yes: true, reporter: new CollectingReporter(), notice: () => {} });
    expect(back.failed).toBe(false);
    expect(world.items.has('a')).toBe(false);
    expect(world.items.has('o')).toBe(true);
    expect(formatRuns(join(dir, '.kfup'))).toMatch(new RegExp(`${first.runId}\\s+run\\s+completed\\s+done`));
    // nothing left to roll back for this playbook: said so, not a silent 0-change "success"
    expect((await refusal(rollbackRun({ registry: testTasks, runId: 'last', playbook, env: 'e1', mode: 'run', yes: true, notice: () => {} }))).message).toMatch(/no run of .* has reversible changes left/);
  });

  it('prints its plan, then needs --yes without a terminal, or a yes on one (issue 15: it never asked)', async () => {
    const { playbook } = project([{ name: 'make', probe: { item: 'a' } }]);
    const r = await run(playbook);
    const lines: string[] = [];
    const e = await refusal(rollbackRun({ registry: testTasks, runId: r.runId, playbook, mode: 'run', notice: (l) => lines.push(l) }));
    expect(e.message).toMatch(/no terminal to ask for approval/);
    expect(e.hint).toMatch(/--yes/);
    expect(lines.join('\n')).toMatch(/kfup rollback of run .*: 1 step\(s\)[\s\S]*1\. revert: make \[probe\]/);
    expect(world.items.has('a')).toBe(true);
    const asked: string[] = [];
    const no = await refusal(rollbackRun({ registry: testTasks, runId: r.runId, playbook, mode: 'run', notice: () => {}, confirm: (q) => (asked.push(q), Promise.resolve(false)) }));
    expect(no.message).toMatch(/not approved: nothing was changed/);
    expect(world.items.has('a')).toBe(true);
    await rollbackRun({ registry: testTasks, runId: r.runId, playbook, mode: 'run', notice: () => {}, reporter: new CollectingReporter(), confirm: () => Promise.resolve(true) });
    expect(asked).toEqual([`roll back run ${r.runId}?`]);
    expect(world.items.has('a')).toBe(false);
  });

  it('rolls back a run whose process died while marked running, taking over its lock (issue 15: refused, --break-lock did nothing)', async () => {
    const { dir, playbook } = project([{ name: 'make', probe: { item: 'a' } }]);
    const r = await run(playbook);
    const metaFile = join(dir, '.kfup', 'runs', r.runId, 'meta.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(metaFile, JSON.stringify({ ...meta, status: 'running', pid: 2 ** 22 + 999, ended: undefined }));
    expect(formatRuns(join(dir, '.kfup'))).toMatch(new RegExp(`${r.runId}\\s+run\\s+killed\\s+yes`));
    const back = await rollbackRun({ registry: testTasks, runId: 'last', playbook, mode: 'run', yes: true, reporter: new CollectingReporter(), notice: () => {} });
    expect(back.failed).toBe(false);
    expect(world.items.has('a')).toBe(false);
  });

  it('a task that failed part-way is in the plan with what it had already changed', async () => {
    const { playbook } = project([{ name: 'make', probe: { item: 'a' } }, { name: 'half', probe: { item: 'h', fail_times: 9 } }]);
    const r = await run(playbook);
    expect(r.failed).toBe(true);
    const lines: string[] = [];
    await rollbackRun({ registry: testTasks, runId: r.runId, playbook, mode: 'run', yes: true, reporter: new CollectingReporter(), notice: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/revert: make/);
  });
});
