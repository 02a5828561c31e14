// template: renders a Handlebars file (or inline content) to a local file. Check compares with what
// is on disk and shows a unified diff; apply writes atomically and keeps the old content as a backup.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { defineTask, packagePath, renderString, TaskError, Unknown, type TaskContext } from './kit/index.js';
import type { TemplateOutputs, TemplateParams } from './generated/template.js';

/** the rendered content, kept from check for apply to write */
type Data = string;

const destOf = (params: TemplateParams, ctx: TaskContext): string => (isAbsolute(params.dest) ? params.dest : ctx.resolvePath(params.dest));
const modeOf = (params: TemplateParams): number | undefined => (params.mode ? Number.parseInt(params.mode, 8) : undefined);

export default defineTask<TemplateParams, TemplateOutputs, Data>({
  name: 'template',
  messages: { notFound: 'template file not found: {{file}}' },
  describe: (p) => [`render ${p.src ?? 'inline content'} to ${p.dest}`],
  async check(params, ctx) {
    const dest = destOf(params, ctx);
    let after: string;
    if (params.content !== undefined) after = params.content;
    else {
      const src = params.src ?? '';
      const file = src.startsWith('kfup:') ? packagePath('templates', src.slice(5)) : ctx.resolvePath(src);
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) throw this.error('notFound', { file }, { hint: 'src is relative to the playbook directory; kfup:<path> names a template shipped under templates/' });
      after = String(renderString(text, { ...(params.vars ?? {}) }));
    }
    const current = await stat(dest).catch(() => undefined);
    const exists = current !== undefined;
    const before = exists ? await readFile(dest, 'utf8') : undefined;
    const wantMode = modeOf(params);
    const modeDiffers = exists && wantMode !== undefined && (current.mode & 0o777) !== wantMode;
    if (before === after && !modeDiffers) return { changes: [], outputs: { path: dest, backup: null } };
    const lines = (s: string) => s.split('\n').length;
    return {
      changes: [
        {
          action: exists ? 'update' : 'create',
          target: `file ${resolve(dest)}`,
          summary: before === undefined ? `write ${lines(after)} lines` : before === after ? `set mode ${params.mode}` : `replace ${lines(before)} lines with ${lines(after)}`,
          before,
          after,
        },
      ],
      // the backup's name (DEST.bak, or .bak.N when that is taken) is known when it is written
      outputs: { path: dest, backup: exists && params.backup ? new Unknown('the backup of the replaced file') : null },
      data: after,
    };
  },
  // writing is synchronous (ctx.writeFile: a temporary file, then a rename)
  apply(params, ctx, plan) {
    const dest = destOf(params, ctx);
    if (plan.data === undefined) return Promise.reject(new TaskError(`no rendered content for ${dest} in the plan`, { code: 'noContent' }));
    const backup = ctx.writeFile(dest, plan.data, { backup: params.backup, mode: modeOf(params) });
    if (backup) ctx.log(`previous content kept in ${backup}`);
    return Promise.resolve({ path: dest, backup: backup ?? null });
  },
});
