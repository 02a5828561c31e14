// 7. A large playbook: peak RSS and time of `kfup validate` and `kfup run --dry-run` of a
// generated playbook just under the 4 MiB file cap (17,000 tasks with templated parameters,
// about 4.1 MB), against a stated bound of 512 MB. Issue 14: a 50 MB playbook used to take 1.8 GB;
// files over the cap are now refused before they are read, so this is the largest input kfup takes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GNU_TIME } from '../lib/proc.js';
import { kfup, removeDir, scratchDir, skip } from '../lib/context.js';
import { max, median } from '../lib/stats.js';

const TASKS = 17_000;
const CAP = 4 * 1024 * 1024;
const BOUND_MB = 512;

function playbook() {
  const lines = ['name: large', 'vars:', '  prefix: kf', '  items: [a, b, c]', 'tasks:'];
  for (let i = 0; i < TASKS; i++) {
    lines.push(`  - name: check ${i} of the generated playbook`, '    tags: [bulk]', '    assert:', `      that: ["{{eq prefix 'kf'}}", "{{contains items 'b'}}"]`, `      fail_msg: "item ${i}: {{prefix}}-{{join items ','}} is not as expected for this generated task"`);
  }
  return lines.join('\n') + '\n';
}

export default {
  name: 'large-playbook',
  title: 'Large playbook',
  compares: `peak RSS and time of \`kfup validate\` and \`kfup run --dry-run\` of a ${TASKS}-task playbook (just under the 4 MiB file cap), against a ${BOUND_MB} MB bound`,
  fair: 'GNU time around the kfup process; the playbook is generated once and read from a local disk',
  reps: 2,
  async run({ reps, log }) {
    if (!GNU_TIME) skip('/usr/bin/time (GNU time) is not installed: apt-get install time');
    const dir = scratchDir('large');
    try {
      const file = join(dir, 'large.yaml');
      const text = playbook();
      // the point is the largest input kfup takes: a playbook over the cap would only be refused
      if (Buffer.byteLength(text) > CAP) throw new Error(`the generated playbook (${Buffer.byteLength(text)} bytes) is over the 4 MiB cap: lower TASKS`);
      writeFileSync(file, text);
      log(`${(text.length / 1024 / 1024).toFixed(1)} MB, ${TASKS} tasks`);
      const sides = { validate: [], 'run --dry-run': [] };
      for (let i = 0; i < reps; i++) {
        for (const [side, args] of [['validate', ['validate', file]], ['run --dry-run', ['run', file, '--dry-run', '-o', 'json']]]) {
          const r = await kfup(args, { cwd: dir });
          if (r.code !== 0) throw new Error(`kfup ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 400)}`);
          sides[side].push(r);
        }
      }
      const rows = Object.entries(sides).map(([side, rs]) => ({ side: `kfup ${side}, ${TASKS} tasks`, median_ms: median(rs.map((r) => r.ms)), samples_ms: rs.map((r) => +r.ms.toFixed(0)), peak_rss_mb: max(rs.map((r) => r.peakRssMb)) }));
      const peak = max(rows.map((r) => r.peak_rss_mb));
      return { tasks: TASKS, bytes: text.length, rows, figures: [{ name: 'peak RSS, largest accepted playbook', value: peak, unit: 'MB', target: `< ${BOUND_MB} MB`, met: peak < BOUND_MB }] };
    } finally {
      removeDir(dir);
    }
  },
};
