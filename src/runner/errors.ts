// User-caused errors: one headline, where it applies, a source excerpt with a caret, and a hint.
// The CLI prints these without a stack trace; anything else is a bug and shows one only with --debug.

export interface SourcePos {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

/**
 * Messages quote the value at fault; a huge one (a 2 MB string found by the fuzzer) is shortened
 * so that the headline stays one readable line.
 */
function shortenQuotes(message: string): string {
  if (message.length <= 300) return message;
  return message.replace(/"(?:[^"\\\n]|\\.)*"/g, (q) => (q.length > 160 ? `${q.slice(0, 120)}..." (${q.length - 2} characters)` : q));
}

export class UserError extends Error {
  readonly pos?: SourcePos;
  readonly hint?: string;
  /** exit code: 2 for invalid input (default), 1 for a failed task */
  readonly exitCode: number;
  constructor(message: string, opts: { pos?: SourcePos; hint?: string; exitCode?: number } = {}) {
    super(shortenQuotes(message));
    this.name = 'UserError';
    this.pos = opts.pos;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 2;
  }
}

/** a program a task runs is not installed (so a task may choose to skip rather than fail) */
export class MissingProgramError extends UserError {
  constructor(readonly program: string) {
    super(`${program} is not installed or not on PATH`, { hint: `install ${program}, or make sure PATH includes it` });
  }
}

/** several user errors found in one pass (validation reports all of them, not only the first) */
export class UserErrors extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'UserErrors';
  }
}

export const isUserError = (e: unknown): e is UserError | UserErrors => e instanceof UserError || e instanceof UserErrors;

/** "file:line:col" or just the file */
export function formatPos(pos: SourcePos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

const EXCERPT_WIDTH = 120;

/** the line of the source with a caret under the column, with one line of context before; a
 * very long line is shown as a window around the column */
export function excerpt(source: string, line: number, col: number): string {
  const lines = source.split(/\r?\n/);
  const out: string[] = [];
  const width = String(line).length;
  // the window is chosen for the error's line, and the line before is cut the same way
  const start = col > EXCERPT_WIDTH - 20 ? col - Math.floor(EXCERPT_WIDTH / 2) : 0;
  const cut = (text: string) => {
    const piece = text.slice(start, start + EXCERPT_WIDTH);
    return `${start > 0 ? '…' : ''}${piece}${text.length > start + EXCERPT_WIDTH ? '…' : ''}`;
  };
  for (let n = Math.max(1, line - 1); n <= Math.min(lines.length, line); n++) {
    out.push(`${String(n).padStart(width)} | ${cut(lines[n - 1])}`);
  }
  if (line >= 1 && line <= lines.length) out.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1 - start + (start > 0 ? 1 : 0)))}^`);
  return out.join('\n');
}

/** Damerau-free Levenshtein distance, for "did you mean ...?" hints */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** the closest candidate if it is close enough to be a plausible typo */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  let bestReal = Infinity;
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(word.length / 3));
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const real = distance(w, lc);
    let d = real;
    // a shared stem of four or more letters ("retry" / "retries") counts as close enough
    let prefix = 0;
    while (prefix < w.length && prefix < lc.length && w[prefix] === lc[prefix]) prefix++;
    if (prefix >= 4) d = Math.min(d, limit);
    // the closest by that measure, and among equals the closest by plain edit distance
    if (d < bestD || (d === bestD && real < bestReal)) {
      bestD = d;
      bestReal = real;
      best = c;
    }
  }
  return best !== undefined && bestD <= limit ? best : undefined;
}

export const didYouMean = (word: string, candidates: Iterable<string>): string | undefined => {
  const n = nearest(word, candidates);
  return n ? `did you mean "${n}"?` : undefined;
};
