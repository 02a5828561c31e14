// A timeout ends the task's whole process tree (issue 14): each program a task runs is the leader
// of its own process group, and a timeout or interrupt signals the group, so a grandchild that
// keeps stdout open cannot hold the task (it used to: a 2 s timeout took 30 s). And a kfup killed
// with -9 leaves no child running unseen: children are recorded in the state directory while they
// run, and the next run reports those whose kfup is gone.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineTask } from '../../src/modules/kit/index.js';
import { withTasks } from '../../src/modules/index.js';
import { runPlaybook } from '../../src/runner/index.js';
import { childRegistry, strayChildren, type ChildRecord } from '../../src/runner/engine/children.js';
import { processStartTicks } from '../../src/runner/state/process-identity.js';
import type { Reporter, RunEvent } from '../../src/runner/report/events.js';

const dir = mkdtempSync(join(tmpdir(), 'kfup-tree-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// runs a shell whose background grandchild keeps the shell's stdout open for 30 s
const spawner = defineTask<{ pidfile: string }, Record<string, never>>({
  name: 'spawner',
  schema: { type: 'object', additionalProperties: false, required: ['pidfile'], description: 'test: a grandchild holding stdout', properties: { pidfile: { type: 'string' } } },
  describe: () => ['spawn'],
  async check(p, ctx) {
    await ctx.exec('sh', ['-c', `sleep 30 & echo $! > ${p.pidfile}; wait`], { readOnly: true, killGraceMs: 2000 });
    return { changes: [], outputs: {} };
  },
  apply: () => Promise.resolve({}),
});

describe('a task timeout', () => {
  it('stops the program and its grandchildren (its process group), and forgets their records', async () => {
    const pidfile = join(dir, 'grandchild.pid');
    const pb = join(dir, 'tree.yaml');
    writeFileSync(pb, `name: x\ntasks:\n  - name: spawn\n    timeout: 1s\n    spawner: {pidfile: ${pidfile}}\n`);
    const events: RunEvent[] = [];
    const reporter: Reporter = { handle: (e) => events.push(e) };
    const stateDir = join(dir, '.kfup');
    const r = await runPlaybook({ playbook: pb, registry: withTasks(spawner), mode: 'check', reporter, stateDir });
    expect(r.failed).toBe(true);
    const end = events.find((e) => e.type === 'task-end');
    expect(end && 'message' in end ? end.message : '').toMatch(/timed out after 1(\.0)?s/);
    const grandchild = Number(readFileSync(pidfile, 'utf8'));
    // the group was signalled: the grandchild is gone (give the kernel a moment to reap it)
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((res) => setTimeout(res, 100));
    expect(alive(grandchild)).toBe(false);
    // the child's record is removed once it has ended
    expect(existsSync(join(stateDir, 'children')) ? readdirSync(join(stateDir, 'children')) : []).toEqual([]);
  }, 20_000);
});

describe('children of a kfup that died', () => {
  it('are reported by the next run while they run; their records go once they end', async () => {
    const stateDir = join(dir, 'stray');
    // a "kfup" that has ended (its pid is no longer a process) and a child it left running
    const gone = spawn('true');
    await new Promise((res) => gone.on('exit', res));
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const reg = childRegistry(stateDir, 'run-1');
    reg.add(child.pid!, '/usr/bin/terraform');
    const file = join(stateDir, 'children', `${child.pid}.json`);
    const rec = JSON.parse(readFileSync(file, 'utf8')) as { kfupPid: number };
    writeFileSync(file, JSON.stringify({ ...rec, kfupPid: gone.pid }));
    // only the program's name is kept, never its arguments
    expect(readFileSync(file, 'utf8')).toContain('"program":"terraform"');
    const found = strayChildren(stateDir);
    expect(found.map((c) => c.pid)).toEqual([child.pid]);
    // reported again by every run until it ends
    expect(strayChildren(stateDir)).toHaveLength(1);
    child.kill('SIGKILL');
    await new Promise((res) => child.on('exit', res));
    expect(strayChildren(stateDir)).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });

  it('a kfup whose pid another process now holds is gone: its live child is reported (start times in /proc/<pid>/stat differ)', async () => {
    const stateDir = join(dir, 'kfup-pid-reused');
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    childRegistry(stateDir, 'run-3').add(child.pid!, 'kubectl', ['apply', '-f', 'x.yaml']);
    const file = join(stateDir, 'children', `${child.pid}.json`);
    const rec = JSON.parse(readFileSync(file, 'utf8')) as ChildRecord;
    // only the subcommand is kept of the arguments
    expect(rec.command).toBe('kubectl apply');
    expect(rec.kfupStartTicks).toBe(processStartTicks(process.pid));
    // the recorded kfup's pid is this (live) process's, but its start time is another's
    writeFileSync(file, JSON.stringify({ ...rec, kfupStartTicks: String(Number(rec.kfupStartTicks) + 1) }));
    expect(strayChildren(stateDir).map((c) => c.pid)).toEqual([child.pid]);
    child.kill('SIGKILL');
    await new Promise((res) => child.on('exit', res));
  });

  it('a record of a live kfup (another run in progress) is not reported', () => {
    const stateDir = join(dir, 'live');
    const reg = childRegistry(stateDir, 'run-2');
    const forget = reg.add(process.pid, 'kubectl');
    // this process is both the "kfup" and the child: a live run's own child is never stray
    expect(strayChildren(stateDir)).toEqual([]);
    forget();
  });
});
