import { describe, expect, it } from 'vitest';
import {
  type ObservedClusterFacts,
  isNodeAlive,
  observedClusterState,
  observedClusterStateProjection,
  observedClusterStateToJson,
} from '../../projections/index.js';
import { parseNodeId, plainNodeId } from '../../src/domain/index.js';
import { projectionSpec, storedEvent } from '../../src/testing/projection.js';
import { History } from './history.js';

const spec = projectionSpec(observedClusterStateProjection);
const N = plainNodeId;
const viewAt = (facts: ObservedClusterFacts, now: number, deadAfter?: number) =>
  observedClusterState(facts, deadAfter === undefined ? { now } : { now, deadAfter });

describe('ObservedClusterState', () => {
  it('a heartbeat makes a node alive at its generation with the partitions it reports', () => {
    const h = new History();
    const given = [h.register(1), h.register(2)];
    const state = spec
      .given(...given)
      .when(h.heartbeat(1, 1, { '0': 'leader', '1': 'follower' }), h.heartbeat(2, 1, { '0': 'follower' }))
      .then(() => undefined);
    const view = viewAt(state, h.now);
    expect(view.aliveNodes).toEqual(new Map([[N(1), parseNodeId('N1:1')], [N(2), parseNodeId('N2:1')]]));
    expect(view.deadNodes.size).toBe(0);
    expect(view.partitions).toEqual(new Map([[0, new Map([[N(1), 'leader'], [N(2), 'follower']])], [1, new Map([[N(1), 'follower']])]]));
    expect(view.nodesToPartitions).toEqual(new Map([[N(1), new Set([0, 1])], [N(2), new Set([0])]]));
    expect(view.lastHeard.get(N(1))).toBe(h.iso());
  });

  it('a heartbeat replaces the partition set: partitions no longer reported lose the node and empty ones are dropped', () => {
    const h = new History();
    const given = [h.register(1), h.register(2), h.heartbeat(1, 1, { '0': 'leader', '5': 'leader' }), h.heartbeat(2, 1, { '0': 'follower' })];
    const state = spec.given(...given).when(h.heartbeat(1, 1, { '7': 'follower' })).then(() => undefined);
    const view = viewAt(state, h.now);
    expect([...view.partitions.keys()]).toEqual([0, 7]);
    expect(view.partitions.get(0)).toEqual(new Map([[N(2), 'follower']]));
    expect(view.nodesToPartitions.get(N(1))).toEqual(new Set([7]));
  });

  it('an alive node that hosts nothing keeps an empty index entry', () => {
    const h = new History();
    const state = spec.given(h.register(1), h.heartbeat(1, 1, { '3': 'leader' })).when(h.heartbeat(1, 1, {})).then(() => undefined);
    const view = viewAt(state, h.now);
    expect(view.nodesToPartitions).toEqual(new Map([[N(1), new Set()]]));
    expect(view.partitions.size).toBe(0);
  });

  it('#23: a node reported unreachable is dead and its processors are removed; a partition it alone hosted is dropped', () => {
    const h = new History();
    const given = [h.register(1), h.register(2), h.heartbeat(1, 1, { '0': 'leader', '1': 'leader' }), h.heartbeat(2, 1, { '0': 'follower' })];
    const state = spec.given(...given).when(h.unreachable(1)).then((s) => expect(s.nodes['1']?.partitions).toEqual({}));
    const view = viewAt(state, h.now);
    expect(view.deadNodes).toEqual(new Set([N(1)]));
    expect(view.aliveNodes.has(N(1))).toBe(false);
    expect(view.partitions).toEqual(new Map([[0, new Map([[N(2), 'follower']])]]));
    expect(view.nodesToPartitions.has(N(1))).toBe(false);
    expect(view.lastHeard.has(N(1))).toBe(true);
  });

  it('a heartbeat after an unreachable report makes the node alive again', () => {
    const h = new History();
    const state = spec
      .given(h.register(1), h.heartbeat(1, 1, { '0': 'leader' }), h.unreachable(1))
      .when(h.advance(1000).heartbeat(1, 1, { '0': 'leader' }))
      .then(() => undefined);
    expect(isNodeAlive(viewAt(state, h.now), N(1))).toBe(true);
  });

  it('liveness expires at the boundary: heard deadAfter - 1 ms ago is alive, deadAfter ago is dead', () => {
    const h = new History();
    const state = spec.given(h.register(1)).when(h.advance(500).heartbeat(1, 1, { '2': 'leader' })).then(() => undefined);
    const heard = h.now;
    expect(isNodeAlive(viewAt(state, heard + 9_999), N(1))).toBe(true);
    const dead = viewAt(state, heard + 10_000);
    expect(dead.deadNodes).toEqual(new Set([N(1)]));
    expect(dead.partitions.size).toBe(0);
    expect(isNodeAlive(viewAt(state, heard + 2_999, 3_000), N(1))).toBe(true);
    expect(isNodeAlive(viewAt(state, heard + 3_000, 3_000), N(1))).toBe(false);
  });

  it('partitions emptied by a death (expiry) are dropped while partitions shared with a live node stay', () => {
    const h = new History();
    const given = [h.register(1), h.register(2), h.heartbeat(1, 1, { '0': 'leader', '1': 'leader' })];
    const state = spec.given(...given).when(h.advance(8_000).heartbeat(2, 1, { '1': 'follower' })).then(() => undefined);
    const view = viewAt(state, h.now + 3_000);
    expect(view.aliveNodes.has(N(1))).toBe(false);
    expect(view.partitions).toEqual(new Map([[1, new Map([[N(2), 'follower']])]]));
    expect(view.nodesToPartitions).toEqual(new Map([[N(2), new Set([1])]]));
  });

  it('#22: a node removed while alive and leading disappears from alive, dead, partitions and nodes-to-partitions at once', () => {
    const h = new History();
    const given = [h.register(2), h.register(3), h.heartbeat(3, 1, { '1': 'leader' }), h.heartbeat(2, 1, { '2': 'leader' })];
    const state = spec
      .given(...given)
      .when(h.remove(3))
      .then((s) => {
        expect(s.nodes['3']).toBeUndefined();
        expect(s.tombstones).toEqual({ '3': true });
      });
    const view = viewAt(state, h.now);
    expect([...view.aliveNodes.keys()]).toEqual([N(2)]);
    expect(view.deadNodes.has(N(3))).toBe(false);
    expect(view.partitions.has(1)).toBe(false);
    expect([...view.partitions.keys()]).toEqual([2]);
    expect(view.nodesToPartitions.has(N(3))).toBe(false);
    expect(view.lastHeard.has(N(3))).toBe(false);
    expect(isNodeAlive(view, N(3))).toBe(false);
  });

  it('a removed dead node is purged from the dead set too', () => {
    const h = new History();
    const state = spec.given(h.register(4), h.unreachable(4)).when(h.remove(4)).then(() => undefined);
    expect(viewAt(state, h.now).deadNodes.size).toBe(0);
  });

  it('a heartbeat after removal changes nothing (#2821: the removed node must not come back alive)', () => {
    const h = new History();
    const given = [h.register(3), h.heartbeat(3, 1, { '1': 'leader' }), h.remove(3)];
    const before = spec.given(...given).when().then(() => undefined);
    const after = spec.given(...given).when(h.heartbeat(3, 1, { '1': 'leader' }), h.heartbeat(3, 2, {}), h.unreachable(3)).then(() => undefined);
    expect({ ...after, position: before.position }).toEqual(before);
    const view = viewAt(after, h.now);
    expect(view.aliveNodes.size + view.deadNodes.size + view.partitions.size + view.nodesToPartitions.size).toBe(0);
  });

  it('a heartbeat from generation 2 after generation 3 changes nothing; generations never go back', () => {
    const h = new History();
    const given = [h.register(1), h.restart(1), h.restart(1), h.heartbeat(1, 3, { '4': 'leader' })];
    const before = spec.given(...given).when().then(() => undefined);
    const after = spec.given(...given).when(h.advance(2_000).heartbeat(1, 2, { '9': 'leader' })).then(() => undefined);
    expect(after.nodes).toEqual(before.nodes);
    const view = viewAt(after, h.now);
    expect(view.aliveNodes.get(N(1))).toEqual(parseNodeId('N1:3'));
    expect(view.nodesToPartitions.get(N(1))).toEqual(new Set([4]));
  });

  it('a heartbeat from a newer generation than the configuration knows moves the generation forward', () => {
    const h = new History();
    const state = spec.given(h.register(1)).when(h.heartbeat(1, 2, { '0': 'leader' })).then((s) => expect(s.nodes['1']?.generation).toBe(2));
    expect(isNodeAlive(viewAt(state, h.now), parseNodeId('N1:2'))).toBe(true);
  });

  it('#24: alive at generation 3, isNodeAlive(N1:2) is false and isNodeAlive(N1) is true', () => {
    const h = new History();
    const state = spec.given(h.register(1), h.restart(1), h.restart(1)).when(h.heartbeat(1, 3)).then(() => undefined);
    const view = viewAt(state, h.now);
    expect(isNodeAlive(view, parseNodeId('N1'))).toBe(true);
    expect(isNodeAlive(view, parseNodeId('N1:3'))).toBe(true);
    expect(isNodeAlive(view, parseNodeId('N1:2'))).toBe(false);
    expect(isNodeAlive(view, parseNodeId('N2'))).toBe(false);
  });

  it('registration announces the node: alive at generation 1 with no processors until it reports some', () => {
    const h = new History();
    const state = spec.given().when(h.register(1)).then(() => undefined);
    const view = viewAt(state, h.now);
    expect(view.aliveNodes.get(N(1))).toEqual(parseNodeId('N1:1'));
    expect(view.nodesToPartitions.get(N(1))).toEqual(new Set());
    expect(isNodeAlive(viewAt(state, h.now + 10_000), N(1))).toBe(false);
  });

  it('a restart drops the previous generation processors and announces the new generation', () => {
    const h = new History();
    const state = spec.given(h.register(1), h.heartbeat(1, 1, { '0': 'leader' })).when(h.advance(100).restart(1)).then(() => undefined);
    const view = viewAt(state, h.now);
    expect(view.aliveNodes.get(N(1))).toEqual(parseNodeId('N1:2'));
    expect(view.partitions.size).toBe(0);
    expect(view.lastHeard.get(N(1))).toBe(h.iso());
  });

  it('observations for ids outside the configuration are ignored', () => {
    const h = new History();
    const state = spec.given(h.register(1)).when(h.heartbeat(9, 1, { '0': 'leader' }), h.unreachable(8)).then(() => undefined);
    expect(Object.keys(state.nodes)).toEqual(['1']);
  });

  it('a legacy import and remap: N0 is a tombstone, the remapped node keeps its generation and is dead until heard', () => {
    const base = { name: 'a', roles: ['worker' as const], address: 'http://a:5122', location: null, metadataServerState: 'Member' as const, storageState: 'ReadWrite' as const, workerState: 'Active' as const };
    const imported = storedEvent(
      { type: 'LegacyConfigurationImported', data: { clusterName: 'legacy', legacyVersion: 12, nodes: [{ nodeId: 2, tombstone: true }] } },
      { position: 1 },
    );
    const remapped = storedEvent(
      {
        type: 'NodeIdRemapped',
        data: { machine: 'node-lifecycle', node: N(1), from: 'Unregistered', to: 'Registered', input: { type: 'remap', fromId: 0, nodeId: 1, generation: 4 }, fromId: 0, nodeId: N(1), generation: 4, ...base },
      },
      { position: 2 },
    );
    const state = spec.given(imported).when(remapped).then((s) => expect(s.tombstones).toEqual({ '0': true, '2': true }));
    const view = viewAt(state, Date.parse('2026-01-01T00:00:01.000Z'));
    expect(view.deadNodes).toEqual(new Set([N(1)]));
    const heard = spec.given(imported, remapped).when(storedEvent({ type: 'NodeHeartbeatObserved', data: { nodeId: N(1), generation: 4, at: '2026-01-01T00:00:01.000Z', partitions: {} } }, { position: 3 })).then(() => undefined);
    expect(isNodeAlive(viewAt(heard, Date.parse('2026-01-01T00:00:02.000Z')), parseNodeId('N1:4'))).toBe(true);
  });

  it('never indexes a live legacy N0 (NodesConfiguration reports it as LegacyNodeZero)', () => {
    const n0 = storedEvent(
      {
        type: 'NodeRegistered',
        data: {
          machine: 'node-lifecycle', node: 0 as never, from: 'Unregistered', to: 'Registered', input: { type: 'register', nodeId: 0, generation: 1 },
          nodeId: 0 as never, generation: 1, name: 'legacy', roles: ['worker'], address: 'http://legacy:5122', location: null,
          metadataServerState: 'Standby', storageState: 'Provisioning', workerState: 'Provisioning',
        },
      },
      { position: 1 },
    );
    const state = spec.given().when(n0).then((s) => expect(s.nodes).toEqual({}));
    expect(viewAt(state, 0).deadNodes.size).toBe(0);
  });

  it('events already applied (position at or below the state) are ignored', () => {
    const h = new History();
    const events = [h.register(1), h.heartbeat(1, 1, { '0': 'leader' }), h.remove(1)];
    const once = spec.given(...events).when().then(() => undefined);
    const replayed = spec.given(...events).when(events[0]!, events[1]!).then(() => undefined);
    expect(replayed).toEqual(once);
  });

  it('prints the CLI `observe` JSON shape', () => {
    const h = new History();
    const state = spec.given(h.register(1), h.register(2), h.restart(1), h.heartbeat(1, 2, { '0': 'leader' }), h.heartbeat(2, 1, { '0': 'follower' })).when(h.unreachable(2)).then(() => undefined);
    expect(JSON.parse(JSON.stringify(observedClusterStateToJson(viewAt(state, h.now))))).toEqual({
      position: 6,
      aliveNodes: { N1: 'N1:2' },
      deadNodes: ['N2'],
      partitions: { '0': { N1: 'leader' } },
      nodesToPartitions: { N1: [0] },
      lastHeard: { N1: h.iso(), N2: h.iso() },
    });
  });
});
