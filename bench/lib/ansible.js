// ansible-playbook as a comparison column: where it is, how to install it, how to run it quietly
// and locally, and playbooks equivalent to kfup's generated ones.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, which } from './proc.js';

export const ansiblePlaybook = () => which('ansible-playbook');
export const ANSIBLE_MISSING = 'ansible-playbook not found; install it with `sudo apt-get install ansible-core` (or `pipx install ansible-core`)';

/** the environment for a quiet local run: no colour, no warnings, no retry files, no cowsay */
const quiet = {
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_NOCOWS: '1',
  ANSIBLE_LOCALHOST_WARNING: 'false',
  ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
  ANSIBLE_RETRY_FILES_ENABLED: 'false',
  ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
};

export function ansible(args, opts = {}) {
  return run(ansiblePlaybook(), ['-i', 'localhost,', ...args], { ...opts, env: { ...quiet, ...opts.env } });
}

/**
 * One play on localhost, connection local, no fact gathering, with `n` ansible.builtin.assert
 * tasks whose conditions are Jinja expressions over variables (the same conditions kfup's
 * generated playbook evaluates as Handlebars templates).
 */
export function writeAnsibleAsserts(dir, n) {
  const lines = ['- name: bench', '  hosts: localhost', '  connection: local', '  gather_facts: false', '  vars:', '    limit: 1000000', '    label: kfup', '  tasks:'];
  for (let i = 0; i < n; i++) {
    lines.push(`    - name: check ${i}`, '      ansible.builtin.assert:', '        that:', `          - limit > ${i}`, "          - label != ''", '        quiet: true');
  }
  const file = join(dir, `asserts-${n}.ansible.yml`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
