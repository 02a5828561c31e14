// Issue 14: "Values passed with --var are stored only as names and digests." A plain SHA-256 of a
// short secret is no protection (sha256("abc") is ba7816bf…, found by trying candidates, and one
// value had one hash in every run): meta.json keeps a keyed digest with a random salt instead.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestVars, varsFor } from '../../src/runner/engine/var-digests.js';

describe('--var digests in meta.json', () => {
  it('hold the name and a salted keyed digest: no plain hash of the value, another salt each time', () => {
    const [a] = digestVars(['token=abc']);
    const [b] = digestVars(['token=abc']);
    expect(a).toMatch(/^token@hmac-sha256:[0-9a-f]{24}:[0-9a-f]{64}$/);
    expect(a).not.toContain(createHash('sha256').update('abc').digest('hex'));
    expect(a).not.toContain('abc');
    expect(a).not.toBe(b);
  });

  it('check the value given again: the same passes, another or none is refused by name', () => {
    const rec = digestVars(['token=abc', 'region=us-west-2']);
    expect(varsFor('r1', rec, ['token=abc', 'region=us-west-2'])).toEqual(['token=abc', 'region=us-west-2']);
    expect(() => varsFor('r1', rec, ['token=abd', 'region=us-west-2'])).toThrow(/--var token: not the value run r1 was given/);
    expect(() => varsFor('r1', rec, ['region=us-west-2'])).toThrow(/run r1 was given --var token; kfup keeps only their digests/);
  });

  it('still read the unsalted digests of runs recorded before', () => {
    const legacy = [`token@sha256:${createHash('sha256').update('abc').digest('hex')}`];
    expect(varsFor('old', legacy, ['token=abc'])).toEqual(['token=abc']);
    expect(() => varsFor('old', legacy, ['token=x'])).toThrow(/not the value/);
  });
});
