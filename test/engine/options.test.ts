/**
 * `createEngine` checks every option before it opens anything: a bad value is `InvalidInput` naming the option and
 * what it accepts (never a plain TypeError, never an engine that spins on its first command).
 */
import { describe, expect, it } from 'vitest';
import { createEngine, type EngineOptions } from '../../src/engine/engine.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { ClusterchartError } from '../../src/domain/errors.js';
import { quiet } from '../view/support/cluster.js';

/** The error `createEngine` rejects with for `options` (fails when it opens an engine instead). */
async function refusal(options: unknown): Promise<ClusterchartError> {
  let engine: Awaited<ReturnType<typeof createEngine>> | undefined;
  try {
    engine = await createEngine(options as EngineOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ClusterchartError);
    return error as ClusterchartError;
  }
  await engine.close();
  throw new Error(`createEngine accepted ${JSON.stringify(options, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`);
}

const base = () => ({ store: createMemoryStore(), cluster: 'c1', logger: quiet });

describe('createEngine options', () => {
  it.each<[string, unknown, RegExp]>([
    ['maxBatchSize', 0, /whole number >= 1/],
    ['maxBatchSize', -1, /whole number >= 1/],
    ['maxBatchSize', Number.NaN, /whole number >= 1/],
    ['maxBatchSize', 0.5, /whole number >= 1/],
    ['maxBatchSize', '10', /whole number >= 1/],
    ['maxConflictRetries', -1, /whole number >= 0/],
    ['maxConflictRetries', 1.5, /whole number >= 0/],
    ['deadAfterMs', Number.NaN, /whole number of milliseconds >= 1/],
    ['deadAfterMs', 0, /whole number of milliseconds >= 1/],
    ['deadAfterMs', Number.POSITIVE_INFINITY, /whole number of milliseconds >= 1/],
    ['snapshotEvery', 0, /whole number >= 1, or false/],
    ['snapshotEvery', true, /whole number >= 1, or false/],
    ['snapshotEvery', 2.5, /whole number >= 1, or false/],
    ['actor', 5, /non-empty string/],
    ['actor', '', /non-empty string/],
    ['store', 123, /EventStore|store URL/],
    ['store', {}, /EventStore|store URL/],
    ['store', '', /EventStore|store URL/],
    ['clock', 5, /function returning a Date/],
    ['logger', {}, /pino logger/],
    ['logger', null, /pino logger/],
    ['inspect', 'yes', /function|observer/],
    ['projectionCheckpoints', 1, /ProjectionCheckpoints/],
    ['cluster', '', /letters, digits/],
    ['cluster', 7, /letters, digits/],
  ])('refuses %s = %s with InvalidInput naming the option', async (name, value, allowed) => {
    const error = await refusal({ ...base(), [name]: value });
    expect(error.code).toBe('InvalidInput');
    expect(error.message).toContain(name);
    expect(error.message).toMatch(allowed);
    expect(error.context).toMatchObject({ option: name });
  });

  it('refuses a missing or non-object options argument', async () => {
    for (const options of [null, undefined, 5, 'sqlite:x.db', []]) {
      const error = await refusal(options);
      expect(error.code).toBe('InvalidInput');
      expect(error.message).toMatch(/options object/);
    }
    const noStore = await refusal({ cluster: 'c1', logger: quiet });
    expect(noStore.code).toBe('InvalidInput');
    expect(noStore.message).toContain('store');
  });

  it('refuses an unknown option, naming it and the known ones', async () => {
    const error = await refusal({ ...base(), maxBatchsize: 10 });
    expect(error.code).toBe('InvalidInput');
    expect(error.message).toContain('maxBatchsize');
    expect(error.message).toContain('maxBatchSize');
    expect(error.context).toMatchObject({ option: 'maxBatchsize' });
  });

  it('accepts every option at a valid value, and explicit undefined as the default', async () => {
    const engine = await createEngine({
      ...base(),
      clock: () => new Date('2026-01-01T00:00:00.000Z'),
      inspect: () => undefined,
      snapshotEvery: false,
      maxConflictRetries: 0,
      maxBatchSize: 1,
      actor: 'ops',
      deadAfterMs: 1,
      projectionCheckpoints: undefined,
    });
    await engine.provision();
    await engine.close();
    const defaults = await createEngine({ ...base(), maxBatchSize: undefined, snapshotEvery: undefined });
    await defaults.close();
  });
});
