// `kfup list-tasks` and `--list-tags`: the task tree as the walker sees it (blocks, parallel
// blocks and imports nested, tags as inherited from enclosing blocks), without running anything.
import { relative } from 'node:path';
import type { Playbook, TaskDef } from '../load/playbook.js';

export interface ListedTask {
  index: number;
  depth: number;
  name: string;
  id?: string;
  /** the task type, or what kind of group this is */
  kind: string;
  /** own tags and those of enclosing blocks, which select this task with --tags */
  tags: string[];
  where: string;
}

const kindOf = (t: TaskDef): string => (t.imported ? `import ${t.imported}` : t.parallel ? 'parallel block' : t.block ? 'block' : (t.type ?? '?'));

export function taskTree(pb: Playbook): ListedTask[] {
  const out: ListedTask[] = [];
  const walk = (tasks: TaskDef[], depth: number, inherited: string[]) => {
    for (const t of tasks) {
      const tags = [...new Set([...inherited, ...t.tags])];
      const file = t.pos.file === pb.src.path ? '' : `${relative(pb.dir, t.pos.file) || t.pos.file}:`;
      out.push({ index: t.index, depth, name: t.name, id: t.id, kind: kindOf(t), tags, where: `${file}${t.pos.line}` });
      const kids = t.parallel ?? t.block;
      if (kids) walk(kids, depth + 1, tags);
    }
  };
  walk(pb.tasks, 0, []);
  return out;
}

/** one line per task, indented by nesting: "  7. Backup name is set [assert]  id: x  tags: a,b  (line 47)" */
export function formatTaskTree(pb: Playbook): string {
  const lines = [`playbook: ${pb.name}`];
  for (const t of taskTree(pb)) {
    const kind = t.kind === 'parallel block' || t.kind === 'block' || t.kind.startsWith('import ') ? ` (${t.kind})` : ` [${t.kind}]`;
    const id = t.id ? `  id: ${t.id}` : '';
    const tags = t.tags.length ? `  tags: ${t.tags.join(',')}` : '';
    const where = /:/.test(t.where) ? `(${t.where})` : `(line ${t.where})`;
    lines.push(`  ${'   '.repeat(t.depth)}${String(t.index).padStart(3)}. ${t.name}${kind}${id}${tags}  ${where}`);
  }
  return lines.join('\n') + '\n';
}

/** every tag the playbook uses, with the number of tasks each selects (as `ansible-playbook --list-tags`) */
export function formatTags(pb: Playbook): string {
  const counts = new Map<string, number>();
  for (const t of taskTree(pb)) {
    if (t.kind === 'block' || t.kind === 'parallel block' || t.kind.startsWith('import ')) continue;
    for (const tag of t.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  const tags = [...counts.keys()].sort();
  if (!tags.length) return `playbook: ${pb.name}\n  no tags\n`;
  const width = Math.max(...tags.map((t) => t.length));
  return [`playbook: ${pb.name}`, `  tags: [${tags.join(', ')}]`, ...tags.map((t) => `  ${t.padEnd(width)}  ${counts.get(t)} task${counts.get(t) === 1 ? '' : 's'}`)].join('\n') + '\n';
}
