// A terminal gets a live task list (listr2): one line per task with its running output, parallel
// blocks shown as concurrent subtasks. The executor drives everything; each listr task only mirrors
// a playbook task and settles when that task's end event arrives.
import { Listr, type ListrDefaultRenderer, type ListrSimpleRenderer, type ListrTask, type ListrTaskWrapper } from 'listr2';
import { formatDuration } from '../load/duration.js';
import type { Reporter, RunEvent, TaskRef } from './events.js';
import { endDetails, recapLines, statusWord, type Style } from './format.js';

// the renderers kfup uses: listr2's default one, and its simple one where the terminal cannot redraw
type Wrapper = ListrTaskWrapper<unknown, ListrDefaultRenderer, ListrSimpleRenderer>;
type Task = ListrTask<unknown, ListrDefaultRenderer, ListrSimpleRenderer>;

interface Slot {
  ref: TaskRef;
  wrapper?: Wrapper;
  settle?: (e: Extract<RunEvent, { type: 'task-end' }> | undefined) => void;
  ended?: Extract<RunEvent, { type: 'task-end' }>;
  pendingOutput?: string;
}

export class ListrReporter implements Reporter {
  private slots = new Map<string, Slot>();
  private running?: Promise<unknown>;
  private recap?: Extract<RunEvent, { type: 'recap' }>;
  private mode = 'run';
  private finished = false;

  constructor(
    private out: (s: string) => void,
    private opts: { diff: boolean; style: Style },
  ) {}

  private settleWith(slot: Slot, task: Wrapper, e: Extract<RunEvent, { type: 'task-end' }> | undefined): void {
    if (!e) {
      task.skip(`${slot.ref.name} (not run)`);
      return;
    }
    const details = endDetails(e, this.opts.diff);
    task.title = `${slot.ref.name} ${statusWord(this.opts.style, e.status, this.mode, e.ignored)} ${formatDuration(e.durationMs)}`;
    if (details.length) task.output = details.join('\n');
    if (e.status === 'failed' && !e.ignored) throw new Error(`${e.message ?? 'failed'}${e.where ? ` (${e.where})` : ''}`);
    if (e.status === 'skipped') task.skip(`${slot.ref.name}: ${e.notes[0] ?? 'skipped'}`);
  }

  private all: TaskRef[] = [];

  private childrenOf(all: TaskRef[], ref: TaskRef): TaskRef[] {
    return all.filter((c) => c.group === ref.key);
  }

  private listrTask(ref: TaskRef, children: TaskRef[]): Task {
    // slots exist from run-start: the executor may finish a task before listr reaches it
    const slot = this.slots.get(ref.key)!;
    return {
      title: ref.name,
      task: async (_ctx: unknown, task: Wrapper): Promise<unknown> => {
        slot.wrapper = task;
        if (slot.pendingOutput) task.output = slot.pendingOutput;
        if (children.length) {
          return task.newListr(
            children.map((c) => this.listrTask(c, this.childrenOf(this.all, c))),
            { concurrent: ref.groupKind === 'parallel', exitOnError: false },
          );
        }
        // after the recap no more ends come: a task not reached (after a failure, or under a
        // condition known only after apply) settles as "not run" at once
        const e = slot.ended ?? (this.finished ? undefined : await new Promise<Extract<RunEvent, { type: 'task-end' }> | undefined>((r) => (slot.settle = r)));
        this.settleWith(slot, task, e);
      },
      rendererOptions: { persistentOutput: true, outputBar: 3 },
    };
  }

  handle(e: RunEvent): void {
    switch (e.type) {
      case 'run-start': {
        this.mode = e.mode;
        this.out(`kfup ${e.mode}: ${e.playbook} (run ${e.runId})\n`);
        this.all = e.tasks;
        for (const t of e.tasks) this.slots.set(t.key, { ref: t });
        const top = e.tasks.filter((t) => !t.group);
        const list = new Listr<unknown, 'default', 'simple'>(
          top.map((t) => this.listrTask(t, this.childrenOf(e.tasks, t))),
          { concurrent: false, exitOnError: false, rendererOptions: { collapseSubtasks: false, showErrorMessage: true } },
        );
        this.running = list.run().catch(() => undefined);
        break;
      }
      case 'task-log':
      case 'task-progress': {
        const slot = this.slots.get(e.task.key) ?? this.slots.get(e.task.key.split('.')[0]);
        if (!slot) break;
        if (slot.wrapper) slot.wrapper.output = e.message;
        else slot.pendingOutput = e.message;
        break;
      }
      case 'task-end': {
        const slot = this.slots.get(e.task.key);
        if (!slot) break; // loop items are shown as output of their task
        // a group's own line shows how the group ended (its tasks show theirs)
        if (e.task.groupKind && slot.wrapper) slot.wrapper.title = `${slot.ref.name} ${statusWord(this.opts.style, e.status, this.mode)}`;
        if (slot.settle) slot.settle(e);
        else slot.ended = e;
        break;
      }
      case 'recap':
        this.recap = e;
        this.finished = true;
        for (const slot of this.slots.values()) {
          if (!slot.ended && slot.settle) slot.settle(undefined);
          else if (!slot.ended && !slot.settle) slot.ended = undefined;
        }
        break;
      default:
        break;
    }
  }

  async close(): Promise<void> {
    // tasks that never started (after a failure) settle as "not run"
    for (const slot of this.slots.values()) if (slot.settle && !slot.ended) slot.settle(undefined);
    const deadline = new Promise((r) => setTimeout(r, 2000).unref());
    await Promise.race([this.running, deadline]);
    if (this.recap) this.out(recapLines(this.opts.style, this.recap).join('\n') + '\n');
  }
}
