/**
 * Snapshots: taken every N events, loaded with the tail, and never trusted blindly: a damaged
 * snapshot, one from other machine versions, or one that does not belong to this history is ignored (logged) and
 * the state is rebuilt from the events — the same state either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { foldEvents } from '../../src/decider/evolve.js';
import { ClusterStateSchema, emptyClusterState } from '../../src/domain/cluster-state.js';
import { clusterStreamId, parseDomainEvent } from '../../src/domain/events.js';
import type { Engine } from '../../src/engine/engine.js';
import { snapshotStreamId } from '../../src/engine/snapshots.js';
import type { EventStore, JsonObject, RecordedEvent } from '../../src/store/event-store.js';
import { capturingLogger, dumpStore, freshStore, markerOf, openTestEngine, readStreamEvents } from './support/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A cluster with every kind of state entry: live nodes, a tombstone, markers, metadata members, log segments. */
async function richHistory(engine: Engine): Promise<void> {
  await engine.provision({ replication: 1 });
  for (const name of ['a', 'b', 'c', 'd']) await engine.registerNode({ name, roles: ['log-server', 'metadata-server', 'worker'], location: 'eu.z1' });
  await engine.provisionLogServer({ node: 'N1', marker: markerOf(1), commandId: 'provision-n1' });
  await engine.provisionLogServer({ node: 'N2', marker: markerOf(2) });
  await engine.joinMetadata({ node: 'N2', createdAt: '2026-01-01T00:00:00.000Z' });
  await engine.createLogSegment({ logId: 1 });
  await engine.createLogSegment({ logId: 1 });
  await engine.setWorkerState({ node: 'N3', state: 'Active' });
  await engine.removeNodes({ nodes: ['N4'] });
  await engine.registerNode({ name: 'a', roles: ['log-server', 'metadata-server', 'worker'] });
}

async function foldOf(store: EventStore) {
  return foldEvents(emptyClusterState(), (await readStreamEvents(store, clusterStreamId('test'))).map((e) => parseDomainEvent(e)));
}

async function latestSnapshot(store: EventStore): Promise<RecordedEvent> {
  const snapshots = await readStreamEvents(store, snapshotStreamId('test'));
  expect(snapshots.length).toBeGreaterThan(0);
  return snapshots[snapshots.length - 1]!;
}

async function loadWithLog(store: EventStore) {
  const { logger, records } = capturingLogger('debug');
  const engine = await openTestEngine(store, { logger, snapshotEvery: 5 });
  cleanups.push(() => engine.close());
  const loaded = records.find((r) => r.msg === 'engine loaded')!;
  const ignored = records.filter((r) => r.msg === 'snapshot ignored; replaying events instead').map((r) => String(r.reason));
  return { engine, loaded, ignored };
}

describe('snapshots', () => {
  it('are written every N events and loaded with the tail, giving the state a full replay gives', async () => {
    const { store, dispose } = await freshStore('sqlite');
    cleanups.push(dispose);
    const writer = await openTestEngine(store, { snapshotEvery: 5 });
    await richHistory(writer);
    const stateBefore = writer.state();
    await writer.close();

    const snapshots = await readStreamEvents(store, snapshotStreamId('test'));
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    expect(snapshots.map((s) => (s.data as { revision: number }).revision)).toEqual([...snapshots.map((s) => (s.data as { revision: number }).revision)].sort((a, b) => a - b));
    const last = snapshots[snapshots.length - 1]!.data as { revision: number; state: string };
    expect(ClusterStateSchema.safeParse(JSON.parse(last.state)).success).toBe(true);

    const { engine, loaded, ignored } = await loadWithLog(store);
    expect(ignored).toEqual([]);
    expect(loaded).toMatchObject({ snapshotRevision: stateBefore.revision, tailEvents: 0 });
    expect(engine.state()).toEqual(stateBefore);
    expect(engine.state()).toEqual(await foldOf(store));
  });

  it('keep the command index: a command older than the snapshot is still answered from history', async () => {
    const { store, dispose } = await freshStore('memory');
    cleanups.push(dispose);
    const writer = await openTestEngine(store, { snapshotEvery: 5 });
    await richHistory(writer);
    await writer.close();

    const { engine, loaded } = await loadWithLog(store);
    expect(loaded.tailEvents).toBe(0);
    const before = await dumpStore(store);
    expect(await engine.provisionLogServer({ node: 'N1', marker: markerOf(1), commandId: 'provision-n1' })).toMatchObject({
      storageState: 'ReadWrite',
      alreadyApplied: true,
    });
    await expect(engine.registerNode({ name: 'x', roles: ['worker'], commandId: 'provision-n1' })).rejects.toMatchObject({ code: 'CommandIdReused' });
    expect(await dumpStore(store)).toBe(before);
  });

  type Tamper = (data: Record<string, unknown>) => Record<string, unknown>;
  const tampering: [string, Tamper, RegExp][] = [
    [
      'a damaged state (checksum)',
      (data) => ({ ...data, state: String(data.state).replace('"name":"b"', '"name":"B"') }),
      /checksum mismatch/,
    ],
    ['other machine versions', (data) => ({ ...data, machineVersions: { ...(data.machineVersions as object), 'log-server': 99 } }), /machine versions/],
    ['an unknown format version', (data) => ({ ...data, schemaVersion: 2 }), /format version 2/],
    ['malformed data', () => ({ hello: 'world' }), /malformed/],
    ['a snapshot of another history (hash)', (data) => ({ ...data, hash: 'f'.repeat(64) }), /hash differs/],
    ['a revision the stream does not hold', (data) => ({ ...data, revision: 10_000 }), /does not hold|state revision/],
  ];

  it.each(tampering)('ignores %s and replays the events to the same state', async (_label, tamper, reason) => {
    const { store, dispose } = await freshStore('memory');
    cleanups.push(dispose);
    const writer = await openTestEngine(store, { snapshotEvery: 5 });
    await richHistory(writer);
    const stateBefore = writer.state();
    await writer.close();

    // Every snapshot gets the same damage, so no older valid one can be used either.
    for (const snapshot of await readStreamEvents(store, snapshotStreamId('test'))) {
      await store.appendToStream(snapshotStreamId('test'), [
        { id: crypto.randomUUID(), type: snapshot.type, data: tamper(snapshot.data as Record<string, unknown>) as JsonObject, metadata: snapshot.metadata },
      ]);
    }
    const { engine, loaded, ignored } = await loadWithLog(store);
    expect(ignored.length).toBeGreaterThan(0);
    for (const why of ignored.slice(0, 3)) expect(why).toMatch(reason);
    expect(loaded.snapshotRevision).toBeNull();
    expect(engine.state()).toEqual(stateBefore);
    expect(engine.state()).toEqual(await foldOf(store));
  });

  it('are skipped for the newest when damaged, falling back to an older valid one', async () => {
    const { store, dispose } = await freshStore('memory');
    cleanups.push(dispose);
    const writer = await openTestEngine(store, { snapshotEvery: 5 });
    await richHistory(writer);
    const stateBefore = writer.state();
    await writer.close();
    const newest = await latestSnapshot(store);
    await store.appendToStream(snapshotStreamId('test'), [{ id: crypto.randomUUID(), type: 'ClusterSnapshot', data: { garbage: true }, metadata: newest.metadata }]);
    const { engine, loaded, ignored } = await loadWithLog(store);
    expect(ignored).toHaveLength(1);
    expect(loaded.snapshotRevision).toBe((newest.data as { revision: number }).revision);
    expect(engine.state()).toEqual(stateBefore);
  });
});
