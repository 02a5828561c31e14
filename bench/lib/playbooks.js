// Generated kfup playbooks for the benchmarks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `n` assert tasks, each with two templated conditions (the same ones as writeAnsibleAsserts) */
export function writeKfupAsserts(dir, n) {
  const lines = ['name: bench', 'vars:', '  limit: 1000000', '  label: kfup', 'tasks:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  - name: check ${i}`, '    assert:', `      that: ["{{gt limit ${i}}}", "{{ne label ''}}"]`);
  }
  const file = join(dir, `asserts-${n}.yaml`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
