// Issue 16, "Terraform's plan loses its indentation": terraform-apply's check --diff shows the
// text `terraform plan` printed, from "Terraform will perform the following actions:" to its
// "Plan:" line, each line as Terraform laid it out (nested attributes indented under their
// resource), through the built CLI with the real terraform binary and a configuration of built-in
// resources only (no provider to download).
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kfup } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';
import { haveTerraform as terraformFound } from '../helpers/binaries.js';

const terraform = terraformFound("terraform-apply's plan text test is skipped");

describe('terraform-apply check --diff', () => {
  it.skipIf(!terraform)("shows terraform plan's text as Terraform lays it out (skips without terraform on PATH)", async () => {
    const tdir = tempDir('kfup-tfplan-test-');
    const tf = join(tdir, 'tf');
    mkdirSync(tf);
    // built-in resources only: no provider to download
    writeFileSync(join(tf, 'main.tf'), 'resource "terraform_data" "cluster" {\n  input = { name = "green", nodes = 2 }\n}\n');
    const pb = join(tdir, 'playbook.yaml');
    writeFileSync(pb, stringify({ name: 'deploy', tasks: [{ name: 'Deploy green', 'terraform-apply': { dir: 'tf' } }] }));
    const r = await kfup(['run', pb, '--check', '--diff', '--state-dir', join(tdir, '.kfup')], { cwd: tdir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.trim() === 'Terraform will perform the following actions:');
    expect(at, r.stdout).toBeGreaterThan(0);
    const indent = /^\s*/.exec(lines[at])![0].length;
    // each line as Terraform printed it, after the one indentation of the change it belongs to
    const shown = lines.slice(at, at + 12).map((l) => l.slice(indent));
    expect(shown).toContain('  # terraform_data.cluster will be created');
    expect(shown).toContain('  + resource "terraform_data" "cluster" {');
    expect(shown.some((l) => /^ {6}\+ input {2}= \{$/.test(l)), shown.join('\n')).toBe(true);
    expect(shown.some((l) => /^ {10}\+ name {2}= "green"$/.test(l)), shown.join('\n')).toBe(true);
    expect(r.stdout).toMatch(/^\s+Plan: 1 to add, 0 to change, 0 to destroy\.$/m);
    // the saved plan's private path is not shown
    expect(r.stdout).not.toMatch(/Saved the plan to/);
  }, 60_000);
});
