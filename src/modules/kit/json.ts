// JSON equality for "is the live object already what we want": Node's own deep strict equality
// (key order does not matter; types do), instead of a comparison of our own.
import { isDeepStrictEqual } from 'node:util';

export const jsonEqual = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a, b);
