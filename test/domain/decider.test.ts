/**
 * Decider specs: every rule of node identity, metadata membership, removal, provisioning and log-server/worker
 * states, and the numbered Restate test scenarios (#1-#21, #25-#38) that apply to our design. Scenarios that do not apply say why, next to the test of our
 * equivalent. Each `then` also checks determinism, no mutation of the input, evolve == foldEvents, verifiable
 * transitions and `resultOf` (see src/testing/given-when-then.ts).
 */
import { describe, expect, it } from 'vitest';
import { type ClusterState, type Command, type DomainEvent, type LiveNode, type PlainNodeId, type Role, emptyClusterState, isClusterchartError, plainNodeId } from '../../src/domain/index.js';
import { type Decision, applyClusterEvent, copyClusterState, decide, evolve, foldEvents, resultOf } from '../../src/decider/index.js';
import { command, given, givenState } from '../../src/testing/given-when-then.js';

const AT = '2026-01-01T00:00:00.000Z';
const provision = (data: Record<string, unknown> = {}) => command('ProvisionCluster', { clusterName: 'prod', ...data });
const register = (name: string, roles: readonly Role[], data: Record<string, unknown> = {}) =>
  command('RegisterNode', { name, roles, ...data });
const marker = (nodeId: number, markerId = `m${nodeId}`) => ({ nodeId, markerId, createdAt: AT });
const provisionLog = (node: number, markerId?: string) => command('ProvisionLogServer', { node, marker: marker(node, markerId) });
const setStorage = (node: number, state: string, force = false) => command('SetStorageState', { node, state, force });
const setWorker = (node: number, state: string, force = false) => command('SetWorkerState', { node, state, force });
const join = (node: number, createdAt?: string) => command('JoinMetadataCluster', createdAt === undefined ? { node } : { node, createdAt });
const removeNodes = (...nodes: number[]) => command('RemoveNodes', { nodes });

const accepted = (d: Decision): readonly DomainEvent[] => {
  if (!d.ok) throw d.error;
  return d.events;
};

const live = (state: ClusterState, id: number): LiveNode => {
  const entry = state.nodes[id];
  if (entry === undefined || entry.removed) throw new Error(`N${id} is not live`);
  return entry;
};

/** A provisioned cluster with `n` ReadWrite log servers N1..Nn (N1 is the seeded metadata member). */
const logServers = (n: number, roles: readonly Role[] = ['log-server', 'metadata-server', 'worker']) => [
  provision(),
  ...Array.from({ length: n }, (_, i) => register(`n${i + 1}`, roles)),
  ...Array.from({ length: n }, (_, i) => provisionLog(i + 1)),
];

describe('cluster provisioning', () => {
  it('writes the replicated defaults exactly once', () => {
    const out = given()
      .when(provision())
      .then([
        {
          type: 'ClusterProvisioned',
          data: {
            machine: 'cluster-provisioning',
            from: 'Unprovisioned',
            to: 'Provisioned',
            clusterName: 'prod',
            config: { logProvider: 'replicated', replication: { node: 1 }, targetNodesetSize: 0, numPartitions: 24, metadataServer: 'replicated' },
          },
        },
      ]);
    expect(out.after.config?.logProvider).toBe('replicated');
  });

  it('refuses every cluster command before provisioning with NotProvisioned', () => {
    given().when(register('a', ['worker'])).then('NotProvisioned');
    given().when(command('CreateLogSegment', { logId: 1 })).then('NotProvisioned');
    given().when(command('RecordUnreachable', { node: 1, at: AT })).then('NotProvisioned');
  });

  it('#33: a second provisioning is AlreadyProvisioned (the same command id retried is the engine’s business)', () => {
    // A half-failed provision cannot exist here: provisioning is one atomic append, retried by command id.
    given(provision()).when(provision()).then('AlreadyProvisioned');
  });

  it('#32: the default provider changes only to replicated (ChooseReplicatedLoglet)', () => {
    given(provision()).when(command('SetDefaultLogProvider', { provider: 'local' })).then('ChooseReplicatedLoglet');
    given(provision()).when(command('SetDefaultLogProvider', { provider: 'in-memory' })).then('ChooseReplicatedLoglet');
    given(provision({ logProvider: 'local' }))
      .when(command('SetDefaultLogProvider', { provider: 'replicated', replication: 2 }))
      .then([{ type: 'DefaultLogProviderChanged', data: { config: { logProvider: 'replicated', replication: { node: 2 } } } }]);
  });

  it('a provider change that changes nothing writes nothing', () => {
    given(provision()).when(command('SetDefaultLogProvider', { provider: 'replicated' })).then([]);
    given(provision({ logProvider: 'local' })).when(command('SetDefaultLogProvider', { provider: 'local' })).then([]);
  });

  it('#29: a single node on replicated defaults gets the nodeset [N1]', () => {
    given(...logServers(1))
      .when(command('CreateLogSegment', { logId: 1 }))
      .then([{ type: 'LogSegmentCreated', data: { logId: 1, segment: 0, nodeset: [1], replication: { node: 1 }, warning: null } }]);
  });

  it('#30: an upgraded cluster switches from local to replicated explicitly; its new segments are replicated', () => {
    // Restate rewrites a single node's Local logs at start-up; our equivalent is the explicit provider change.
    const history = [provision({ logProvider: 'local' }), register('n1', ['log-server']), provisionLog(1)];
    const local = given(...history)
      .when(command('CreateLogSegment', { logId: 1 }))
      .then([{ type: 'LogSegmentCreated', data: { nodeset: [], provider: 'local' } }]);
    const switched = givenState(local.after).when(command('SetDefaultLogProvider', { provider: 'replicated' })).then([{ type: 'DefaultLogProviderChanged' }]);
    givenState(switched.after)
      .when(command('CreateLogSegment', { logId: 1 }))
      .then([
        { type: 'LogSegmentSealed', data: { logId: 1, segment: 0 } },
        { type: 'LogSegmentCreated', data: { logId: 1, segment: 1, nodeset: [1] } },
      ]);
  });

  it('#31: {node: 2} with one ReadWrite server is InsufficientNodes; with two it works with a warning', () => {
    given(provision({ replication: 2 }), register('a', ['log-server']), provisionLog(1))
      .when(command('CreateLogSegment', { logId: 1 }))
      .then('InsufficientNodes');
    const out = given(provision({ replication: 2 }), register('a', ['log-server']), register('b', ['log-server']), provisionLog(1), provisionLog(2))
      .when(command('CreateLogSegment', { logId: 1 }))
      .then([{ type: 'LogSegmentCreated', data: { nodeset: [1, 2] } }]);
    expect(out.result).toMatchObject({ warning: expect.stringContaining('no fault tolerance') });
  });

  it('nodesets never include Provisioning log servers', () => {
    given(provision(), register('a', ['log-server']), register('b', ['log-server']), provisionLog(2))
      .when(command('CreateLogSegment', { logId: 7 }))
      .then([{ type: 'LogSegmentCreated', data: { nodeset: [2] } }]);
  });

  it('sealing: UnknownLog for a log without segments, no event when already sealed', () => {
    given(provision()).when(command('SealLogSegment', { logId: 3 })).then('UnknownLog');
    const sealed = given(...logServers(1), command('CreateLogSegment', { logId: 3 }))
      .when(command('SealLogSegment', { logId: 3 }))
      .then([{ type: 'LogSegmentSealed', data: { logId: 3, segment: 0 } }]);
    givenState(sealed.after).when(command('SealLogSegment', { logId: 3 })).then([]);
  });
});

describe('node identity (scenarios #1-#9)', () => {
  it('#1: forceNodeId 0 is ReservedNodeId, at the boundary and in the decider', () => {
    // The boundary (command validation) refuses it before the decider sees it.
    given(provision()).when(register('a', ['worker'], { forceNodeId: 0 })).then('ReservedNodeId');
    const handBuilt = {
      type: 'RegisterNode',
      commandId: 'x',
      data: { name: 'a', roles: ['worker'], address: '', autoJoin: true, forceNodeId: 0 as PlainNodeId },
    } as const satisfies Command<'RegisterNode'>;
    const d = decide(foldEvents(emptyClusterState(), accepted(decide(emptyClusterState(), provision()))), handBuilt);
    expect(d.ok ? 'accepted' : d.error.code).toBe('ReservedNodeId');
    expect(d.ok ? '' : d.error.message).toMatch(/reserved/);
  });

  it('#2: the first node without a forced id is N1:1', () => {
    const out = given(provision())
      .when(register('a', ['worker']))
      .then([{ type: 'NodeRegistered', data: { machine: 'node-lifecycle', from: 'Unregistered', to: 'Registered', nodeId: 1, generation: 1 } }]);
    expect(out.result).toMatchObject({ node: "N1:1", created: true });
  });

  it('#3: with N1, N2 and a tombstoned N3, a new node gets N4:1 (ids are never reused)', () => {
    given(provision(), register('a', ['worker']), register('b', ['worker']), register('c', ['worker']), removeNodes(3))
      .when(register('d', ['worker']))
      .then([{ type: 'NodeRegistered', data: { nodeId: 4, generation: 1 } }]);
  });

  it('ids continue after the highest forced id', () => {
    given(provision(), register('a', ['worker'], { forceNodeId: 10 }))
      .when(register('b', ['worker']))
      .then([{ type: 'NodeRegistered', data: { nodeId: 11 } }]);
  });

  it('#4: a restart by name moves N2:5 to N2:6, replaces roles and address and keeps every role state', () => {
    const history = [
      provision(),
      register('a', ['worker']),
      register('b', ['log-server', 'worker'], { address: 'old:1' }),
      provisionLog(2),
      setWorker(2, 'Active'),
      ...[1, 2, 3].map(() => register('b', ['log-server', 'worker'], { address: 'old:1' })),
    ];
    const before = given(...history).state;
    expect(live(before, 2).generation).toBe(4);
    const out = given(...history, register('b', ['log-server', 'worker']))
      .when(register('b', ['log-server', 'worker', 'admin'], { address: 'new:2' }))
      .then([
        {
          type: 'NodeRestarted',
          data: { from: 'Registered', to: 'Registered', nodeId: 2, previousGeneration: 5, generation: 6, roles: ['log-server', 'worker', 'admin'], address: 'new:2' },
        },
      ]);
    const node = live(out.after, 2);
    expect(node).toMatchObject({ generation: 6, storageState: 'ReadWrite', workerState: 'Active', marker: { markerId: 'm2' } });
    expect(out.result).toMatchObject({ node: "N2:6", created: false });
  });

  it('a restart keeps the location unless a new one is given (set -> empty is ignored)', () => {
    const history = [provision(), register('a', ['worker'], { location: 'eu.a' })];
    expect(live(given(...history).when(register('a', ['worker'])).then([{ type: 'NodeRestarted' }]).after, 1).location).toBe('eu.a');
    expect(live(given(...history).when(register('a', ['worker'], { location: 'eu.b' })).then([{ type: 'NodeRestarted' }]).after, 1).location).toBe('eu.b');
  });

  it('#5: name a registered as N2 starting with forceNodeId 7 is NodeIdMismatch', () => {
    given(provision(), register('x', ['worker']), register('a', ['worker']))
      .when(register('a', ['worker'], { forceNodeId: 7 }))
      .then('NodeIdMismatch');
    given(provision(), register('x', ['worker']), register('a', ['worker']))
      .when(register('a', ['worker'], { forceNodeId: 2 }))
      .then([{ type: 'NodeRestarted', data: { nodeId: 2, generation: 2 } }]);
  });

  it('forceNodeId of a tombstone is NodeIdRetired; of a live node NodeIdInUse', () => {
    given(provision(), register('a', ['worker']), removeNodes(1)).when(register('b', ['worker'], { forceNodeId: 1 })).then('NodeIdRetired');
    given(provision(), register('a', ['worker'])).when(register('b', ['worker'], { forceNodeId: 1 })).then('NodeIdInUse');
  });

  it('a removed node that registers again under its old name gets a new id', () => {
    given(provision(), register('a', ['worker']), removeNodes(1))
      .when(register('a', ['worker']))
      .then([{ type: 'NodeRegistered', data: { nodeId: 2, generation: 1 } }]);
  });

  it('#6: registrations are decided against one consistent state, so a concurrent restart cannot reuse a generation', () => {
    // Restate's ConcurrentNodeRegistration guards a read-modify-write retry; here the engine appends with the
    // revision the decision was made on and re-decides on conflict. Re-deciding on the newer state moves on.
    const base = given(provision(), register('a', ['worker']));
    const first = base.when(register('a', ['worker'])).then([{ type: 'NodeRestarted', data: { generation: 2 } }]);
    givenState(first.after).when(register('a', ['worker'])).then([{ type: 'NodeRestarted', data: { previousGeneration: 2, generation: 3 } }]);
  });

  it('#7: id 0 and generation 0 are refused wherever an id enters (no network handshake here)', () => {
    // There is no peer handshake in a control-plane engine; ids enter through commands and observations.
    for (const node of ['N0:1', 'N3:0']) {
      given(provision(), register('a', ['worker'])).when(command('RecordHeartbeat', { node, at: AT })).then('ReservedNodeId');
    }
  });

  const legacy = (nodes: unknown[], version = 7) => ({ clusterName: 'old', version, nodes });
  const n0 = { id: 0, generation: 4, name: 'solo', roles: ['log-server', 'metadata-server', 'worker'], storageState: 'ReadWrite' };

  it('#8: a legacy single node N0:4 becomes N1:4; N0 is a tombstone; the cluster is provisioned', () => {
    const out = given()
      .when(command('ImportLegacyConfiguration', { document: legacy([n0]) }))
      .then([
        { type: 'ClusterProvisioned', data: { clusterName: 'old' } },
        { type: 'LegacyConfigurationImported', data: { nodes: [] } },
        { type: 'NodeIdRemapped', data: { machine: 'node-lifecycle', fromId: 0, nodeId: 1, generation: 4, name: 'solo', metadataServerState: 'Member' } },
        { type: 'MetadataConfigurationChanged', data: { version: 1, members: [{ node: 1 }], change: { kind: 'seed', node: 1 } } },
      ]);
    expect(out.after.nodes[0]).toEqual({ removed: true, id: 0, name: 'solo' });
    expect(live(out.after, 1)).toMatchObject({ generation: 4, storageState: 'ReadWrite', metadataServerState: 'Member' });
    expect(out.after.revision).toBe(3);
    expect(out.result).toMatchObject({ remapped: { from: 'N0', to: 'N1', generation: 4 }, nodes: 1, tombstones: 1 });
    // Registration continues after the remapped id.
    givenState(out.after).when(register('b', ['worker'])).then([{ type: 'NodeRegistered', data: { nodeId: 2 } }]);
  });

  it('#8: the remap honours a free forceNodeId and refuses a used one; N0 takes the lowest free id otherwise', () => {
    given()
      .when(command('ImportLegacyConfiguration', { document: legacy([n0]), forceNodeId: 5 }))
      .then([{ type: 'ClusterProvisioned' }, { type: 'LegacyConfigurationImported' }, { type: 'NodeIdRemapped', data: { nodeId: 5 } }, { type: 'MetadataConfigurationChanged' }]);
    given()
      .when(command('ImportLegacyConfiguration', { document: legacy([n0, { id: 1, tombstone: true }]), forceNodeId: 1 }))
      .then('NodeIdRetired');
    given()
      .when(command('ImportLegacyConfiguration', { document: legacy([n0, { id: 1, tombstone: true }]) }))
      .then([{ type: 'ClusterProvisioned' }, { type: 'LegacyConfigurationImported' }, { type: 'NodeIdRemapped', data: { nodeId: 2 } }, { type: 'MetadataConfigurationChanged' }]);
  });

  it('#9: a legacy N0 with another live node is MultiNodeCluster and nothing is written', () => {
    given()
      .when(command('ImportLegacyConfiguration', { document: legacy([n0, { id: 1, generation: 1, name: 'other', roles: ['worker'] }]) }))
      .then('MultiNodeCluster');
  });

  it('a legacy document without N0 imports as is; only into an empty stream', () => {
    const doc = legacy([{ id: 1, generation: 2, name: 'a', roles: ['metadata-server'], metadataServerState: 'Member' }, { id: 2, tombstone: true }]);
    const out = given()
      .when(command('ImportLegacyConfiguration', { document: doc }))
      .then([{ type: 'ClusterProvisioned' }, { type: 'LegacyConfigurationImported' }, { type: 'MetadataConfigurationChanged', data: { members: [{ node: 1 }] } }]);
    expect(out.after.maxNodeId).toBe(2);
    givenState(out.after).when(command('ImportLegacyConfiguration', { document: doc })).then('AlreadyProvisioned');
    given(provision()).when(command('ImportLegacyConfiguration', { document: doc })).then('AlreadyProvisioned');
  });

  it('history holding a live N0 fails with LegacyNodeZero naming the position; impossible history with HistoryInvalid', () => {
    const provisioned = foldEvents(emptyClusterState(), accepted(decide(emptyClusterState(), provision())));
    const zero: DomainEvent = {
      type: 'NodeRegistered',
      data: {
        machine: 'node-lifecycle', node: 0 as PlainNodeId, from: 'Unregistered', to: 'Registered', input: { type: 'register', nodeId: 0, generation: 1 },
        nodeId: 0 as PlainNodeId, generation: 1, name: 'legacy', roles: ['worker'], address: '', location: null,
        metadataServerState: 'Standby', storageState: 'Provisioning', workerState: 'Provisioning',
      },
    };
    const failure = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isClusterchartError(e) ? { code: e.code, message: e.message, position: e.context.position } : { code: 'other' };
      }
      return null;
    };
    const legacyZero = failure(() => foldEvents(provisioned, [zero], [42]));
    expect(legacyZero).toMatchObject({ code: 'LegacyNodeZero', position: 42 });
    expect(legacyZero?.message).toMatch(/position 42.*migrate legacy/s);
    expect(failure(() => evolve(provisioned, zero, 9))).toMatchObject({ code: 'LegacyNodeZero', position: 9 });
    const sealedNothing: DomainEvent = { type: 'LogSegmentSealed', data: { logId: 1, segment: 0 } };
    expect(failure(() => evolve(provisioned, sealedNothing, 3))).toMatchObject({ code: 'HistoryInvalid', position: 3 });
  });

  it('evolve rejects a reused id, a generation that goes backwards and a from-state that does not match', () => {
    const out = given(provision(), register('a', ['worker'])).when(register('a', ['worker'])).then([{ type: 'NodeRestarted' }]);
    const [restart] = out.events;
    expect(() => evolve(out.after, restart!)).toThrow(/generation/);
    const registered = given(provision()).when(register('a', ['worker'])).then([{ type: 'NodeRegistered' }]);
    expect(() => evolve(registered.after, registered.events[0]!)).toThrow(/already used/);
    const active = given(provision(), register('a', ['worker'])).when(setWorker(1, 'Active')).then([{ type: 'WorkerStateChanged' }]);
    expect(() => evolve(active.after, active.events[0]!)).toThrow(/from Provisioning, but the state is Active/);
  });

  it('applyClusterEvent mutates a plain copy and advances the revision once per cluster event', () => {
    const out = given(provision()).when(register('a', ['metadata-server'])).then([
      { type: 'NodeRegistered' },
      { type: 'MetadataConfigurationChanged' },
      { type: 'MetadataServerStateChanged' },
    ]);
    const copy = copyClusterState(out.before);
    for (const e of out.events) applyClusterEvent(copy, e);
    expect(copy).toEqual(out.after);
    expect(copy.revision).toBe(out.before.revision + 3);
    expect(out.before.nodes[1]).toBeUndefined();
  });
});

describe('metadata membership (scenarios #10-#21)', () => {
  const meta: readonly Role[] = ['metadata-server'];

  it('the first metadata node of a provisioned cluster is seeded as the only Member', () => {
    const out = given(provision())
      .when(register('a', meta))
      .then([
        { type: 'NodeRegistered', data: { metadataServerState: 'AutoJoin' } },
        { type: 'MetadataConfigurationChanged', data: { version: 1, members: [{ node: 1 }], change: { kind: 'seed', node: 1 } } },
        { type: 'MetadataServerStateChanged', data: { machine: 'metadata-membership', nodeId: 1, from: 'AutoJoin', to: 'Member' } },
      ]);
    expect(out.after.metadata.members).toEqual({ 1: { createdAt: null } });
  });

  it('#10: a new metadata-server node registers AutoJoin (Standby with autoJoin: false); nodes without the role report Standby', () => {
    given(provision(), register('seed', meta)).when(register('b', meta)).then([{ type: 'NodeRegistered', data: { metadataServerState: 'AutoJoin' } }]);
    given(provision(), register('seed', meta)).when(register('b', meta, { autoJoin: false })).then([{ type: 'NodeRegistered', data: { metadataServerState: 'Standby' } }]);
    given(provision(), register('seed', meta)).when(register('w', ['worker'])).then([{ type: 'NodeRegistered', data: { metadataServerState: 'Standby' } }]);
  });

  it('#11: B in AutoJoin is left alone when C joins, and joins later (the article’s bug)', () => {
    const history = [provision(), register('a', meta), register('b', meta), register('c', meta)];
    const cJoins = given(...history)
      .when(join(3))
      .then([
        { type: 'MetadataConfigurationChanged', data: { version: 2, members: [{ node: 1 }, { node: 3 }], change: { kind: 'join', node: 3 } } },
        { type: 'MetadataServerStateChanged', data: { nodeId: 3, from: 'AutoJoin', to: 'Member' } },
      ]);
    expect(live(cJoins.after, 2).metadataServerState).toBe('AutoJoin');
    const bJoins = givenState(cJoins.after).when(join(2)).then([
      { type: 'MetadataConfigurationChanged', data: { members: [{ node: 1 }, { node: 2 }, { node: 3 }] } },
      { type: 'MetadataServerStateChanged', data: { nodeId: 2, to: 'Member' } },
    ]);
    expect(Object.keys(bJoins.after.metadata.members)).toEqual(['1', '2', '3']);
  });

  it('#12: a previous member missing from the new configuration becomes Standby; nobody else changes', () => {
    const history = [provision(), register('a', meta), register('b', meta), register('c', meta), join(2)];
    const out = given(...history)
      .when(command('RemoveMetadataMember', { node: 2 }))
      .then([
        { type: 'MetadataConfigurationChanged', data: { members: [{ node: 1 }], change: { kind: 'remove', node: 2 } } },
        { type: 'MetadataServerStateChanged', data: { nodeId: 2, from: 'Member', to: 'Standby', input: { inNewMembers: false, wasPreviousMember: true } } },
      ]);
    expect(live(out.after, 3).metadataServerState).toBe('AutoJoin');
    expect(out.result).toMatchObject({ metadataServerState: 'Standby', members: ['N1'], version: 3 });
  });

  it('#13: a Standby node that is asked to join becomes a Member', () => {
    given(provision(), register('a', meta), register('b', meta, { autoJoin: false }))
      .when(join(2))
      .then([{ type: 'MetadataConfigurationChanged' }, { type: 'MetadataServerStateChanged', data: { from: 'Standby', to: 'Member' } }]);
  });

  it('#14: a member joining again with the same identity is Ok with no change', () => {
    const out = given(provision(), register('a', meta), register('b', meta), join(2, AT)).when(join(2, AT)).then([]);
    expect(out.result).toMatchObject({ alreadyApplied: true, metadataServerState: 'Member' });
  });

  it('#15: a known member joining with another storage identity is ClusterIdentityMismatch (disk loss)', () => {
    given(provision(), register('a', meta), register('b', meta), join(2, AT))
      .when(join(2, '2026-02-02T00:00:00.000Z'))
      .then('ClusterIdentityMismatch');
  });

  it('#16: no reconfiguration is ever pending: a join and all its state changes are one decision', () => {
    // PendingReconfiguration cannot be observed: the configuration and every implied state change are appended
    // together, guarded by the stream revision. The next join, decided on the result, simply succeeds.
    const first = given(provision(), register('a', meta), register('b', meta), register('c', meta)).when(join(2)).then([
      { type: 'MetadataConfigurationChanged' },
      { type: 'MetadataServerStateChanged' },
    ]);
    givenState(first.after).when(join(3)).then([{ type: 'MetadataConfigurationChanged', data: { version: 3 } }, { type: 'MetadataServerStateChanged' }]);
  });

  // #17 (NotLeader with a hint): not applicable — there is no Raft leader to address; one decider judges the stream
  // and a concurrent writer is turned away by the store's expected revision (WrongExpectedVersion, engine tests).

  it('#18: removing the only member is OnlyMember; a non-member is NotMember', () => {
    given(provision(), register('a', meta)).when(command('RemoveMetadataMember', { node: 1 })).then('OnlyMember');
    given(provision(), register('a', meta), register('b', meta)).when(command('RemoveMetadataMember', { node: 2 })).then('NotMember');
    given(provision(), register('a', meta)).when(command('RemoveMetadataMember', { node: 9 })).then('UnknownNode');
  });

  // #19 (min_expected_nodes_config_version): not applicable — a member never acts on a stale configuration view;
  // every decision reads the one state at the stream's head. #12 covers the demotion it protects.

  it('#20: a member cannot be tombstoned; once it left (Standby) the removal passes', () => {
    const history = [provision(), register('a', meta), register('b', meta), join(2)];
    given(...history).when(removeNodes(2)).then('MetadataMember');
    given(...history, command('RemoveMetadataMember', { node: 2 }))
      .when(removeNodes(2))
      .then([{ type: 'NodeRemoved', data: { nodeId: 2 } }]);
  });

  it('#21: a removed member that restarts stays Standby and does not rejoin', () => {
    const history = [provision(), register('a', meta), register('b', meta), join(2), command('RemoveMetadataMember', { node: 2 })];
    const out = given(...history).when(register('b', meta)).then([{ type: 'NodeRestarted' }]);
    expect(live(out.after, 2).metadataServerState).toBe('Standby');
    expect(out.after.metadata.members[2]).toBeUndefined();
  });

  it('joins check the node: UnknownNode, NodeDeleted, InvalidRole', () => {
    given(provision(), register('a', meta)).when(join(5)).then('UnknownNode');
    given(provision(), register('a', meta), register('w', ['worker']), removeNodes(2)).when(join(2)).then('NodeDeleted');
    given(provision(), register('a', meta), register('w', ['worker'])).when(join(2)).then('InvalidRole');
  });

  it('a member cannot restart without the metadata-server role', () => {
    given(provision(), register('a', meta)).when(register('a', ['worker'])).then('InvalidRole');
  });
});

describe('removing nodes (scenarios #25-#28)', () => {
  it('unknown or already removed nodes are ok and write nothing', () => {
    const out = given(provision(), register('a', ['worker']), removeNodes(1)).when(removeNodes(1, 9)).then([]);
    expect(out.result).toMatchObject({ removed: [], alreadyRemoved: ['N1', 'N9'], alreadyApplied: true });
  });

  it('#25: a ReadWrite log server is LogServerReadWrite and nothing changes', () => {
    given(...logServers(2)).when(removeNodes(2)).then('LogServerReadWrite');
  });

  it('#26: a ReadOnly log server in an unsealed nodeset is NodeSetMember; after the segment is sealed it is removed', () => {
    const history = [...logServers(2, ['log-server']), command('CreateLogSegment', { logId: 1 }), setStorage(2, 'ReadOnly')];
    given(...history).when(removeNodes(2)).then('NodeSetMember');
    given(...history, command('SealLogSegment', { logId: 1 }))
      .when(removeNodes(2))
      .then([{ type: 'NodeRemoved', data: { machine: 'node-lifecycle', from: 'Registered', to: 'Removed', nodeId: 2 } }]);
  });

  it('#27: a metadata Member is MetadataMember; an AutoJoin or Standby node is removed', () => {
    given(provision(), register('a', ['metadata-server']), register('b', ['worker'])).when(removeNodes(1)).then('MetadataMember');
    given(provision(), register('a', ['metadata-server']), register('b', ['metadata-server']))
      .when(removeNodes(2))
      .then([{ type: 'NodeRemoved', data: { nodeId: 2 } }]);
  });

  it('#28: removal is all or nothing: one refused node writes nothing for the others', () => {
    // The store-level half of #28 (the state changed between decision and append) is the engine's
    // expected-revision check; the decider's half is that one decision covers every node.
    const out = given(...logServers(2, ['log-server']), register('w', ['worker'])).when(removeNodes(3, 1)).then('LogServerReadWrite');
    expect(out.after).toBe(out.before);
    given(...logServers(2, ['log-server']), register('w', ['worker']), setStorage(2, 'Disabled', true))
      .when(removeNodes(3, 2))
      .then([{ type: 'NodeRemoved', data: { nodeId: 3 } }, { type: 'NodeRemoved', data: { nodeId: 2 } }]);
  });

  it('local and in-memory providers block removal of log servers (DefaultLogletProvider, LocalLoglet)', () => {
    const history = [provision({ logProvider: 'local' }), register('a', ['log-server']), provisionLog(1), setStorage(1, 'ReadOnly', true)];
    given(...history).when(removeNodes(1)).then('DefaultLogletProvider');
    given(...history, command('CreateLogSegment', { logId: 1 }), command('SetDefaultLogProvider', { provider: 'replicated' }))
      .when(removeNodes(1))
      .then('LocalLoglet');
  });

  it('a Disabled log server is removable; a Provisioning one outside every nodeset too', () => {
    given(...logServers(2, ['log-server']), command('CreateLogSegment', { logId: 1 }), setStorage(2, 'Disabled', true))
      .when(removeNodes(2))
      .then([{ type: 'NodeRemoved' }]);
    given(provision(), register('a', ['log-server'])).when(removeNodes(1)).then([{ type: 'NodeRemoved' }]);
  });
});

describe('log servers: marker association and start-up checks (scenarios #34-#37)', () => {
  const base = [provision(), register('a', ['log-server'])];

  it('#34: provisioning with a marker moves Provisioning -> ReadWrite and records the marker', () => {
    const out = given(...base)
      .when(command('StartLogServer', { node: 1, marker: marker(1) }))
      .then([{ type: 'StorageStateChanged', data: { machine: 'log-server', from: 'Provisioning', to: 'ReadWrite', marker: { markerId: 'm1' } } }]);
    expect(live(out.after, 1).marker?.markerId).toBe('m1');
    expect(out.result).toMatchObject({ started: true, storageState: 'ReadWrite', refusal: null });
  });

  it('#35: the same marker again (a retry whose response was lost, any number of times) succeeds with no event', () => {
    let state = given(...base, provisionLog(1)).state;
    for (let i = 0; i < 3; i += 1) {
      const out = givenState(state).when(provisionLog(1)).then([]);
      expect(out.result).toMatchObject({ alreadyApplied: true, storageState: 'ReadWrite' });
      state = out.after;
    }
    givenState(state).when(command('StartLogServer', { node: 1, marker: marker(1) })).then([]);
  });

  it('a different marker for a provisioned node is MarkerMismatch; a marker of another node is MarkerFromAnotherNode', () => {
    given(...base, provisionLog(1)).when(provisionLog(1, 'other')).then('MarkerMismatch');
    given(...base, provisionLog(1)).when(command('StartLogServer', { node: 1, marker: marker(1, 'other') })).then('MarkerMismatch');
    given(...base).when(command('ProvisionLogServer', { node: 1, marker: marker(2) })).then('MarkerFromAnotherNode');
  });

  it('#36: a node found in ReadOnly without a recorded marker cannot be claimed; with its own marker it was ours', () => {
    // Restate's NotInExpectedState on a first attempt; the marker tells our earlier success from someone else's.
    given(...base, setStorage(1, 'ReadOnly', true)).when(provisionLog(1)).then('MarkerMismatch');
    given(...base, provisionLog(1), setStorage(1, 'ReadOnly', true)).when(provisionLog(1)).then([]);
  });

  it('#37: ReadWrite without a marker at start -> DataLoss recorded, start refused now and on every later start', () => {
    const out = given(...base, provisionLog(1))
      .when(command('StartLogServer', { node: 1, marker: null }))
      .then([{ type: 'StorageStateChanged', data: { from: 'ReadWrite', to: 'DataLoss', input: { type: 'start', hasMarker: false } } }]);
    expect(out.result).toMatchObject({ started: false, storageState: 'DataLoss', refusal: { code: 'DataLoss' } });
    const later = givenState(out.after).when(command('StartLogServer', { node: 1, marker: marker(1) })).then([]);
    expect(later.result).toMatchObject({ started: false, refusal: { code: 'DataLoss' } });
  });

  it('ReadOnly without a marker at start also becomes DataLoss; Disabled refuses to start; Gone runs', () => {
    given(...base, provisionLog(1), setStorage(1, 'ReadOnly', true))
      .when(command('StartLogServer', { node: 1, marker: null }))
      .then([{ type: 'StorageStateChanged', data: { from: 'ReadOnly', to: 'DataLoss' } }]);
    const disabled = given(...base, setStorage(1, 'Disabled')).when(command('StartLogServer', { node: 1, marker: null })).then([]);
    expect(disabled.result).toMatchObject({ started: false, refusal: { code: 'StorageDisabled' } });
    const gone = given(...base, provisionLog(1), setStorage(1, 'Gone', true)).when(command('StartLogServer', { node: 1, marker: marker(1) })).then([]);
    expect(gone.result).toMatchObject({ started: true, storageState: 'Gone' });
  });

  it('starting a Provisioning log server without a marker is refused; nodes without the role are InvalidRole', () => {
    given(...base).when(command('StartLogServer', { node: 1, marker: null })).then('InvalidInput');
    given(provision(), register('w', ['worker'])).when(provisionLog(1)).then('InvalidRole');
    given(provision()).when(provisionLog(4)).then('UnknownNode');
  });
});

describe('operator storage and worker transitions (scenario #38)', () => {
  it('same -> same is a no-op', () => {
    given(...logServers(1)).when(setStorage(1, 'ReadWrite')).then([]);
  });

  it('safe moves without force: Provisioning -> Disabled, ReadOnly -> ReadWrite, ReadWrite -> ReadOnly while satisfiable', () => {
    given(provision(), register('a', ['log-server'])).when(setStorage(1, 'Disabled')).then([{ type: 'StorageStateChanged', data: { to: 'Disabled' } }]);
    given(...logServers(2), setStorage(2, 'ReadOnly')).when(setStorage(2, 'ReadWrite')).then([{ type: 'StorageStateChanged', data: { from: 'ReadOnly', to: 'ReadWrite' } }]);
    const drained = given(...logServers(2)).when(setStorage(2, 'ReadOnly')).then([{ type: 'StorageStateChanged', data: { to: 'ReadOnly', input: { nodesetsSatisfiable: true } } }]);
    expect(drained.result).toMatchObject({ from: 'ReadWrite', to: 'ReadOnly', forced: false });
  });

  it('#38: Provisioning or DataLoss -> ReadWrite without force is UnsafeTransition; ReadWrite -> ReadOnly needs the safety check', () => {
    given(provision(), register('a', ['log-server'])).when(setStorage(1, 'ReadWrite')).then('UnsafeTransition');
    const dataLoss = [...logServers(1), command('StartLogServer', { node: 1, marker: null })];
    given(...dataLoss).when(setStorage(1, 'ReadWrite')).then('UnsafeTransition');
    const forced = given(...dataLoss).when(setStorage(1, 'ReadWrite', true)).then([{ type: 'StorageStateChanged', data: { from: 'DataLoss', to: 'ReadWrite', forced: true } }]);
    expect(forced.result).toMatchObject({ forced: true });
    given(...logServers(1)).when(setStorage(1, 'ReadOnly')).then('SafetyCheckFailed');
    given(...logServers(1))
      .when(setStorage(1, 'ReadOnly', true))
      .then([{ type: 'StorageStateChanged', data: { forced: true, input: { nodesetsSatisfiable: false } } }]);
  });

  it('moves into Gone are unsafe; Provisioning is never re-entered and Disabled is terminal, even forced', () => {
    given(...logServers(2)).when(setStorage(2, 'Gone')).then('UnsafeTransition');
    const never = given(...logServers(2)).when(setStorage(2, 'Provisioning', true)).then('UnsafeTransition');
    expect(never.decision.ok ? '' : never.decision.error.message).toMatch(/never re-entered/);
    given(provision(), register('a', ['log-server']), setStorage(1, 'Disabled')).when(setStorage(1, 'ReadWrite', true)).then('UnsafeTransition');
  });

  it('a forced move that is safe anyway is not marked forced', () => {
    given(...logServers(2)).when(setStorage(2, 'ReadOnly', true)).then([{ type: 'StorageStateChanged', data: { forced: false } }]);
  });

  it('without force the node needs the log-server role', () => {
    given(provision(), register('w', ['worker'])).when(setStorage(1, 'Disabled')).then('InvalidRole');
    given(provision(), register('w', ['worker'])).when(setStorage(1, 'Disabled', true)).then([{ type: 'StorageStateChanged' }]);
  });

  it('worker: Provisioning -> any, Active <-> Draining, Disabled -> Active; the last Active worker may not drain', () => {
    const two = [provision(), register('a', ['worker']), register('b', ['worker'])];
    given(...two).when(setWorker(1, 'Active')).then([{ type: 'WorkerStateChanged', data: { machine: 'worker', from: 'Provisioning', to: 'Active' } }]);
    given(...two).when(setWorker(1, 'Disabled')).then([{ type: 'WorkerStateChanged', data: { to: 'Disabled' } }]);
    given(...two, setWorker(1, 'Active')).when(setWorker(1, 'Draining')).then('SafetyCheckFailed');
    given(...two, setWorker(1, 'Active'), setWorker(2, 'Active')).when(setWorker(1, 'Draining')).then([{ type: 'WorkerStateChanged', data: { to: 'Draining' } }]);
    given(...two, setWorker(1, 'Active'), setWorker(2, 'Active'), setWorker(1, 'Draining')).when(setWorker(1, 'Active')).then([{ type: 'WorkerStateChanged' }]);
    given(...two, setWorker(1, 'Disabled')).when(setWorker(1, 'Active')).then([{ type: 'WorkerStateChanged' }]);
    given(...two, setWorker(1, 'Active'), setWorker(2, 'Active')).when(setWorker(1, 'Disabled')).then('UnsafeTransition');
    given(...two, setWorker(1, 'Active')).when(setWorker(1, 'Disabled', true)).then([{ type: 'WorkerStateChanged', data: { forced: true } }]);
    given(...two, setWorker(1, 'Active')).when(setWorker(1, 'Provisioning', true)).then('UnsafeTransition');
    given(provision(), register('l', ['log-server'])).when(setWorker(1, 'Active')).then('InvalidRole');
  });
});

describe('observations', () => {
  const base = [provision(), register('a', ['worker']), register('a', ['worker'])];

  it('heartbeats of the current or an older generation are recorded; a newer one is GenerationMismatch', () => {
    given(...base)
      .when(command('RecordHeartbeat', { node: 'N1:2', at: AT, partitions: { 3: 'leader' } }))
      .then([{ type: 'NodeHeartbeatObserved', data: { nodeId: 1, generation: 2, at: AT, partitions: { 3: 'leader' } } }]);
    given(...base).when(command('RecordHeartbeat', { node: 'N1:1', at: AT })).then([{ type: 'NodeHeartbeatObserved', data: { generation: 1 } }]);
    given(...base).when(command('RecordHeartbeat', { node: 'N1:3', at: AT })).then('GenerationMismatch');
  });

  it('observations of unknown or removed nodes are refused', () => {
    given(...base).when(command('RecordUnreachable', { node: 4, at: AT })).then('UnknownNode');
    given(...base, removeNodes(1)).when(command('RecordUnreachable', { node: 1, at: AT })).then('NodeDeleted');
    given(...base, removeNodes(1)).when(command('RecordHeartbeat', { node: 'N1:2', at: AT })).then('NodeDeleted');
    given(...base).when(command('RecordUnreachable', { node: 1, at: AT })).then([{ type: 'NodeUnreachableObserved', data: { nodeId: 1, at: AT } }]);
  });

  it('observation events leave the cluster aggregate (and its revision) unchanged', () => {
    const out = given(...base).when(command('RecordUnreachable', { node: 1, at: AT })).then([{ type: 'NodeUnreachableObserved' }]);
    expect(out.after).toEqual(out.before);
  });
});

describe('results of retried commands', () => {
  it('resultOf rebuilds the original outcome from the recorded events, marked alreadyApplied', () => {
    const cmd = register('a', ['log-server', 'metadata-server']);
    const out = given(provision()).when(cmd).then([{ type: 'NodeRegistered' }, { type: 'MetadataConfigurationChanged' }, { type: 'MetadataServerStateChanged' }]);
    const later = foldEvents(out.after, accepted(decide(out.after, register('a', ['log-server', 'metadata-server']))));
    expect(resultOf(cmd, out.events, later)).toEqual({ ...out.result, alreadyApplied: true });
    const start = command('StartLogServer', { node: 1, marker: null });
    const dataLoss = given(provision(), register('a', ['log-server']), provisionLog(1)).when(start).then([{ type: 'StorageStateChanged' }]);
    expect(resultOf(start, dataLoss.events)).toMatchObject({ started: false, refusal: { code: 'DataLoss' }, alreadyApplied: true });
  });

  it('decisions never throw for domain refusals and never write on refusal', () => {
    const state = given(provision()).state;
    const d = decide(state, command('RemoveMetadataMember', { node: plainNodeId(3) }));
    expect(d).toMatchObject({ ok: false, error: { code: 'UnknownNode' } });
    expect('events' in d).toBe(false);
  });
});
