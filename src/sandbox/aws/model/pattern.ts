// The models' `pattern` strings are Java regular expressions, matched against the whole value
// (AWS validates with java.util.regex `matches`). Most compile in JavaScript as they are, with
// the `u` flag for \p{L} and friends. Java also accepts escapes of ordinary characters (`\_`,
// `\-` outside a class) that the `u` flag refuses: those lose their backslash. A pattern that
// still does not compile is skipped (no check), and listed by skippedPatterns() for the record.

const compiled = new Map<string, RegExp | null>();
const skipped = new Set<string>();

/** characters JavaScript's `u` mode lets a backslash escape (syntax characters, `/` and `-`) */
const U_ESCAPABLE = new Set([...'^$\\.*+?()[]{}|/-']);
/** escapes with a meaning: classes, anchors, control and code-point escapes, back references */
const MEANINGFUL = /[dDwWsSbBnrtfv0-9pPuxck]/;

/** Java's escapes of plain characters (e.g. `\_`) made plain */
function unescapeJava(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\' && i + 1 < p.length) {
      const n = p[i + 1];
      out += U_ESCAPABLE.has(n) || MEANINGFUL.test(n) ? c + n : n;
      i++;
    } else out += c;
  }
  return out;
}

function tryCompile(source: string, flags: string): RegExp | null {
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch {
    return null;
  }
}

/** the whole-value matcher of a model pattern, or null when it cannot be compiled here */
export function modelPattern(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = tryCompile(pattern, 'u') ?? tryCompile(unescapeJava(pattern), 'u') ?? tryCompile(pattern, '');
    if (!re) skipped.add(pattern);
    compiled.set(pattern, re);
  }
  return re;
}

/** patterns met so far that could not be compiled (and so are not checked) */
export const skippedPatterns = (): string[] => [...skipped];
