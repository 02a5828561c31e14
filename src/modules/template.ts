// template: renders a Handlebars file (or inline content) to a local file. Check compares with what
// is on disk and shows a unified diff; apply writes atomically and keeps the old content as a backup.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { loadTaskSchema, packagePath } from '../runner/load/package-root.js';
import { renderString } from '../runner/template/template.js';
import type { Context, TaskModule } from '../runner/types.js';

interface TemplateParams {
  src?: string;
  content?: string;
  dest: string;
  vars?: Record<string, unknown>;
  backup?: boolean;
  mode?: string;
}

function source(params: TemplateParams, ctx: Context): string {
  if (params.content !== undefined) return params.content;
  const src = params.src!;
  const file = src.startsWith('kfup:') ? packagePath('templates', src.slice(5)) : ctx.resolvePath(src);
  if (!existsSync(file)) throw new Error(`template file not found: ${file}`);
  const text = readFileSync(file, 'utf8');
  const out = renderString(text, { ...(params.vars ?? {}) });
  return String(out);
}

const template: TaskModule<TemplateParams> = {
  name: 'template',
  schema: loadTaskSchema('template'),
  describe: (p) => [`render ${p.src ?? 'inline content'} to ${p.dest}`],
  async check(params, ctx) {
    const dest = isAbsolute(params.dest) ? params.dest : ctx.resolvePath(params.dest);
    const after = source(params, ctx);
    const exists = existsSync(dest);
    const before = exists ? readFileSync(dest, 'utf8') : undefined;
    const wantMode = params.mode ? Number.parseInt(params.mode, 8) : undefined;
    const modeDiffers = exists && wantMode !== undefined && (statSync(dest).mode & 0o777) !== wantMode;
    if (before === after && !modeDiffers) return { changes: [], outputs: { path: dest } };
    return {
      changes: [
        {
          action: exists ? 'update' : 'create',
          target: `file ${resolve(dest)}`,
          summary: exists ? (before === after ? `set mode ${params.mode}` : `replace ${before!.split('\n').length} lines with ${after.split('\n').length}`) : `write ${after.split('\n').length} lines`,
          before,
          after,
        },
      ],
      outputs: { path: dest },
      data: after,
    };
  },
  async apply(params, ctx, plan) {
    const dest = isAbsolute(params.dest) ? params.dest : ctx.resolvePath(params.dest);
    const backup = ctx.writeFile(dest, plan.data as string, { backup: params.backup !== false, mode: params.mode ? Number.parseInt(params.mode, 8) : undefined });
    if (backup) ctx.log(`previous content kept in ${backup}`);
    return { path: dest, backup };
  },
};

export default template;
