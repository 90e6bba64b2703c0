import { describe, expect, it } from 'vitest';
import {
  auditEntries,
  auditTrailProjection,
  clusterHealth,
  metadataQuorum,
  nodesConfiguration,
  nodesConfigurationProjection,
  observedClusterState,
  observedClusterStateProjection,
  foldProjection,
} from '../../projections/index.js';
import { projectionSpec } from '../../src/testing/projection.js';
import { History } from './history.js';

describe('NodesConfiguration', () => {
  const spec = projectionSpec(nodesConfigurationProjection);

  it('is the versioned document: nodes with generation and role states, tombstones, version = cluster events applied', () => {
    const h = new History('prod');
    const given = [h.provision(), h.register(1), h.register(2), h.heartbeat(1, 1), h.register(3)];
    const state = spec.given(...given).when(h.restart(2), h.storage(1, 'ReadWrite'), h.remove(3), h.heartbeat(2, 2)).then(() => undefined);
    const doc = nodesConfiguration(state);
    expect(doc.version).toBe(7);
    expect(doc.clusterName).toBe('prod');
    expect(doc.nodes.map((n) => n.id)).toEqual(['N1', 'N2', 'N3']);
    expect(doc.nodes[0]).toMatchObject({ id: 'N1', generation: 1, storageState: 'ReadWrite', metadataServerState: 'Standby', workerState: 'Provisioning', removed: false });
    expect(doc.nodes[1]).toMatchObject({ id: 'N2', generation: 2, removed: false });
    expect(doc.nodes[2]).toEqual({ id: 'N3', removed: true });
    expect(state.cluster.nodes['1']).toMatchObject({ marker: { markerId: 'marker-1' } });
  });

  it('rejects a history the decider could not have written, naming the position', () => {
    const h = new History();
    const registered = h.register(1);
    expect(() => foldProjection(nodesConfigurationProjection, [registered, { ...registered, position: 2, revision: 1 }])).toThrow(
      expect.objectContaining({ code: 'HistoryInvalid', context: expect.objectContaining({ position: 2 }) }),
    );
  });
});

describe('health', () => {
  function cluster(setup: (h: History) => void) {
    const h = new History();
    h.provision(2);
    setup(h);
    const nodes = foldProjection(nodesConfigurationProjection, h.events);
    const observed = foldProjection(observedClusterStateProjection, h.events);
    return { h, health: clusterHealth(nodes.cluster, observedClusterState(observed, { now: h.now })) };
  }

  it('quorum is floor(m/2)+1', () => {
    expect([1, 2, 3, 4, 5].map(metadataQuorum)).toEqual([1, 2, 2, 3, 3]);
  });

  it('is healthy with a metadata quorum alive and enough ReadWrite log servers for the replication', () => {
    const { health } = cluster((h) => {
      for (const id of [1, 2, 3]) h.register(id, { metadata: 'AutoJoin' });
      for (const id of [1, 2, 3]) h.storage(id, 'ReadWrite');
      for (const id of [1, 2, 3]) h.join(id);
    });
    expect(health).toEqual({
      healthy: true,
      reasons: [],
      warnings: [],
      metadata: { members: 3, alive: 3, quorum: 2, ok: true },
      logs: { provider: 'replicated', replication: { node: 2 }, readWriteServers: 3, nodeset: ['N1', 'N2', 'N3'], ok: true },
    });
  });

  it('loses the metadata quorum when too few members are alive, and names them', () => {
    const { health } = cluster((h) => {
      for (const id of [1, 2, 3]) h.register(id, { metadata: 'AutoJoin' });
      for (const id of [1, 2, 3]) h.storage(id, 'ReadWrite');
      for (const id of [1, 2, 3]) h.join(id);
      h.unreachable(2);
      h.unreachable(3);
    });
    expect(health.healthy).toBe(false);
    expect(health.metadata).toEqual({ members: 3, alive: 1, quorum: 2, ok: false });
    expect(health.reasons).toEqual([expect.stringContaining('not alive: N2, N3')]);
    expect(health.logs.ok).toBe(true);
  });

  it('is unhealthy when the replication cannot be satisfied by ReadWrite log servers; a nodeset of exactly r warns', () => {
    const one = cluster((h) => {
      h.register(1, { metadata: 'AutoJoin' });
      h.storage(1, 'ReadWrite');
      h.join(1);
      h.register(2);
    });
    expect(one.health.logs).toMatchObject({ readWriteServers: 1, nodeset: [], ok: false });
    expect(one.health.reasons).toEqual([expect.stringContaining('Not enough candidate nodes')]);
    const two = cluster((h) => {
      h.register(1, { metadata: 'AutoJoin' });
      h.register(2);
      h.storage(1, 'ReadWrite');
      h.storage(2, 'ReadWrite');
      h.join(1);
    });
    expect(two.health.healthy).toBe(true);
    expect(two.health.logs.nodeset).toEqual(['N1', 'N2']);
    expect(two.health.warnings).toEqual([expect.stringContaining('no fault tolerance')]);
  });

  it('is unhealthy before provisioning, with reasons for both checks', () => {
    const nodes = foldProjection(nodesConfigurationProjection, []);
    const health = clusterHealth(nodes.cluster, observedClusterState(foldProjection(observedClusterStateProjection, []), { now: 0 }));
    expect(health.healthy).toBe(false);
    expect(health.reasons).toHaveLength(2);
    expect(health.logs).toEqual({ provider: null, replication: null, readWriteServers: 0, nodeset: [], ok: false });
  });
});

describe('AuditTrail', () => {
  const spec = projectionSpec(auditTrailProjection);

  it('records every cluster event with position, time, actor, command, machine, node, from -> to and cause; skips observations', () => {
    const h = new History();
    const given = [h.provision(), h.register(3)];
    const state = spec.given(...given).when(h.heartbeat(3, 1), h.advance(5).storage(3, 'ReadWrite'), h.storage(3, 'ReadOnly', true)).then(() => undefined);
    expect(state.entries.map((e) => e.position)).toEqual([1, 2, 4, 5]);
    expect(state.entries[2]).toEqual({
      position: 4,
      revision: 2,
      at: h.iso(),
      type: 'StorageStateChanged',
      commandId: 'command-4',
      commandType: 'ProvisionLogServer',
      actor: 'operator',
      machine: 'log-server',
      node: 'N3',
      from: 'Provisioning',
      to: 'ReadWrite',
      forced: false,
      cause: 'provision',
    });
    expect(state.entries[3]).toMatchObject({ from: 'ReadWrite', to: 'ReadOnly', forced: true, cause: 'set-state' });
    expect(state.entries[0]).toMatchObject({ machine: 'cluster-provisioning', node: null, cause: 'provision' });
  });

  it('filters by node and by an inclusive position range', () => {
    const h = new History();
    for (const id of [1, 2]) h.register(id);
    h.storage(1, 'ReadWrite');
    h.join(2);
    h.remove(1);
    const state = spec.given(...h.events).when().then(() => undefined);
    expect(auditEntries(state, { node: 'N1' }).map((e) => e.position)).toEqual([1, 3, 6]);
    expect(auditEntries(state, { node: '2' }).map((e) => e.type)).toEqual(['NodeRegistered', 'MetadataServerStateChanged', 'MetadataConfigurationChanged']);
    expect(auditEntries(state, { fromPosition: 2, toPosition: 4 }).map((e) => e.position)).toEqual([2, 3, 4]);
    expect(auditEntries(state, { node: 'N1', fromPosition: 4 }).map((e) => e.position)).toEqual([6]);
    expect(() => auditEntries(state, { node: 'x' })).toThrow(expect.objectContaining({ code: 'InvalidNodeId' }));
  });
});
