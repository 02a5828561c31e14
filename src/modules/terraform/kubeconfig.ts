// The new cluster's kubeconfig context after the EKS stage: the deployment's Makefile runs
// `terraform output -raw configure_kubectl | bash` (deployments/upgrade/terraform/Makefile on the
// Kubeflow on AWS blue/green branch), and outputs.tf makes that output
// "aws eks --region R update-kubeconfig --name N". kfup never hands Terraform output to a shell: it
// reads the region and the cluster name out of that command, refuses anything else, and runs the
// aws CLI itself with an argument array, adding --alias (the context name the playbook targets) and
// --kubeconfig.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TaskError } from '../kit/index.js';

export interface UpdateKubeconfig {
  region?: string;
  name: string;
}

/** "aws eks --region R update-kubeconfig --name N" (flags in any order, --flag=value too) → its region and name */
export function parseConfigureKubectl(command: string, output: string): UpdateKubeconfig {
  const refuse = (why: string) =>
    new TaskError(`output ${output} is not an \`aws eks update-kubeconfig\` command kfup can run (${why}): ${command}`, {
      code: 'badKubectlOutput',
      hint: 'the upgrade module\'s configure_kubectl output is "aws eks --region REGION update-kubeconfig --name CLUSTER"; name another output, or leave out the stage\'s kubeconfig',
    });
  if (/[;&|`$<>()\\\n"']/.test(command)) throw refuse('shell syntax');
  const words = command.trim().split(/\s+/);
  if (words[0] !== 'aws' || words[1] !== 'eks' || !words.includes('update-kubeconfig')) throw refuse('not aws eks update-kubeconfig');
  const flags: Record<string, string> = {};
  for (let i = 2; i < words.length; i++) {
    const w = words[i];
    if (w === 'update-kubeconfig') continue;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(w);
    if (!m) throw refuse(`unexpected word "${w}"`);
    const value = m[2] ?? words[++i];
    if (value === undefined || value.startsWith('--')) throw refuse(`--${m[1]} has no value`);
    if (!['region', 'name'].includes(m[1])) throw refuse(`unexpected flag --${m[1]}`);
    flags[m[1]] = value;
  }
  if (!flags.name) throw refuse('no --name');
  return { region: flags.region, name: flags.name };
}

export const expandHome = (p: string): string => (p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);

/** the context names a kubeconfig file holds (none when the file is absent or unreadable) */
export function kubeconfigContexts(file: string): string[] {
  if (!existsSync(file)) return [];
  try {
    const doc = parse(readFileSync(file, 'utf8')) as { contexts?: { name?: string }[] } | null;
    return (doc?.contexts ?? []).map((c) => c.name ?? '').filter(Boolean);
  } catch {
    return [];
  }
}

export function updateKubeconfigArgs(u: UpdateKubeconfig, alias: string, file: string): string[] {
  return ['eks', 'update-kubeconfig', ...(u.region ? ['--region', u.region] : []), '--name', u.name, '--alias', alias, '--kubeconfig', file];
}
