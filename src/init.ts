// `kfup init DIR`: a new environment file for the upgrade playbook, every variable with its
// meaning, where to find its value, and an example, from playbooks/variables.yaml.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { UserError } from './runner/errors.js';
import { writeFileAtomic } from './runner/state/fs-atomic.js';
import { packagePath } from './runner/load/package-root.js';

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

export function variableDocs(): VariableGroup[] {
  return (parse(readFileSync(packagePath('playbooks', 'variables.yaml'), 'utf8')) as { groups: VariableGroup[] }).groups;
}

const comment = (text: string): string => text.split('\n').map((l) => `# ${l}`).join('\n');

export function environmentTemplate(name: string): string {
  const lines = [
    `# kfup environment "${name}" for playbooks/blue-green-upgrade.yaml`,
    `# Fill in each value, then: npx kfup validate playbooks/blue-green-upgrade.yaml --env <this file>`,
    '',
    'targets:',
    '  aws:',
    '    region: us-west-2            # same as vars.region',
    '  clusters:',
    '    blue: { kubeconfig: ~/.kube/config, context: kubeflow-blue }',
    '    green: { kubeconfig: ~/.kube/config, context: kubeflow-green }',
    '',
    'vars:',
  ];
  for (const g of variableDocs()) {
    lines.push('', `  # --- ${g.title} ---`);
    for (const v of g.vars) {
      lines.push(comment(`${v.meaning}\nWhere to find it: ${v.where}`).replace(/^/gm, '  '));
      lines.push(stringify({ [v.name]: v.example }, { lineWidth: 0 }).trimEnd().replace(/^/gm, '  '));
    }
  }
  return lines.join('\n') + '\n';
}

export function initEnvironment(dir: string, name: string, force = false): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new UserError(`--name "${name}" is not a file name`, { hint: 'use letters, digits, ".", "-" and "_"' });
  const file = join(resolve(dir), `${name}.yaml`);
  if (existsSync(file) && !force) {
    throw new UserError(`${relative(process.cwd(), file) || file} already exists`, { hint: 'pass --force to replace it (the old file is kept as .bak), or choose another --name' });
  }
  if (existsSync(file)) writeFileAtomic(`${file}.bak`, readFileSync(file, 'utf8'));
  writeFileAtomic(file, environmentTemplate(name));
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
