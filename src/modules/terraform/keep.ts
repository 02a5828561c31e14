// Addresses a destroy must never reach: retiring an old cluster removes its EKS stage, but the
// backup vault and the cluster security group RDS uses stay ("Deleting old clusters" in the
// Kubeflow on AWS upgrade runbook, website/content/en/docs/deployment/upgrade.md on the blue/green
// branch), and so do the data stores. `terraform destroy -target` also destroys everything that
// depends on a target, so the plan itself is checked, not the targets.

/** a keep pattern as a regular expression: `**` any text, `*` any run within one address segment, `[*]` any index */
export function keepPattern(glob: string): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**', i)) {
      src += '.*';
      i++;
    } else if (glob.startsWith('[*]', i)) {
      src += '\\[[^\\]]*\\]';
      i += 2;
    } else if (glob[i] === '*') src += '[^.\\[\\]]*';
    else src += glob[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/** the planned deletions (destroy or replace) that a keep pattern matches */
export function keptButDeleted(resources: { address: string; action: string }[], keep: string[]): { address: string; pattern: string }[] {
  const patterns = keep.map((k) => ({ k, re: keepPattern(k) }));
  const out: { address: string; pattern: string }[] = [];
  for (const r of resources) {
    if (r.action !== 'delete' && r.action !== 'replace') continue;
    const hit = patterns.find((p) => p.re.test(r.address));
    if (hit) out.push({ address: r.address, pattern: hit.k });
  }
  return out;
}
