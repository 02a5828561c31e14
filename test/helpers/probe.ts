// A task type for runner tests: it fails a given number of times, sleeps (honouring ctx.signal),
// and "creates" a named item in an in-memory world, so that idempotency, retries, timeouts,
// resume and revert can be observed without any external system.
import { defineTask } from '../../src/modules/kit/index.js';

export interface ProbeParams {
  item: string;
  fail_times?: number;
  sleep_ms?: number;
  output?: unknown;
}

export const world = {
  items: new Set<string>(),
  attempts: new Map<string, number>(),
  applies: new Map<string, number>(),
  started: [] as { item: string; at: number }[],
  /** items whose revert fails (once each time it is listed), to interrupt a rollback */
  failReverts: new Set<string>(),
  reset() {
    this.failReverts.clear();
    this.items.clear();
    this.attempts.clear();
    this.applies.clear();
    this.started.length = 0;
  },
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    }, { once: true });
  });

export interface ProbeOutputs {
  item: string;
  value: unknown;
}

export const probe = defineTask<ProbeParams, ProbeOutputs, undefined, { created: string }>({
  name: 'probe',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['item'],
    description: 'test probe',
    properties: {
      item: { type: 'string' },
      fail_times: { type: 'integer', minimum: 0 },
      sleep_ms: { type: 'integer', minimum: 0 },
      output: {},
    },
    'x-kfup-outputs': { item: { type: 'string', description: 'the item' }, value: { description: 'its value' } },
  },
  describe: (p) => [`ensure ${p.item}`],
  async check(p, ctx) {
    const n = (world.attempts.get(p.item) ?? 0) + 1;
    world.attempts.set(p.item, n);
    world.started.push({ item: p.item, at: Date.now() });
    if (p.sleep_ms) await sleep(p.sleep_ms, ctx.signal);
    if (n <= (p.fail_times ?? 0)) throw new Error(`probe ${p.item} failing (attempt ${n})`);
    const outputs = { item: p.item, value: p.output ?? `${p.item}-value` };
    if (world.items.has(p.item)) return { changes: [], outputs };
    return { changes: [{ action: 'create', target: `item ${p.item}`, summary: `create ${p.item}`, before: undefined, after: { item: p.item } }], outputs: { item: p.item } };
  },
  apply(p, ctx) {
    world.items.add(p.item);
    world.applies.set(p.item, (world.applies.get(p.item) ?? 0) + 1);
    ctx.persist('created', p.item);
    return Promise.resolve({ item: p.item, value: p.output ?? `${p.item}-value` });
  },
  revert: {
    check(record) {
      const item = record.persisted.created;
      return Promise.resolve({ changes: item && world.items.has(item) ? [{ action: 'delete' as const, target: `item ${item}`, summary: `delete ${item}` }] : [] });
    },
    apply(record) {
      const item = record.persisted.created;
      if (item && world.failReverts.delete(item)) return Promise.reject(new Error(`probe: reverting ${item} failed`));
      if (item) world.items.delete(item);
      return Promise.resolve();
    },
  },
});
