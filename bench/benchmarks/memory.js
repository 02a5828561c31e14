// 6. Memory: the peak resident set of `kfup run` of the whole upgrade against a 100-profile
// sandbox (benchmark 5's run at 100 profiles), and of --check at the same size.
import { GNU_TIME } from '../lib/proc.js';
import { skip } from '../lib/context.js';
import { max, median } from '../lib/stats.js';
import { requireUpgrade, upgradeOnce } from '../lib/upgrade.js';

const PROFILES = 100;

export default {
  name: 'memory',
  title: 'Memory',
  compares: `peak RSS of \`kfup run\` (and \`--check\`) of the upgrade playbook against a ${PROFILES}-profile sandbox, against the 200 MB target`,
  fair: 'measured by GNU time around the kfup process (Linux ru_maxrss: the largest single process of its tree, so a terraform child counts only if it is larger than kfup); the sandbox runs in the benchmark process and is not counted',
  reps: 2,
  async run({ reps, log }) {
    if (!GNU_TIME) skip('/usr/bin/time (GNU time) is not installed: apt-get install time');
    await requireUpgrade();
    const runs = [];
    const checks = [];
    for (let i = 0; i < reps; i++) {
      log(`rep ${i + 1}/${reps}`);
      runs.push(await upgradeOnce({ profiles: PROFILES }));
      checks.push(await upgradeOnce({ profiles: PROFILES, mode: 'check' }));
    }
    const peak = max(runs.map((r) => r.peakRssMb));
    return {
      profiles: PROFILES,
      rows: [
        { side: `kfup run, ${PROFILES} profiles`, median_ms: median(runs.map((r) => r.ms)), samples_ms: runs.map((r) => +r.ms.toFixed(0)), peak_rss_mb: peak },
        { side: `kfup run --check, ${PROFILES} profiles`, median_ms: median(checks.map((r) => r.ms)), samples_ms: checks.map((r) => +r.ms.toFixed(0)), peak_rss_mb: max(checks.map((r) => r.peakRssMb)) },
      ],
      figures: [{ name: 'peak RSS of the run', value: peak, unit: 'MB', target: '< 200 MB', met: peak < 200 }],
    };
  },
};
