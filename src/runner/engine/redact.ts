// Secrets never reach output: every string the runner prints, journals or diffs passes through
// the run's redactor, which knows every value marked secret (secret variables, parameters a
// schema marks x-kfup-secret, Terraform's sensitive outputs, ctx.secret()), and the forms a value
// takes on its way out: JSON-escaped (to any depth: a JSON document inside a JSON string inside
// the journal), URL-encoded, and base64 (a Kubernetes Secret's data, at any alignment).
export const REDACTED = '***';

/** how many times a value may have been JSON-escaped and still be found */
const JSON_DEPTH = 4;

/** the base64 text that encodes `value` wherever it sits in a longer byte string (3 alignments) */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (const pad of [0, 1, 2]) {
    const b = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64').replace(/=+$/, '');
    // the first group mixes in the bytes before (unless aligned), the last group the bytes after
    const core = b.slice(pad ? 4 : 0, b.length - ((bytes.length + pad) % 3 === 0 ? 0 : 4));
    if (core.length >= 8) out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

export class Redactor {
  private needles: string[] = [];
  private exact = new Set<string>();

  add(value: unknown): void {
    // a boolean is redacted only as a whole value ("true" must not vanish from every message)
    if (typeof value === 'boolean') {
      this.exact.add(String(value));
      return;
    }
    if (typeof value === 'number') value = String(value);
    if (typeof value !== 'string' || value.length === 0) return;
    // very short secrets would blank out ordinary text; those are redacted only as whole values
    if (value.length < 4) {
      this.exact.add(value);
      return;
    }
    const forms = [value, encodeURIComponent(value)];
    let escaped = value;
    for (let i = 0; i < JSON_DEPTH; i++) {
      escaped = JSON.stringify(escaped).slice(1, -1);
      forms.push(escaped, encodeURIComponent(escaped));
    }
    forms.push(...base64Forms(value));
    for (const form of forms) {
      if (form.length > 0 && !this.needles.includes(form)) this.needles.push(form);
    }
    this.needles.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.needles.length + this.exact.size;
  }

  /** whether a text holds a secret in any known form */
  touches(v: unknown): boolean {
    if (this.size === 0) return false;
    if (typeof v === 'string' || typeof v === 'number') {
      const s = String(v);
      return this.exact.has(s) || this.needles.some((n) => s.includes(n));
    }
    if (Array.isArray(v)) return v.some((x) => this.touches(x));
    if (v && typeof v === 'object') return Object.values(v).some((x) => this.touches(x));
    return false;
  }

  redact(text: string): string {
    if (this.exact.has(text)) return REDACTED;
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out;
  }

  /**
   * A change to a secret shows neither side: where the new value (after) holds a secret, the old
   * value at the same place (before) is registered as one too, so a rotated secret's previous
   * value is redacted in --diff and in the journal. Text (a config file) is matched line by line
   * on the key before its `:` or `=`.
   */
  secretBefore(before: unknown, after: unknown): void {
    if (before === undefined || before === null || this.size === 0) return;
    if (typeof after === 'string' && typeof before === 'string' && /\n/.test(after + before)) {
      const keyOf = (l: string) => /^\s*([^:=]+?)\s*[:=]/.exec(l)?.[1];
      const secretKeys = new Set(after.split('\n').filter((l) => this.touches(l)).map(keyOf).filter(Boolean));
      for (const line of before.split('\n')) {
        const k = keyOf(line);
        if (k && secretKeys.has(k)) this.add(line.slice(line.search(/[:=]/) + 1).trim().replace(/^["']|["']$/g, ''));
      }
      return;
    }
    if (typeof after === 'string' || typeof after === 'number') {
      if (this.touches(after) && (typeof before === 'string' || typeof before === 'number')) this.add(before);
      return;
    }
    if (Array.isArray(after) && Array.isArray(before)) {
      // a list holding a secret: every old entry may be the one it replaced
      if (this.touches(after)) before.forEach((b) => (typeof b === 'object' ? undefined : this.add(b)));
      after.forEach((a, i) => this.secretBefore(before[i], a));
      return;
    }
    if (after && typeof after === 'object' && before && typeof before === 'object') {
      for (const [k, a] of Object.entries(after)) {
        if (Object.prototype.hasOwnProperty.call(before, k)) this.secretBefore((before as Record<string, unknown>)[k], a);
      }
    }
  }

  /** a deep copy with every string redacted (and every number that is a secret) */
  redactDeep<T>(value: T): T {
    if (this.size === 0) return value;
    return this.walk(value) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.redact(v);
    if (typeof v === 'number' && this.redact(String(v)) !== String(v)) return REDACTED;
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === 'object' && (v.constructor === Object || v.constructor === undefined)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.walk(x);
      return out;
    }
    return v;
  }
}
