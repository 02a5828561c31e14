// Secrets never reach output: every string the runner prints, journals or diffs passes through
// the run's redactor, which knows every value marked secret (secret variables, ctx.secret()).
export const REDACTED = '***';

export class Redactor {
  private needles: string[] = [];
  private exact = new Set<string>();

  add(value: unknown): void {
    if (typeof value !== 'string' || value.length === 0) return;
    // very short secrets would blank out ordinary text; those are redacted only as whole values
    if (value.length < 4) {
      this.exact.add(value);
      return;
    }
    // the same secret also appears JSON-escaped (in journals) and URL-encoded (in IAM documents)
    for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
      if (!this.needles.includes(form)) this.needles.push(form);
    }
    this.needles.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.needles.length + this.exact.size;
  }

  redact(text: string): string {
    if (this.exact.has(text)) return REDACTED;
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out;
  }

  /** a deep copy with every string redacted */
  redactDeep<T>(value: T): T {
    if (this.size === 0) return value;
    return this.walk(value) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.redact(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === 'object' && (v.constructor === Object || v.constructor === undefined)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.walk(x);
      return out;
    }
    return v;
  }
}
