/**
 * Group commit: commands that arrive while an append is in flight are decided in order against the
 * pending state and appended together; each caller gets its own result or error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clusterStreamId } from '../../src/domain/events.js';
import { parseGenerationalNodeId } from '../../src/domain/ids.js';
import type { EventStore } from '../../src/store/event-store.js';
import { wrapStore } from '../../src/testing/wrap-store.js';
import { freshStore, openTestEngine, readStreamEvents } from './support/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Counts appends per stream and how many events each carried; `hold()` keeps appends waiting until released. */
function counting(inner: EventStore) {
  const appends: { stream: string; events: number }[] = [];
  let gate: Promise<void> = Promise.resolve();
  const store = wrapStore(inner, {
    async appendToStream(stream, events, options) {
      appends.push({ stream, events: events.length });
      await gate;
      return inner.appendToStream(stream, events, options);
    },
  });
  const hold = () => {
    let release!: () => void;
    gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      gate = Promise.resolve();
      release();
    };
  };
  return { store, hold, clusterAppends: () => appends.filter((a) => a.stream === clusterStreamId('test')) };
}

describe('group commit', () => {
  it('appends N concurrent commands in fewer appends than commands, each caller getting its own result', async () => {
    const { store: inner, dispose } = await freshStore('sqlite');
    cleanups.push(dispose);
    const { store, clusterAppends } = counting(inner);
    const engine = await openTestEngine(store);
    cleanups.push(() => engine.close());
    await engine.provision();
    const before = clusterAppends().length;
    // 50 callers, each registering 6 nodes one after the other: 300 commands.
    const perCaller = await Promise.all(
      Array.from({ length: 50 }, async (_, caller) => {
        const ids: number[] = [];
        for (let i = 0; i < 6; i++) ids.push(parseGenerationalNodeId((await engine.registerNode({ name: `c${caller}-n${i}`, roles: ['worker'] })).node).id);
        return ids;
      }),
    );
    const appends = clusterAppends().length - before;
    console.log(`group commit: 300 commands from 50 concurrent callers in ${appends} appends`);
    expect(appends).toBeLessThan(300 / 10);
    expect(appends).toBeGreaterThanOrEqual(6);
    const ids = perCaller.flat();
    expect(new Set(ids).size).toBe(300);
    expect(Math.max(...ids)).toBe(300);
    for (const own of perCaller) expect(own).toEqual([...own].sort((a, b) => a - b));
  });

  it('refuses one command of a batch without failing its neighbours', async () => {
    const { store: inner, dispose } = await freshStore('memory');
    cleanups.push(dispose);
    const { store, hold, clusterAppends } = counting(inner);
    const engine = await openTestEngine(store);
    cleanups.push(() => engine.close());
    await engine.provision();
    const release = hold();
    const first = engine.registerNode({ name: 'warm-up', roles: ['worker'] });
    while (clusterAppends().length < 2) await new Promise((resolve) => setTimeout(resolve, 1)); // its append is in flight
    const batch = [
      engine.registerNode({ name: 'a', roles: ['worker'] }),
      engine.registerNode({ name: 'intruder', roles: ['worker'], forceNodeId: 'N2' }), // a took N2 in the pending state
      engine.registerNode({ name: 'b', roles: ['worker'] }),
      engine.registerNode({ name: 'a', roles: ['worker'], commandId: 'restart-a' }),
    ];
    release();
    const settled = await Promise.allSettled([first, ...batch]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'NodeIdInUse' });
    expect((settled[1] as PromiseFulfilledResult<{ node: unknown }>).value.node).toEqual("N2:1");
    expect((settled[3] as PromiseFulfilledResult<{ node: unknown }>).value.node).toEqual("N3:1");
    // The restart was decided against the pending registration of a, in the same batch.
    expect((settled[4] as PromiseFulfilledResult<{ node: unknown; created: boolean }>).value).toMatchObject({ node: "N2:2", created: false });
    expect(clusterAppends().map((a) => a.events)).toEqual([1, 1, 3]);
    const events = await readStreamEvents(inner, clusterStreamId('test'));
    expect(events.map((e) => e.type)).toEqual(['ClusterProvisioned', 'NodeRegistered', 'NodeRegistered', 'NodeRegistered', 'NodeRestarted']);
  });

  it('answers a command id repeated inside one batch once, the repeat as already applied', async () => {
    const { store: inner, dispose } = await freshStore('memory');
    cleanups.push(dispose);
    const { store, hold, clusterAppends } = counting(inner);
    const engine = await openTestEngine(store);
    cleanups.push(() => engine.close());
    const release = hold();
    const first = engine.provision();
    while (clusterAppends().length < 1) await new Promise((resolve) => setTimeout(resolve, 1));
    const twice = [engine.registerNode({ name: 'a', roles: ['worker'], commandId: 'same' }), engine.registerNode({ name: 'a', roles: ['worker'], commandId: 'same' })];
    const mixed = engine.setWorkerState({ node: 'N1', state: 'Active', commandId: 'same' });
    release();
    await first;
    const [one, two] = await Promise.all(twice);
    await expect(mixed).rejects.toMatchObject({ code: 'CommandIdReused' });
    expect(one).toMatchObject({ node: "N1:1", alreadyApplied: false });
    expect(two).toMatchObject({ node: "N1:1", alreadyApplied: true });
    expect(clusterAppends().map((a) => a.events)).toEqual([1, 1]);
  });
});
