/** Partial matching for specs: an expectation lists only the fields it cares about. */
import { AssertionError } from 'node:assert/strict';

/** A partial expectation: only the listed fields are compared (nested objects the same way, arrays element-wise). */
export type Expected<T> = T extends readonly (infer E)[]
  ? readonly Expected<E>[]
  : T extends object
    ? { readonly [K in keyof T]?: Expected<T[K]> }
    : T;

/**
 * Recursively checks that `actual` has every field of `expected` (arrays: same length, element-wise); throws an
 * AssertionError naming the first path that differs.
 *
 * @example
 * assertMatches(event, { type: 'NodeRegistered', data: { nodeId: 1 } });
 */
export function assertMatches(actual: unknown, expected: unknown, path = '$'): void {
  if (expected === undefined) return;
  if (expected === null || typeof expected !== 'object') {
    if (!Object.is(actual, expected)) {
      throw new AssertionError({ message: `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`, actual, expected });
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      throw new AssertionError({ message: `${path}: expected ${expected.length} item(s), got ${JSON.stringify(actual)}`, actual, expected });
    }
    expected.forEach((e, i) => assertMatches(actual[i], e, `${path}[${i}]`));
    return;
  }
  if (actual === null || typeof actual !== 'object') {
    throw new AssertionError({ message: `${path}: expected an object, got ${JSON.stringify(actual)}`, actual, expected });
  }
  for (const [key, value] of Object.entries(expected)) {
    assertMatches((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  }
}
