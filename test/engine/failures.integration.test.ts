/** Failures the engine reports with a code an operator can act on, writing nothing. */
import { describe, expect, it } from 'vitest';
import { ClusterchartError } from '../../src/domain/errors.js';
import { clusterStreamId } from '../../src/domain/events.js';
import { eventIdFor } from '../../src/engine/hashing.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { wrapStore } from '../../src/testing/wrap-store.js';
import { dumpStore, openTestEngine } from './support/harness.js';

describe('engine failures', () => {
  it('gives up with TooManyConflicts after maxConflictRetries lost races, having written nothing', async () => {
    const inner = createMemoryStore();
    let attempts = 0;
    const contended = wrapStore(inner, {
      appendToStream(stream, events, options) {
        if (stream !== clusterStreamId('test') || attempts === -1) return inner.appendToStream(stream, events, options);
        attempts++;
        return Promise.reject(new ClusterchartError('WrongExpectedVersion', 'another writer appended first', { stream, expected: 0, actual: 1 }));
      },
    });
    const engine = await openTestEngine(contended, { maxConflictRetries: 3 });
    const before = await dumpStore(inner);
    await expect(engine.provision()).rejects.toMatchObject({ code: 'TooManyConflicts', message: expect.stringMatching(/retry them with the same command ids/) });
    expect(attempts).toBe(4);
    expect(await dumpStore(inner)).toBe(before);
    attempts = -1;
    expect(await engine.provision()).toMatchObject({ alreadyApplied: false });
    await engine.close();
  });

  it('refuses to load a history with an unknown event type, naming its position', async () => {
    const store = createMemoryStore();
    await store.appendToStream(clusterStreamId('test'), [{ id: eventIdFor('test', 'x', 0), type: 'NodeTeleported', data: {}, metadata: { commandId: 'x', at: '2026-01-01T00:00:00.000Z' } }]);
    await expect(openTestEngine(store)).rejects.toMatchObject({ code: 'UnknownEventType', context: { type: 'NodeTeleported', position: 1 } });
  });

  it('refuses to load a history with a live node N0 and points to the migration', async () => {
    const store = createMemoryStore();
    const writer = await openTestEngine(store);
    await writer.provision();
    await writer.close();
    const transition = { machine: 'node-lifecycle', node: 0, from: 'Unregistered', to: 'Registered', input: { type: 'register' } };
    const data = { ...transition, nodeId: 0, generation: 1, name: 'legacy', roles: ['worker'], address: '', location: null, metadataServerState: 'Standby', storageState: 'Provisioning', workerState: 'Provisioning' };
    await store.appendToStream(clusterStreamId('test'), [{ id: eventIdFor('test', 'n0', 0), type: 'NodeRegistered', data, metadata: { commandId: 'n0', at: '2026-01-01T00:00:00.000Z' } }]);
    await expect(openTestEngine(store)).rejects.toMatchObject({ code: 'LegacyNodeZero', message: expect.stringMatching(/migrate legacy/) });
  });

  it('reports malformed stored data as HistoryInvalid with the position', async () => {
    const store = createMemoryStore();
    const writer = await openTestEngine(store);
    await writer.provision();
    await writer.close();
    await store.appendToStream(clusterStreamId('test'), [{ id: eventIdFor('test', 'bad', 0), type: 'WorkerStateChanged', data: { nodeId: 'one' }, metadata: { commandId: 'bad', at: '2026-01-01T00:00:00.000Z' } }]);
    await expect(openTestEngine(store)).rejects.toMatchObject({ code: 'HistoryInvalid', context: { position: 2 } });
  });
});
