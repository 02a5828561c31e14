// Bounded template rendering: a playbook's templates compute values, they do not generate data.
// A nested {{#each (split …)}} or a chain of variables that double each other could otherwise
// take gigabytes. Every helper call and every block iteration is a step, and every string or list
// a helper produces is measured; past either limit the render stops with a TemplateError, which
// the runner reports as invalid input (exit 2) at the template's file:line:col.

/** the most helper calls and block iterations one top-level render may take */
export const MAX_STEPS = 20_000;
/** the longest string (in characters) or list a template or a helper may produce */
export const MAX_OUTPUT = 1024 * 1024;

export class BudgetError extends Error {}

let depth = 0;
let steps = 0;

/** runs one render; nested renders (a variable's own template) share the outer render's budget */
export function withBudget<T>(fn: () => T): T {
  if (depth === 0) steps = 0;
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

export function step(): void {
  if (++steps > MAX_STEPS) throw new BudgetError(`rendering took more than ${MAX_STEPS} steps (helper calls and block iterations)`);
}

/** a value a helper or a render produced, refused when it is too large */
export function measure<T>(v: T): T {
  const size = typeof v === 'string' || Array.isArray(v) ? v.length : 0;
  if (size > MAX_OUTPUT) throw new BudgetError(`rendering produced more than ${MAX_OUTPUT} ${typeof v === 'string' ? 'characters' : 'items'}`);
  return v;
}

/** refuses a result before it is built, from its length alone (a join or a replace that would explode) */
export function expectLength(n: number): void {
  if (n > MAX_OUTPUT) throw new BudgetError(`rendering produced more than ${MAX_OUTPUT} characters`);
}

type Helper = (this: unknown, ...args: unknown[]) => unknown;
type BlockOptions = { fn?: (ctx: unknown, o?: unknown) => unknown; inverse?: (ctx: unknown, o?: unknown) => unknown };

/** a helper that counts as a step, measures what it returns, and counts each block iteration */
export function budgeted(fn: Helper): Helper {
  return function (this: unknown, ...args: unknown[]) {
    step();
    const options = args[args.length - 1] as BlockOptions | undefined;
    if (options && typeof options === 'object' && typeof options.fn === 'function') {
      const wrap = (f: NonNullable<BlockOptions['fn']>) => (ctx: unknown, o?: unknown) => {
        step();
        return measure(f(ctx, o));
      };
      const copy = Object.assign(Object.create(Object.getPrototypeOf(options) as object | null) as BlockOptions, options);
      copy.fn = wrap(options.fn);
      if (typeof options.inverse === 'function') copy.inverse = wrap(options.inverse);
      args[args.length - 1] = copy;
    }
    return measure(fn.apply(this, args));
  };
}
