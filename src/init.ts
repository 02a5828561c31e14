// `kfup init DIR [--playbook FILE]`: a new environment file for a playbook. It holds only
// variables (the playbook's targets read them), each documented (meaning, where to find the
// value, an example) when a variables.yaml beside the playbook describes it, and each a
// placeholder that fails validation, saying what to put there, until it is replaced.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { UserError } from './runner/errors.js';
import { writeFileAtomic } from './runner/state/fs-atomic.js';
import { packagePath } from './runner/load/package-root.js';
import { loadPlaybook } from './runner/load/playbook.js';
import { PLACEHOLDER } from './runner/load/vars.js';
import { exportsVars } from './runner/engine/outputs.js';
import type { TaskRegistry } from './runner/types.js';
import { neededVariables } from './init-vars.js';

export interface VariableDoc {
  name: string;
  meaning: string;
  where: string;
  example: unknown;
}

export interface VariableGroup {
  title: string;
  vars: VariableDoc[];
}

/** the documented variables of a playbook: variables.yaml beside it (the shipped upgrade playbook's by default) */
export function variableDocs(file = packagePath('playbooks', 'variables.yaml')): VariableGroup[] {
  return (parse(readFileSync(file, 'utf8')) as { groups: VariableGroup[] }).groups;
}

const comment = (text: string): string => text.split('\n').map((l) => `# ${l}`).join('\n');
const flow = (v: unknown): string => (typeof v === 'string' ? v : stringify(v, { flow: true, lineWidth: 0 }).trim());

export const defaultPlaybook = (): string => packagePath('playbooks', 'blue-green-upgrade.yaml');

export interface TemplateOptions {
  /** the playbook the environment is for; default the shipped upgrade playbook */
  playbook?: string;
  /** needed with `playbook`, to find the variables it uses */
  registry?: TaskRegistry;
}

/** the text of a new environment file: vars only, every value a placeholder saying what goes there */
export function environmentTemplate(name: string, opts: TemplateOptions = {}): string {
  const playbook = resolve(opts.playbook ?? defaultPlaybook());
  const beside = join(dirname(playbook), 'variables.yaml');
  const groups: VariableGroup[] = existsSync(beside) ? variableDocs(beside) : [];
  const documented = new Set(groups.flatMap((g) => g.vars.map((v) => v.name)));
  const shown = relative(process.cwd(), playbook) || playbook;
  const lines = [
    `# kfup environment "${name}" for ${shown}`,
    '# Replace every "FILL IN" value (kfup validate names each one left), then:',
    `#   npx kfup validate ${shown} --env <this file>`,
    '# The playbook\'s targets read these variables; only variables belong here.',
    '',
    'vars:',
  ];
  for (const g of groups) {
    lines.push('', `  # --- ${g.title} ---`);
    for (const v of g.vars) {
      lines.push(comment(`${v.meaning}\nWhere to find it: ${v.where}\nExample: ${flow(v.example)}`).replace(/^/gm, '  '));
      lines.push(stringify({ [v.name]: `${PLACEHOLDER}${v.meaning.replace(/\.$/, '')} (e.g. ${flow(v.example)})` }, { lineWidth: 0 }).trimEnd().replace(/^/gm, '  '));
    }
  }
  if (opts.registry) {
    const registry = opts.registry;
    const pb = loadPlaybook(playbook, registry.names());
    const rest = neededVariables(pb, (t) => exportsVars(registry, t)).filter((v) => !documented.has(v.name));
    if (rest.length) lines.push('', groups.length ? '  # --- Other variables the playbook uses ---' : '  # --- Variables the playbook uses ---');
    for (const v of rest.sort((a, b) => a.name.localeCompare(b.name))) {
      const by = v.usedBy.length > 3 ? `${v.usedBy.slice(0, 3).join(', ')} and ${v.usedBy.length - 3} more` : v.usedBy.join(', ');
      lines.push(comment(`Used by ${by}.`).replace(/^/gm, '  '));
      lines.push(stringify({ [v.name]: `${PLACEHOLDER}the value of ${v.name} that ${by} use${v.usedBy.length === 1 ? 's' : ''}` }, { lineWidth: 0 }).trimEnd().replace(/^/gm, '  '));
    }
    // the playbook's own defaults: shown, commented out, for an environment that needs another value
    const defaults = Object.entries(pb.vars).filter(([k]) => !documented.has(k));
    if (defaults.length) lines.push('', "  # --- The playbook's defaults: uncomment to override ---");
    for (const [k, v] of defaults) lines.push(`  # ${stringify({ [k]: v }, { flow: true, lineWidth: 0 }).trim().replace(/^\{ ?| ?}$/g, '')}`);
  }
  return lines.join('\n') + '\n';
}

export function initEnvironment(dir: string, name: string, force = false, opts: TemplateOptions = {}): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new UserError(`--name "${name}" is not a file name`, { hint: 'use letters, digits, ".", "-" and "_"' });
  const file = join(resolve(dir), `${name}.yaml`);
  if (existsSync(file) && !force) {
    throw new UserError(`${relative(process.cwd(), file) || file} already exists`, { hint: 'pass --force to replace it (the old file is kept as .bak), or choose another --name' });
  }
  const text = environmentTemplate(name, opts);
  if (existsSync(file)) writeFileAtomic(`${file}.bak`, readFileSync(file, 'utf8'));
  writeFileAtomic(file, text);
  return file;
}

/** the README's reference of the upgrade playbook's variables (a test keeps the README equal to it) */
export function variablesMarkdown(): string {
  const cell = (v: string) => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines: string[] = [];
  for (const g of variableDocs()) {
    lines.push(`**${g.title}**`, '', '| variable | meaning | where to find it |', '| --- | --- | --- |');
    for (const v of g.vars) lines.push(`| \`${v.name}\` | ${cell(v.meaning)} | ${cell(v.where)} |`);
    lines.push('');
  }
  return lines.join('\n').trimEnd();
}
