/**
 * Store limits: a store that bounds its appends (etcd: events and bytes per transaction) gets appends that fit.
 * The engine's group commit appends the longest prefix of a batch that fits and decides the rest in the next
 * append; a command too large on its own fails alone with `AppendTooLarge`; a refusal as too large is a definite
 * failure (no read-back, no retry); a snapshot that does not fit is skipped with one warning. Checked on a memory
 * store declaring small limits, and on a real 3-member etcd cluster.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { foldEvents } from '../../src/decider/evolve.js';
import { emptyClusterState } from '../../src/domain/cluster-state.js';
import { ClusterchartError, isClusterchartError } from '../../src/domain/errors.js';
import { clusterStreamId, parseDomainEvent } from '../../src/domain/events.js';
import type { Engine } from '../../src/engine/engine.js';
import { snapshotStreamId } from '../../src/engine/snapshots.js';
import { createLossyStore } from '../../src/testing/lossy-store.js';
import { wrapStore } from '../../src/testing/wrap-store.js';
import { appendSize, type EventStore, type StoreLimits } from '../../src/store/event-store.js';
import { openEtcdStore } from '../../src/store/etcd/index.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { etcdUnavailableReason, startEtcdCluster, type EtcdCluster } from '../store/support/etcd-cluster.js';
import { capturingLogger, openTestEngine, readStreamEvents } from './support/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

type Append = Readonly<{ stream: string; events: number; bytes: number; refused: boolean }>;

/**
 * A memory store that declares `declared` as its limits and refuses, as etcd does, appends over `enforced`
 * (default: the declared limits) with `AppendTooLarge` before writing. Records every append; `hold()` keeps
 * appends waiting until released, so that commands queue into one batch.
 */
function limitedStore(declared: StoreLimits | undefined, enforced: StoreLimits | undefined = declared, refuses: (stream: string) => boolean = () => true) {
  const inner = createMemoryStore();
  const appends: Append[] = [];
  let gate: Promise<void> = Promise.resolve();
  const store = wrapStore(inner, {
    ...(declared === undefined ? {} : { limits: declared }),
    async appendToStream(stream, events, options) {
      const bytes = appendSize(events);
      await gate;
      const over = enforced !== undefined && refuses(stream) && (events.length > enforced.maxEventsPerAppend || bytes > enforced.maxBytesPerAppend);
      appends.push({ stream, events: events.length, bytes, refused: over });
      if (over) {
        const [limit, max, actual] = events.length > enforced.maxEventsPerAppend ? ['maxEventsPerAppend', enforced.maxEventsPerAppend, events.length] : ['maxBytesPerAppend', enforced.maxBytesPerAppend, bytes];
        throw new ClusterchartError('AppendTooLarge', `Append to stream "${stream}" refused: ${actual} over ${limit} ${max}.`, { stream, limit, max, actual });
      }
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
  const of = (stream: string) => appends.filter((a) => a.stream === stream);
  return { store, hold, appends, clusterAppends: () => of(clusterStreamId('test')), snapshotAppends: () => of(snapshotStreamId('test')) };
}

async function foldOf(store: EventStore) {
  return foldEvents(emptyClusterState(), (await readStreamEvents(store, clusterStreamId('test'))).map((e) => parseDomainEvent(e)));
}

async function open(store: EventStore, options: Parameters<typeof openTestEngine>[1] = {}): Promise<Engine> {
  const engine = await openTestEngine(store, options);
  cleanups.push(() => engine.close());
  return engine;
}

/** Lets the lane finish its current batch, so the next command starts an append of its own. */
const idle = () => new Promise<void>((resolve) => setImmediate(resolve));

const codeOf = (settled: PromiseSettledResult<unknown>): string =>
  settled.status === 'fulfilled' ? 'ok' : isClusterchartError(settled.reason) ? settled.reason.code : String(settled.reason);

describe('group commit within the store limits', () => {
  // One NodeRegistered event takes ~560 bytes: the first limits bind on events, the second on bytes.
  it.each([
    { maxEventsPerAppend: 5, maxBytesPerAppend: 4096 },
    { maxEventsPerAppend: 100, maxBytesPerAppend: 2000 },
  ])('100 concurrent commands all succeed in appends within %o', async (limits) => {
    const { store, clusterAppends } = limitedStore(limits);
    const engine = await open(store);
    await engine.provision();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => engine.registerNode({ name: `n${i}`, roles: ['worker'] })));
    expect(new Set(results.map((r) => r.node)).size).toBe(100);
    const appends = clusterAppends();
    expect(appends.every((a) => !a.refused && a.events <= limits.maxEventsPerAppend && a.bytes <= limits.maxBytesPerAppend)).toBe(true);
    // Still group commit: appends are filled up to the limit, not one command each.
    expect(Math.max(...appends.map((a) => a.events))).toBeGreaterThanOrEqual(Math.min(limits.maxEventsPerAppend, 3));
    expect(appends.length).toBeLessThan(60);
    expect(engine.state()).toEqual(await foldOf(store));
    const fresh = await open(store);
    expect(fresh.state()).toEqual(engine.state());
  });

  it('fails a command too large for any append alone, with AppendTooLarge, and its neighbours succeed', async () => {
    const limits = { maxEventsPerAppend: 5, maxBytesPerAppend: 4096 };
    const { store, hold, clusterAppends } = limitedStore(limits);
    const engine = await open(store);
    await engine.provision();
    await idle();
    const release = hold();
    const warmUp = engine.registerNode({ name: 'warm-up', roles: ['worker'] });
    const names = ['a', 'b', 'c', 'huge', 'd', 'e', 'f', 'g'];
    const batch = names.map((name) => engine.registerNode({ name, roles: ['worker'], address: name === 'huge' ? `http://${'x'.repeat(5000)}:5122` : '' }));
    release();
    await warmUp;
    const settled = await Promise.allSettled(batch);
    expect(settled.map(codeOf)).toEqual(names.map((name) => (name === 'huge' ? 'AppendTooLarge' : 'ok')));
    const error = (settled[3] as PromiseRejectedResult).reason as ClusterchartError;
    expect(error.context).toMatchObject({ type: 'RegisterNode', limit: 'maxBytesPerAppend', max: 4096 });
    expect(error.message).toMatch(/Nothing was written/);
    expect(Object.values(engine.state().nodes).map((n) => n.name).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'warm-up']);
    expect(clusterAppends().every((a) => !a.refused)).toBe(true);
    expect(engine.state()).toEqual(await foldOf(store));
  });

  it('refuses a legacy import too large for one append, writing nothing; a provision after it succeeds', async () => {
    const { store } = limitedStore({ maxEventsPerAppend: 5, maxBytesPerAppend: 4096 });
    const engine = await open(store);
    const nodes = Array.from({ length: 40 }, (_, i) => ({ id: i + 1, generation: 1, name: `legacy-${i}`, roles: ['worker'] }));
    const settled = await Promise.allSettled([engine.importLegacy({ document: { clusterName: 'test', version: 3, nodes } }), engine.provision()]);
    expect(settled.map(codeOf)).toEqual(['AppendTooLarge', 'ok']);
    expect(((settled[0] as PromiseRejectedResult).reason as ClusterchartError).context).toMatchObject({ type: 'ImportLegacyConfiguration', limit: 'maxBytesPerAppend' });
    expect((await readStreamEvents(store, clusterStreamId('test'))).map((e) => e.type)).toEqual(['ClusterProvisioned']);
  });

  it('treats a refusal as too large by the store as a definite failure: no read-back, no retry', async () => {
    // The store declares more than its server accepts (a server configured below the URL's limits).
    const { store, hold, clusterAppends } = limitedStore({ maxEventsPerAppend: 100, maxBytesPerAppend: 1_000_000 }, { maxEventsPerAppend: 3, maxBytesPerAppend: 1_000_000 });
    // Forwarded through the lossy wrapper, which never loses anything here.
    const lossy = createLossyStore(store, { lostResponseRate: 0, random: Math.random });
    expect(lossy.store.limits).toEqual(store.limits);
    const engine = await open(lossy.store);
    await engine.provision();
    await idle();
    const release = hold();
    const warmUp = engine.registerNode({ name: 'warm-up', roles: ['worker'] });
    const batch = ['a', 'b', 'c', 'd', 'e'].map((name) => engine.registerNode({ name, roles: ['worker'] }));
    release();
    await warmUp;
    const settled = await Promise.allSettled(batch);
    expect(settled.map(codeOf)).toEqual(Array(5).fill('AppendTooLarge'));
    const error = (settled[0] as PromiseRejectedResult).reason as ClusterchartError;
    expect(error.cause).toMatchObject({ code: 'AppendTooLarge', context: { limit: 'maxEventsPerAppend' } });
    expect(error.message).toMatch(/declares 100 events/);
    // provision, warm-up, then the batch: sent once, refused, never sent again.
    expect(clusterAppends().map((a) => [a.events, a.refused])).toEqual([[1, false], [1, false], [5, true]]);
    await expect(engine.registerNode({ name: 'after', roles: ['worker'] })).resolves.toMatchObject({ node: 'N2:1' });
    expect(engine.state()).toEqual(await foldOf(store));
  });
});

describe('snapshots within the store limits', () => {
  const messages = (records: Record<string, unknown>[], pattern: RegExp) => records.filter((r) => typeof r.msg === 'string' && pattern.test(r.msg));

  it('skips a snapshot larger than one append with one warning; commands continue', async () => {
    const limits = { maxEventsPerAppend: 5, maxBytesPerAppend: 3000 };
    const { store, snapshotAppends } = limitedStore(limits);
    const { logger, records } = capturingLogger('debug');
    const engine = await open(store, { snapshotEvery: 5, logger });
    await engine.provision();
    for (let i = 0; i < 60; i++) await engine.registerNode({ name: `n${i}`, roles: ['worker'] });
    expect(await engine.snapshot()).toBeNull();
    await engine.registerNode({ name: 'after-snapshot', roles: ['worker'] });
    await engine.close();
    const skipped = messages(records, /^snapshot skipped:/);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ level: 40, maxBytesPerAppend: 3000 });
    expect((skipped[0]!.bytes as number) > 3000).toBe(true);
    // Small snapshots early on fit; none over the limit ever reached the store.
    expect(snapshotAppends().every((a) => !a.refused && a.bytes <= 3000)).toBe(true);
    expect(Object.keys(engine.state().nodes)).toHaveLength(61);
    const fresh = await open(store);
    expect(fresh.state()).toEqual(await foldOf(store));
  });

  it('remembers the size of a snapshot the store refused as too large and does not send larger ones again', async () => {
    // No declared limits: only the store's refusal tells the engine.
    const { store, snapshotAppends } = limitedStore(undefined, { maxEventsPerAppend: 1, maxBytesPerAppend: 3000 }, (stream) => stream === snapshotStreamId('test'));
    const { logger, records } = capturingLogger('debug');
    const engine = await open(store, { snapshotEvery: 5, logger });
    await engine.provision();
    for (let i = 0; i < 60; i++) await engine.registerNode({ name: `n${i}`, roles: ['worker'] });
    await engine.snapshot();
    await engine.close();
    expect(snapshotAppends().filter((a) => a.refused)).toHaveLength(1);
    expect(messages(records, /^snapshot skipped:/)).toHaveLength(1);
    expect(messages(records, /^snapshot not written/)).toHaveLength(0);
    expect(Object.keys(engine.state().nodes)).toHaveLength(60);
  });
});

const skipEtcd = etcdUnavailableReason();

describe.skipIf(skipEtcd !== undefined)('store limits on a real etcd cluster', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('150 concurrent registerNode calls through the engine all succeed with unique ids', async () => {
    const store = await openEtcdStore(cluster.url(`limits-${process.pid}`));
    const engine = await openTestEngine(store);
    try {
      expect(store.limits?.maxEventsPerAppend).toBe(63);
      await engine.provision();
      const settled = await Promise.allSettled(Array.from({ length: 150 }, (_, i) => engine.registerNode({ name: `n${i}`, roles: ['worker'] })));
      const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      const codes = failed.map((s) => (isClusterchartError(s.reason) ? s.reason.code : String(s.reason)));
      expect({ failed: failed.length, codes: [...new Set(codes)] }).toEqual({ failed: 0, codes: [] });
      const ids = settled.map((s) => (s as PromiseFulfilledResult<{ node: string }>).value.node);
      expect(new Set(ids).size).toBe(150);
      expect(Object.keys(engine.state().nodes)).toHaveLength(150);
      expect(engine.state()).toEqual(await foldOf(store));
    } finally {
      await engine.close();
      await store.close();
    }
  });
});
