// The unavoidable waits of a run against the sandbox, observed in the sandbox itself: AWS
// Backup jobs, Velero backups and restores (both clusters), the backup appearing on green
// (Velero's storage sync) and Route 53 changes reaching INSYNC. No client can end these
// sooner; the critical-path bound is the length of their union (overlapping waits, such as
// parallel backup jobs, count once), plus the external programs' own run time.
const FINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);

export function recordWaits(sb) {
  const velero = new Map(); // `${side}/${kind}/${name}` -> { added, final }
  const unsubs = ['blue', 'green'].map((side) =>
    sb.clusters[side].server.store.subscribe((e) => {
      const o = e.object;
      if (o.kind !== 'Backup' && o.kind !== 'Restore') return;
      const key = `${side}/${o.kind}/${o.metadata.name}`;
      const rec = velero.get(key) ?? {};
      rec.added ??= Date.now();
      if (FINAL.has(o.status?.phase)) rec.final ??= Date.now();
      velero.set(key, rec);
    }),
  );
  const since = Date.now();
  return {
    stop: () => unsubs.forEach((u) => u()),
    /** the wait intervals [start, end] in epoch ms, by what they are */
    intervals() {
      const out = [];
      for (const j of sb.aws.state.backup.jobs.values()) if (j.CreationDate >= since) out.push({ what: 'AWS Backup job', start: j.CreationDate, end: j.endsAt });
      for (const c of sb.aws.state.route53.changes.values()) if (c.SubmittedAt >= since) out.push({ what: 'Route 53 change', start: c.SubmittedAt, end: c.insyncAt });
      for (const [key, r] of velero) {
        const [side, kind, name] = key.split('/');
        // a backup on green that blue wrote is the storage sync: from blue's final phase to green seeing it
        const blue = velero.get(`blue/${kind}/${name}`);
        if (side === 'green' && kind === 'Backup' && blue?.final) out.push({ what: 'Velero sync to green', start: blue.final, end: r.added });
        else if (r.final) out.push({ what: `Velero ${kind}`, start: r.added, end: r.final });
      }
      return out;
    },
  };
}

/** length of the union of intervals */
export function unionMs(intervals) {
  const s = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  let total = 0;
  let cur;
  for (const i of s) {
    if (!cur || i.start > cur.end) {
      if (cur) total += cur.end - cur.start;
      cur = { ...i };
    } else cur.end = Math.max(cur.end, i.end);
  }
  if (cur) total += cur.end - cur.start;
  return total;
}
