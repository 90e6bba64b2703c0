/**
 * Every engine method end to end on the memory store and on a real SQLite file: typed results, typed refusals
 * with a `code`, and a refusal leaves the store byte-for-byte unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clusterStreamId, observationsStreamId } from '../../src/domain/events.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { EventStore } from '../../src/store/event-store.js';
import { dumpStore, freshStore, markerOf, openTestEngine, readStreamEvents, silentLogger, STORE_KINDS, steppingClock, tempDbPath } from './support/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function expectRefused(store: EventStore, attempt: Promise<unknown>, code: string): Promise<void> {
  const before = await dumpStore(store);
  await expect(attempt).rejects.toMatchObject({ name: 'ClusterchartError', code });
  expect(await dumpStore(store)).toBe(before);
}

describe.each(STORE_KINDS)('engine API on %s', (kind) => {
  it('runs every operation, with typed results and refusals that write nothing', async () => {
    const { store, dispose } = await freshStore(kind);
    cleanups.push(dispose);
    const engine = await openTestEngine(store, { actor: 'operator' });
    cleanups.push(() => engine.close());

    const provisioned = await engine.provision({ replication: 1 });
    expect(provisioned).toMatchObject({ type: 'ProvisionCluster', alreadyApplied: false, clusterName: 'test' });
    expect(provisioned.config.replication).toEqual({ node: 1 });
    await expectRefused(store, engine.provision({ replication: 1 }), 'AlreadyProvisioned');

    const n1 = await engine.registerNode({ name: 'n1', roles: ['log-server', 'metadata-server', 'worker'], address: 'http://n1:5122' });
    expect(n1).toMatchObject({ type: 'RegisterNode', created: true, node: "N1:1" });
    const n2 = await engine.registerNode({ name: 'n2', roles: ['log-server', 'metadata-server'] });
    expect(n2.node).toEqual("N2:1");
    await expectRefused(store, engine.registerNode({ name: 'zero', roles: ['worker'], forceNodeId: 0 }), 'ReservedNodeId');
    await expectRefused(store, engine.registerNode({ name: 'n9', roles: ['worker'], forceNodeId: 'N2' }), 'NodeIdInUse');
    const restarted = await engine.registerNode({ name: 'n2', roles: ['log-server', 'metadata-server'] });
    expect(restarted).toMatchObject({ created: false, node: "N2:2" });

    expect(await engine.provisionLogServer({ node: 'N1', marker: markerOf(1) })).toMatchObject({ node: 'N1', storageState: 'ReadWrite', alreadyApplied: false });
    expect(await engine.provisionLogServer({ node: 2, marker: markerOf(2) })).toMatchObject({ storageState: 'ReadWrite' });
    await expectRefused(store, engine.provisionLogServer({ node: 'N1', marker: markerOf(1, 'another-disk') }), 'MarkerMismatch');
    await expectRefused(store, engine.provisionLogServer({ node: 'N2', marker: markerOf(1) }), 'MarkerFromAnotherNode');
    expect(await engine.startLogServer({ node: 'N1', marker: markerOf(1) })).toMatchObject({ started: true, storageState: 'ReadWrite', refusal: null });

    const joined = await engine.joinMetadata({ node: 'N2' });
    expect(joined).toMatchObject({ node: 'N2', metadataServerState: 'Member' });
    expect([...joined.members].sort()).toEqual(['N1', 'N2']);
    const left = await engine.removeMetadataMember({ node: 'N2' });
    expect(left).toMatchObject({ node: 'N2', metadataServerState: 'Standby', members: ['N1'] });
    await expectRefused(store, engine.removeMetadataMember({ node: 'N1' }), 'OnlyMember');
    await expectRefused(store, engine.joinMetadata({ node: 'N7' }), 'UnknownNode');

    expect(await engine.setDefaultLogProvider({ provider: 'replicated', replication: 2 })).toMatchObject({ config: { replication: { node: 2 } } });
    await expectRefused(store, engine.setDefaultLogProvider({ provider: 'local' }), 'ChooseReplicatedLoglet');
    const segment = await engine.createLogSegment({ logId: 1 });
    expect(segment).toMatchObject({ logId: 1, segment: 0 });
    expect([...segment.nodeset].sort()).toEqual(['N1', 'N2']);
    await expectRefused(store, engine.removeNodes({ nodes: ['N2'] }), 'LogServerReadWrite');
    expect(await engine.sealLogSegment({ logId: 1 })).toMatchObject({ logId: 1, segment: 0 });
    await expectRefused(store, engine.sealLogSegment({ logId: 9 }), 'UnknownLog');

    await expectRefused(store, engine.setStorageState({ node: 'N1', state: 'provisioning', force: true }), 'UnsafeTransition');
    await engine.setDefaultLogProvider({ provider: 'replicated', replication: 1 });
    expect(await engine.setStorageState({ node: 'N2', state: 'read-only' })).toMatchObject({ node: 'N2', from: 'ReadWrite', to: 'ReadOnly', forced: false });
    expect(await engine.setWorkerState({ node: 'N1', state: 'Active' })).toMatchObject({ from: 'Provisioning', to: 'Active' });
    await expectRefused(store, engine.setWorkerState({ node: 'N2', state: 'Active' }), 'InvalidRole');

    expect(await engine.recordHeartbeat({ node: 'N1:1', at: '2026-01-01T00:00:01.000Z', partitions: { '0': 'leader' } })).toMatchObject({
      type: 'RecordHeartbeat',
      node: 'N1:1',
    });
    expect(await engine.recordUnreachable({ node: 'N2', at: '2026-01-01T00:00:01.000Z' })).toMatchObject({ node: 'N2' });
    await expectRefused(store, engine.recordHeartbeat({ node: 'N8:1', at: '2026-01-01T00:00:01.000Z' }), 'UnknownNode');

    expect(await engine.removeNodes({ nodes: ['N2', 'N5'] })).toMatchObject({ removed: ['N2'], alreadyRemoved: ['N5'] });
    const viaExecute = await engine.execute({ type: 'RegisterNode', data: { name: 'n3', roles: ['worker'] }, commandId: 'exec-1' });
    expect(viaExecute).toMatchObject({ type: 'RegisterNode', node: "N3:1" });
    await expectRefused(store, engine.execute({ type: 'Reboot', data: {} } as never), 'InvalidInput');
    await expectRefused(store, engine.registerNode({ name: '', roles: [] }), 'InvalidInput');

    // The aggregate, the streams and the metadata of what was written.
    const state = engine.state();
    expect(Object.isFrozen(state) && Object.isFrozen(state.nodes)).toBe(true);
    expect(state.nodes['2']).toMatchObject({ removed: true });
    const clusterEvents = await readStreamEvents(store, clusterStreamId('test'));
    expect(state.revision).toBe(clusterEvents.length - 1);
    for (const event of clusterEvents) {
      expect(event.metadata).toMatchObject({ actor: 'operator', commandId: expect.any(String), commandType: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
    expect(clusterEvents.find((e) => e.type === 'StorageStateChanged')?.metadata).toMatchObject({ machineVersion: 1 });
    expect((await readStreamEvents(store, observationsStreamId('test'))).map((e) => e.type)).toEqual(['NodeHeartbeatObserved', 'NodeUnreachableObserved']);

    // Projection reads include every write above.
    const observed = await engine.observedClusterState({ asOf: new Date('2026-01-01T00:00:02.000Z') });
    expect(observed.aliveNodes).toHaveProperty('N1');
    expect(observed.aliveNodes).not.toHaveProperty('N2');
    expect(JSON.parse(JSON.stringify(observed))).toEqual(observed);
    const config = await engine.nodesConfiguration();
    expect(config.nodes.length).toBeGreaterThanOrEqual(3);
    const health = await engine.health();
    expect(health).toHaveProperty('healthy');
    const audit = await engine.audit({ node: 'N2' });
    expect(audit.some((entry) => entry.machine === 'log-server' && entry.from === 'ReadWrite' && entry.to === 'ReadOnly')).toBe(true);
  });

  it('imports a legacy document into an empty cluster and refuses a multi-node N0 document', async () => {
    const { store, dispose } = await freshStore(kind);
    cleanups.push(dispose);
    const engine = await openTestEngine(store);
    cleanups.push(() => engine.close());
    const node0 = { id: 0, generation: 3, name: 'legacy', roles: ['log-server', 'metadata-server'] };
    await expectRefused(
      store,
      engine.importLegacy({ document: { clusterName: 'test', version: 7, nodes: [node0, { ...node0, id: 1, name: 'other' }] } }),
      'MultiNodeCluster',
    );
    const imported = await engine.importLegacy({ document: { clusterName: 'test', version: 7, nodes: [node0] } });
    expect(imported).toMatchObject({ type: 'ImportLegacyConfiguration', remapped: { from: 'N0', to: 'N1', generation: 3 } });
    expect(engine.state().nodes['1']).toMatchObject({ removed: false, generation: 3, name: 'legacy' });
  });
});

describe('engine lifecycle', () => {
  it('opens a store from a URL, owns it, and refuses commands once closed', async () => {
    const temp = tempDbPath();
    cleanups.push(temp.dispose);
    const engine = await createEngine({ store: `sqlite:${temp.path}`, cluster: 'url', logger: silentLogger(), clock: steppingClock() });
    expect(engine.store.url).toContain(temp.path);
    await engine.provision();
    await engine.close();
    await expect(engine.registerNode({ name: 'late', roles: ['worker'] })).rejects.toMatchObject({ code: 'EngineClosed' });
    const reopened = await createEngine({ store: `sqlite:${temp.path}`, cluster: 'url', logger: silentLogger() });
    expect(reopened.state().config).not.toBeNull();
    await reopened.close();
  });

  it('rejects an invalid cluster name before opening anything', async () => {
    await expect(createEngine({ store: 'memory:', cluster: 'no spaces', logger: silentLogger() })).rejects.toMatchObject({ code: 'InvalidInput' });
  });

  it('notifies subscribers after each durable append with the stored events and the new state', async () => {
    const { store, dispose } = await freshStore('memory');
    cleanups.push(dispose);
    const engine: Engine = await openTestEngine(store);
    cleanups.push(() => engine.close());
    const seen: { types: string[]; revision: number; origin: string }[] = [];
    const stop = engine.subscribe((events, state, change) => seen.push({ types: events.map((e) => e.type), revision: state.revision, origin: change.origin }));
    await engine.provision();
    await engine.registerNode({ name: 'a', roles: ['worker'] });
    await expect(engine.provision()).rejects.toMatchObject({ code: 'AlreadyProvisioned' });
    stop();
    await engine.registerNode({ name: 'b', roles: ['worker'] });
    expect(seen).toEqual([
      { types: ['ClusterProvisioned'], revision: 0, origin: 'this-engine' },
      { types: ['NodeRegistered'], revision: 1, origin: 'this-engine' },
    ]);
  });
});
