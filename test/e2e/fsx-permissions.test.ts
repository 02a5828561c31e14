// Issue 13, point 10: "Set permissions for FSx", the FSx for Lustre guide's "Note about
// permissions" (website/content/en/docs/add-ons/storage/fsx-for-lustre/guide.md on the Kubeflow on
// AWS blue/green branch) as a step of the upgrade's FSx path: the playbook's own tasks render one
// Job per restored FSx claim, judged by the official batch/v1 Job schema (kubernetes-models).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { runTasks, tempDir } from '../helpers/run.js';

type Task = Record<string, unknown> & { id?: string };
const playbook = parse(readFileSync(join(repoRoot, 'playbooks/blue-green-upgrade.yaml'), 'utf8')) as { vars: Record<string, unknown>; tasks: Task[] };
const task = (id: string) => playbook.tasks.find((t) => t.id === id)!;

const claim = (namespace: string, name: string, storageClassName: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace }, spec: { storageClassName, accessModes: ['ReadWriteMany'] } });

describe('the FSx permissions step of the upgrade playbook', () => {
  it('runs only on the FSx path, after the restore and before the check that green serves everything', () => {
    const ids = playbook.tasks.map((t) => t.id);
    for (const id of ['fsx-claims', 'fsx-permissions', 'fsx-permissions-gate']) {
      expect(String(task(id).when)).toContain("(eq storage 'fsx')");
      expect(ids.indexOf(id)).toBeGreaterThan(ids.indexOf('velero-restore'));
      expect(ids.indexOf(id)).toBeLessThan(ids.indexOf('final-checks'));
    }
  });

  it('writes one valid Job per FSx claim, with the guide\'s chmod and chown, and none for other claims', async () => {
    const dir = tempDir('kfup-fsx-perm-');
    // the playbook's own template task, with the claims green would list
    const { template } = task('fsx-permissions') as { template: Record<string, unknown> };
    const claims = [claim('team-000', 'workspace-nb-0', 'fsx-sc'), claim('team-000', 'data', 'efs-sc'), claim('team-001', 'workspace-nb-1', 'fsx-sc')];
    const r = await runTasks({
      dir,
      vars: { output_dir: 'out', fsx_storage_class: playbook.vars.fsx_storage_class, fsx_permission_image: playbook.vars.fsx_permission_image, green_fsx_claims: { outputs: { objects: claims } } },
      tasks: [{ name: 'render', template: { ...template, src: join(repoRoot, 'playbooks', String(template.src)) } }],
    });
    expect(r.reporter.end('render').status, r.reporter.end('render').message).toBe('changed');
    const docs = parseAllDocuments(readFileSync(join(dir, 'out', 'fsx-set-permission-jobs.yaml'), 'utf8'))
      .map((d) => d.toJS() as unknown)
      .filter(Boolean)
      .map((d) => new Job(d as ConstructorParameters<typeof Job>[0]));
    expect(docs.map((d) => `${d.metadata?.namespace}/${d.spec?.template.spec?.volumes?.[0].persistentVolumeClaim?.claimName}`)).toEqual(['team-000/workspace-nb-0', 'team-001/workspace-nb-1']);
    for (const d of docs) {
      d.validate();
      expect(d.spec?.template.spec?.containers[0].command?.join(' ')).toContain('chmod 2775 /data && chown root:users /data');
      expect(d.spec?.template.metadata?.annotations?.['sidecar.istio.io/inject']).toBe('false');
    }
  });
});
