// Issue 16, "plans are hard to read": --diff lays a change out as `terraform plan` does. A new
// object is YAML, one field per line, each marked "+"; a multi-line string inside an object (a
// ConfigMap's config file) is a unified diff of its lines, not one escaped line; a tool's own
// rendering (terraform plan's text) is shown as it is, indentation kept; and the recap sums the
// changes up as "Plan: N to add, M to change, K to destroy", with what is known only after apply.
import { describe, expect, it } from 'vitest';
import { changeDiff } from '../../src/runner/report/diff.js';
import { planLine } from '../../src/runner/report/format.js';

const config = (retention: string) =>
  ['global:', '  scrape_interval: 30s', 'scrape_configs:', '  - job_name: kubeflow', '    static_configs:', '      - targets: [a:9090]', `# retention ${retention}`, ''].join('\n');

describe('--diff layout', () => {
  it('a new object is YAML, one field per line, each marked +', () => {
    const lines = changeDiff({ action: 'create', target: 'backup velero/b1', summary: 'create', after: { includedNamespaces: ['team-a', 'team-b'], ttl: '720h0m0s', labels: { app: 'kfup' } } });
    expect(lines).toEqual(['+ includedNamespaces:', '+   - team-a', '+   - team-b', '+ ttl: 720h0m0s', '+ labels:', '+   app: kfup']);
  });

  it('a multi-line value in an object is a unified diff of its lines, the rest of the object field by field', () => {
    const before = { metadata: { name: 'prometheus' }, data: { 'prometheus.yml': config('15d'), mode: 'a' } };
    const after = { metadata: { name: 'prometheus' }, data: { 'prometheus.yml': config('30d'), mode: 'b' } };
    const lines = changeDiff({ action: 'update', target: 'configmap monitoring/prometheus', summary: 'patch', before, after });
    expect(lines).toContain('~ data.mode: "a" → "b"');
    const at = lines.indexOf('~ data.prometheus.yml:');
    expect(at).toBeGreaterThanOrEqual(0);
    const hunk = lines.slice(at + 1);
    expect(hunk[0]).toMatch(/^ {4}@@ -\d+,\d+ \+\d+,\d+ @@$/);
    expect(hunk).toContain('    -# retention 15d');
    expect(hunk).toContain('    +# retention 30d');
    // the context lines keep the YAML's own indentation
    expect(hunk).toContain('           - targets: [a:9090]');
    // no line holds the escaped file
    expect(lines.some((l) => l.includes('\\n'))).toBe(false);
  });

  it('a field added to an object is shown whole below its path', () => {
    const lines = changeDiff({ action: 'update', target: 'deployment x', summary: 'patch', before: { spec: {} }, after: { spec: { template: { metadata: { annotations: { a: '1', b: '2' } } } } } });
    expect(lines).toEqual(['+ spec.template:', '    metadata:', '      annotations:', '        a: "1"', '        b: "2"']);
  });

  it('a list that grew is diffed as YAML lines', () => {
    const lines = changeDiff({ action: 'update', target: 'x', summary: 'patch', before: { ns: ['a', 'b'] }, after: { ns: ['a', 'b', 'c'] } });
    expect(lines[0]).toBe('~ ns:');
    expect(lines).toContain('    +- c');
  });

  it("a tool's own rendering is shown as it is, indentation kept", () => {
    const detail = ['Terraform will perform the following actions:', '', '  # terraform_data.x will be created', '  + resource "terraform_data" "x" {', '      + id = (known after apply)', '    }', '', 'Plan: 1 to add, 0 to change, 0 to destroy.'];
    expect(changeDiff({ action: 'create', target: 'terraform_data.x', summary: 'create', detail })).toEqual(detail);
  });

  it('the recap sums the changes up as terraform plan does, with what is known after apply said as such', () => {
    expect(planLine('check', { add: 3, change: 1, destroy: 0, run: 0, afterApply: 0 })).toBe('Plan: 3 to add, 1 to change, 0 to destroy.');
    expect(planLine('check', { add: 1, change: 0, destroy: 2, run: 1, afterApply: 2 })).toBe('Plan: 1 to add, 0 to change, 2 to destroy, 1 to run; 2 more known after apply (they depend on what earlier tasks apply).');
    expect(planLine('run', { add: 6, change: 1, destroy: 0, run: 0, afterApply: 0 })).toBe('Applied: 6 added, 1 changed, 0 destroyed.');
  });
});
