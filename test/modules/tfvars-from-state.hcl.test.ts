// The HCL writer and the tfvars merge on their own: escaping, multi-line values, comments,
// heredocs, duplicates, and that merging twice never changes the file again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hclString, hclValue } from '../../src/modules/kit/hcl-value.js';
import { findAssignments, mergeTfvars, plainStringValue } from '../../src/modules/tfvars/hcl.js';
import { addressPattern, parseAttributePath } from '../../src/modules/tfvars/state-reader.js';

describe('hclValue', () => {
  it('quotes and escapes strings, and keeps Terraform from reading templates in them', () => {
    expect(hclString('a "b" \\ c\nd')).toBe('"a \\"b\\" \\\\ c\\nd"');
    expect(hclString('${var.x} %{if}')).toBe('"$${var.x} %%{if}"');
    expect(hclValue(['a', 'b'])).toBe('["a", "b"]');
    expect(hclValue({ Name: 'x', 'kubernetes.io/role': '1' })).toBe('{ Name = "x", "kubernetes.io/role" = "1" }');
    expect(hclValue(true)).toBe('true');
    expect(hclValue(3)).toBe('3');
    expect(hclValue(null)).toBe('null');
  });

  it('reads back every string it writes', () => {
    fc.assert(fc.property(fc.string(), (s) => plainStringValue(hclString(s)) === s));
  });
});

describe('mergeTfvars', () => {
  const existing = [
    '# header',
    'a = "1" # keep me',
    'list = [',
    '  "x", # inside',
    '  "y",',
    ']',
    'doc = <<EOT',
    'b = "not an assignment"',
    'EOT',
    '/* block',
    'b = "commented out"',
    '*/',
    'other="z"',
    '',
  ].join('\n');

  it('replaces in place, keeps comments and other lines, appends new keys', () => {
    const r = mergeTfvars(existing, [['a', '2'], ['list', ['p']], ['b', 'new']]);
    expect(r.content).toBe(['# header', 'a = "2" # keep me', 'list = ["p"]', 'doc = <<EOT', 'b = "not an assignment"', 'EOT', '/* block', 'b = "commented out"', '*/', 'other="z"', 'b = "new"', ''].join('\n'));
    expect(r.replaced).toEqual(['a', 'list']);
    expect(r.added).toEqual(['b']);
  });

  it('finds top-level assignments only', () => {
    expect(findAssignments(existing).map((a) => `${a.key}:${a.start}-${a.end}`)).toEqual(['a:1-1', 'list:2-5', 'doc:6-8', 'other:12-12']);
  });

  it('drops repeated keys and is idempotent', () => {
    const twice = 'a = "1"\nb = "2"\na = "1"\nb = "2"\n';
    const r = mergeTfvars(twice, [['a', '9'], ['b', '2']]);
    expect(r.content).toBe('a = "9"\nb = "2"\n');
    expect(r.deduplicated).toEqual(['a', 'b']);
    const values = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'src_vpc_id'), fc.oneof(fc.string(), fc.array(fc.string()), fc.boolean())), { maxLength: 6 });
    fc.assert(
      fc.property(values, (vals) => {
        const uniq = [...new Map(vals)];
        const once = mergeTfvars(existing, uniq).content;
        return mergeTfvars(once, uniq).content === once;
      }),
    );
  });

  it('creates a file from nothing', () => {
    expect(mergeTfvars('', [['x', 'y']]).content).toBe('x = "y"\n');
  });
});

describe('state addresses', () => {
  it('matches module paths, names and indexes', () => {
    const re = addressPattern('**.aws_db_instance.kubeflow_db');
    expect(re.test('module.kubeflow_components.module.rds[0].aws_db_instance.kubeflow_db')).toBe(true);
    expect(re.test('aws_db_instance.kubeflow_db')).toBe(true);
    expect(re.test('module.x.aws_db_instance.kubeflow_db2')).toBe(false);
    expect(addressPattern('module.vpc.aws_subnet.private[*]').test('module.vpc.aws_subnet.private[2]')).toBe(true);
    expect(addressPattern('module.vpc.aws_subnet.private[*]').test('module.other.module.vpc.aws_subnet.private[2]')).toBe(false);
    expect(addressPattern('**.aws_efs_file_system.*').test('module.efs.aws_efs_file_system.kubeflow')).toBe(true);
    expect(addressPattern('aws_subnet.x["a"]').test('aws_subnet.x["a"]')).toBe(true);
  });

  it('parses attribute paths', () => {
    expect(parseAttributePath('vpc_config[0].cluster_security_group_id')).toEqual(['vpc_config', 0, 'cluster_security_group_id']);
    expect(parseAttributePath('tags["kubernetes.io/role/elb"]')).toEqual(['tags', 'kubernetes.io/role/elb']);
  });
});

describe('hclValue read by terraform itself', () => {
  const hasTf = (() => {
    try {
      execFileSync('terraform', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      console.warn('terraform is not on PATH: the tfvars round trip through terraform is skipped');
      return false;
    }
  })();
  it.skipIf(!hasTf)('gives back the same strings and lists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfup-hcl-'));
    const s = 'a ${b} %{c} "q" \\ \n end\ttab ünï';
    const l = ['subnet-1', '${x}', ''];
    writeFileSync(join(dir, 'main.tf'), 'variable "s" { type = string }\nvariable "l" { type = list(string) }\noutput "s" { value = var.s }\noutput "l" { value = var.l }\n');
    writeFileSync(join(dir, 'x.auto.tfvars'), `s = ${hclValue(s)}\nl = ${hclValue(l)}\n`);
    const opts = { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[], encoding: 'utf8' as const };
    execFileSync('terraform', ['init', '-input=false'], opts);
    execFileSync('terraform', ['apply', '-input=false', '-auto-approve'], opts);
    const out = JSON.parse(execFileSync('terraform', ['output', '-json'], opts)) as Record<string, { value: unknown }>;
    expect(out.s.value).toBe(s);
    expect(out.l.value).toEqual(l);
  }, 30_000);
});
