// A bounded-concurrency pool: at most `concurrency` calls in flight, every item attempted even
// when some fail (a failed pod patch must not leave the others undone), results in input order.
// Stops starting new work once the signal aborts.

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export async function mapPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<Settled<R>[]> {
  const results = new Array<Settled<R>>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      if (signal?.aborted) {
        results[i] = { ok: false, error: signal.reason instanceof Error ? signal.reason : new Error('interrupted') };
        continue;
      }
      try {
        results[i] = { ok: true, value: await fn(items[i], i) };
      } catch (error) {
        results[i] = { ok: false, error };
      }
    }
  };
  const n = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}

/** the values of a pool's results, in order; the first failure is thrown (for all-or-nothing reads and writes) */
export function valuesOrThrow<R>(results: Settled<R>[]): R[] {
  return results.map((r) => {
    if (!r.ok) throw r.error;
    return r.value;
  });
}
