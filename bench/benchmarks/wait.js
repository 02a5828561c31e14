// 4. Waiting: the time from a Velero backup reaching its final phase in the sandbox to kfup
// reporting it (the task-end event on kfup's stdout), against the reference the manual procedure
// uses: `velero backup create --wait`, which polls the Backup once a second.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { hasTaskType, kfup, scratchDir, removeDir, skip } from '../lib/context.js';
import { alternate, median } from '../lib/stats.js';
import { startSandbox, writePlaybook } from '../lib/sandbox.js';

const FINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);
const POLL_MS = 1000;
const LATENCY_MS = 2;

export default {
  name: 'wait',
  title: 'Waiting (Velero backup)',
  compares: `time from a Velero Backup reaching its final phase in the sandbox to kfup's task-end event for it (\`kfup run\` of one velero-backup task, --output json), vs a ${POLL_MS / 1000} s poll of the Backup over HTTP (what \`velero backup create --wait\` does)`,
  fair: `same sandbox, same Velero controller and phase timing, ${LATENCY_MS} ms latency per request for both; the final phase is timed in the sandbox's own store, and both detections on the same clock in this process; the poll starts at a random phase within its second (a real backup ends at a random moment relative to the poll), so its expected latency is half the period plus one request`,
  reps: 7,
  async run({ reps, log }) {
    if (!(await hasTaskType('velero-backup'))) skip('the velero-backup task type is not registered in src/modules/index.ts (dist/)');
    const dir = scratchDir('wait');
    const sb = await startSandbox({ dir: join(dir, 'sandbox'), profiles: 3, latencyMs: LATENCY_MS, timing: { veleroPhaseMs: 300, veleroSyncMs: 300 } });
    const store = sb.clusters.blue.server.store;
    const ns = sb.scenario.velero.namespace;
    // when each backup reached its final phase, on this process's clock
    const finalAt = new Map();
    const unsubscribe = store.subscribe((e) => {
      if (e.object.kind === 'Backup' && FINAL.has(e.object.status?.phase) && !finalAt.has(e.object.metadata.name)) finalAt.set(e.object.metadata.name, performance.now());
    });
    const token = parse(readFileSync(sb.kubeconfigPath, 'utf8')).users[0].user.token;
    const api = `${sb.clusters.blue.url}/apis/velero.io/v1/namespaces/${ns}/backups`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    try {
      const playbook = writePlaybook(dir, 'backup.yaml', sb, [{ name: 'Back up the profiles', 'velero-backup': { cluster: 'blue', name: '{{bname}}' } }]);
      let i = 0;
      const kfupSide = async () => {
        const name = `bench-kfup-${i++}`;
        let reportedAt;
        const r = await kfup(['run', playbook, '--output', 'json', '--var', `bname=${name}`, '--state-dir', join(dir, `state-${i}`)], {
          cwd: dir,
          env: sb.env,
          onLine: (line, t) => {
            if (line.includes('"task-end"')) reportedAt = t;
          },
        });
        if (r.code !== 0) throw new Error(`kfup run exited ${r.code}: ${(r.stderr || r.stdout).slice(0, 400)}`);
        if (!finalAt.has(name) || reportedAt === undefined) throw new Error(`backup ${name} did not end, or kfup did not report it`);
        return { ms: reportedAt - finalAt.get(name) };
      };
      const pollSide = async () => {
        const name = `bench-poll-${i++}`;
        const body = { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name, namespace: ns }, spec: { includedNamespaces: sb.scenario.profiles.map((p) => p.namespace), storageLocation: sb.scenario.velero.storageLocation } };
        const created = await fetch(api, { method: 'POST', headers, body: JSON.stringify(body) });
        if (!created.ok) throw new Error(`creating ${name}: HTTP ${created.status}`);
        await new Promise((r) => setTimeout(r, Math.random() * POLL_MS));
        for (;;) {
          const got = await (await fetch(`${api}/${name}`, { headers })).json();
          if (FINAL.has(got.status?.phase)) return { ms: performance.now() - finalAt.get(name) };
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      };
      const samples = await alternate([{ name: 'kfup', run: kfupSide }, { name: 'poll', run: pollSide }], reps, { log });
      const k = median(samples.kfup.map((s) => s.ms));
      const p = median(samples.poll.map((s) => s.ms));
      return {
        rows: [
          { side: 'kfup velero-backup (watch)', median_ms: k, samples_ms: samples.kfup.map((s) => +s.ms.toFixed(1)), note: 'final phase -> task-end on stdout' },
          { side: `${POLL_MS / 1000} s poll (velero --wait)`, median_ms: p, samples_ms: samples.poll.map((s) => +s.ms.toFixed(1)), note: 'final phase -> poll sees it' },
        ],
        figures: [
          { name: 'kfup reporting delay', value: k, unit: 'ms', target: '< 100 ms', met: k < 100 },
          { name: 'poll / kfup', value: p / k, unit: 'x' },
        ],
      };
    } finally {
      unsubscribe();
      await sb.stop();
      removeDir(dir);
    }
  },
};
