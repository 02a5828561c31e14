// Tests that check the sandbox refuses what the real service or API server refuses must send
// values the client library's own types rule out (an enum value outside the model, a missing
// required member, a number where a string is due).

/**
 * `value`, typed as whatever the call site expects (inferred from context), so a deliberately
 * invalid request still compiles and reads as what it is: a forbidden input sent on purpose.
 */
export function forbidden<T>(value: unknown): T {
  return value as T;
}
