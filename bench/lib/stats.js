// Medians, alternation of the sides of a comparison, and the text table.

export function median(xs) {
  const s = [...xs].filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return undefined;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const max = (xs) => xs.filter((x) => typeof x === 'number').reduce((a, b) => Math.max(a, b), -Infinity);

/**
 * Runs every side once per repetition, rotating the order each time so neither side always runs
 * first (warm caches, CPU frequency); returns the samples of each side by name.
 * sides: [{ name, run: async () => sample }], where a sample is a number (ms) or an object with ms.
 */
export async function alternate(sides, reps, { warmup = 1, log } = {}) {
  const samples = Object.fromEntries(sides.map((s) => [s.name, []]));
  for (const s of sides) for (let i = 0; i < warmup; i++) await s.run();
  for (let r = 0; r < reps; r++) {
    log?.(`rep ${r + 1}/${reps}`);
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(r + k) % sides.length];
      samples[s.name].push(await s.run());
    }
  }
  return samples;
}

export const fmtMs = (ms) => (ms === undefined ? '-' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`);
export const fmtX = (x) => (x === undefined ? '-' : x >= 100 ? `${x.toFixed(0)}x` : `${x.toFixed(2)}x`);

/** a plain text table: rows of strings, the first row the header */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
