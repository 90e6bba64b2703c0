/**
 * Property tests of the decider over random command sequences, valid and invalid alike (commands are built by
 * hand, so ids 0 and unknown nodes reach the decider the way a buggy caller would send them). After every command:
 * - no live node has id 0; no generation went backwards; no id was ever given to a second node;
 * - every metadata member is a live node with the metadata-server role, and `Member` state <=> member;
 * - a refused command produced no events and left the state as it was;
 * - every recorded transition verifies, and `resultOf` rebuilds the result from the events.
 * At the end, folding all produced events (mutable fold and immer `evolve`) equals the decider's running state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClusterState, type Command, type DomainEvent, type GenerationalNodeId, type PlainNodeId, ROLES, STORAGE_STATES, WORKER_STATES, emptyClusterState } from '../../src/domain/index.js';
import { liveNodeByName, nodesetCandidateCount, nodesetCandidates, activeWorkerCount, applyClusterEvent, copyClusterState, decide, evolve, foldEvents, resultOf, verifyTransition } from '../../src/decider/index.js';

const AT = '2026-01-01T00:00:00.000Z';
const id = (n: number) => n as PlainNodeId;
const nodeId = fc.integer({ min: 0, max: 7 }).map(id);
const name = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const roles = fc.subarray([...ROLES], { minLength: 1 });
const markerOf = fc.record({ nodeId, markerId: fc.constantFrom('m1', 'm2'), createdAt: fc.constant(AT) });

let seq = 0;
const cmd = <T extends Command['type']>(type: T, data: Command<T>['data']): Command => {
  seq += 1;
  return { type, data, commandId: `p${seq}` } as Command;
};

const legacyDoc = fc
  .array(
    fc.oneof(
      fc.record({ id: fc.integer({ min: 0, max: 4 }), tombstone: fc.constant(true as const) }),
      fc.record({
        id: fc.integer({ min: 0, max: 4 }),
        generation: fc.integer({ min: 1, max: 5 }),
        name,
        roles,
        storageState: fc.constantFrom(...STORAGE_STATES),
        metadataServerState: fc.constantFrom('AutoJoin', 'Member', 'Standby' as const),
      }),
    ),
    { maxLength: 4 },
  )
  .map((nodes) => ({ clusterName: 'legacy', version: 3, nodes }));

const provisionCluster = fc
  .record({ replication: fc.integer({ min: 1, max: 2 }), provider: fc.constantFrom('replicated', 'replicated', 'local' as const) })
  .map((d) =>
    cmd('ProvisionCluster', { clusterName: 'prop', logProvider: d.provider, replication: { node: d.replication }, targetNodesetSize: 0, numPartitions: 4, metadataServer: 'replicated' }),
  );

const legacyImport = fc
  .record({ document: legacyDoc, forceNodeId: fc.option(nodeId, { nil: undefined }) })
  .map((d) => cmd('ImportLegacyConfiguration', d.forceNodeId === undefined ? { document: d.document } : d));

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 1, arbitrary: provisionCluster },
  { weight: 1, arbitrary: fc.constantFrom('replicated', 'local', 'in-memory' as const).map((provider) => cmd('SetDefaultLogProvider', { provider })) },
  {
    weight: 8,
    arbitrary: fc
      .record({ name, roles, forceNodeId: fc.option(nodeId, { nil: undefined }), autoJoin: fc.boolean(), location: fc.option(fc.constantFrom('eu.a', 'eu.b'), { nil: undefined }) })
      .map((d) => cmd('RegisterNode', { name: d.name, roles: d.roles, address: '', autoJoin: d.autoJoin, ...(d.forceNodeId === undefined ? {} : { forceNodeId: d.forceNodeId }), ...(d.location === undefined ? {} : { location: d.location }) })),
  },
  { weight: 2, arbitrary: fc.array(nodeId, { minLength: 1, maxLength: 3 }).map((nodes) => cmd('RemoveNodes', { nodes })) },
  { weight: 3, arbitrary: fc.record({ node: nodeId, createdAt: fc.option(fc.constantFrom(AT, '2026-02-02T00:00:00.000Z'), { nil: undefined }) }).map((d) => cmd('JoinMetadataCluster', d.createdAt === undefined ? { node: d.node } : d)) },
  { weight: 2, arbitrary: nodeId.map((node) => cmd('RemoveMetadataMember', { node })) },
  { weight: 3, arbitrary: fc.record({ node: nodeId, marker: markerOf }).map((d) => cmd('ProvisionLogServer', d)) },
  { weight: 2, arbitrary: fc.record({ node: nodeId, marker: fc.option(markerOf, { nil: null }) }).map((d) => cmd('StartLogServer', d)) },
  { weight: 3, arbitrary: fc.record({ node: nodeId, state: fc.constantFrom(...STORAGE_STATES), force: fc.boolean() }).map((d) => cmd('SetStorageState', d)) },
  { weight: 2, arbitrary: fc.record({ node: nodeId, state: fc.constantFrom(...WORKER_STATES), force: fc.boolean() }).map((d) => cmd('SetWorkerState', d)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 }).map((logId) => cmd('CreateLogSegment', { logId })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((logId) => cmd('SealLogSegment', { logId })) },
  { weight: 1, arbitrary: legacyImport },
  { weight: 1, arbitrary: fc.record({ node: nodeId, generation: fc.integer({ min: 1, max: 4 }) }).map((d) => cmd('RecordHeartbeat', { node: { id: d.node, generation: d.generation } as GenerationalNodeId, at: AT, partitions: {} })) },
  { weight: 1, arbitrary: nodeId.map((node) => cmd('RecordUnreachable', { node, at: AT })) },
);

/** Most runs start provisioned (or imported) so that later commands get past NotProvisioned. */
const sequence = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: provisionCluster.map((c) => [c]) },
      { weight: 1, arbitrary: fc.constant([] as Command[]) },
      { weight: 1, arbitrary: legacyImport.map((c) => [c]) },
      {
        weight: 1,
        arbitrary: fc
          .record({ generation: fc.integer({ min: 1, max: 5 }), roles, tombstones: fc.subarray([1, 2, 3]) })
          .map((d) => [
            cmd('ImportLegacyConfiguration', {
              document: {
                clusterName: 'legacy',
                version: 2,
                nodes: [{ id: 0, generation: d.generation, name: 'solo', roles: d.roles }, ...d.tombstones.map((t) => ({ id: t, tombstone: true as const }))],
              },
            }),
          ]),
      },
    ),
    fc.array(command, { minLength: 5, maxLength: 80, size: 'large' }),
  )
  .map(([prefix, rest]) => [...prefix, ...rest]);

function checkInvariants(prev: ClusterState, next: ClusterState, owners: Map<number, string>, events: readonly DomainEvent[]): void {
  for (const entry of Object.values(next.nodes)) {
    if (entry.removed) continue;
    expect(entry.id, 'a live node has id 0').not.toBe(0);
    const before = prev.nodes[entry.id];
    if (before !== undefined) {
      expect(before.removed, `tombstoned N${entry.id} came back to life`).toBe(false);
      if (!before.removed) expect(entry.generation, `N${entry.id}'s generation went backwards`).toBeGreaterThanOrEqual(before.generation);
    }
    const member = next.metadata.members[entry.id] !== undefined;
    expect(entry.metadataServerState === 'Member', `N${entry.id}: Member state and membership disagree`).toBe(member);
  }
  for (const key of Object.keys(next.metadata.members)) {
    const entry = next.nodes[key];
    expect(entry !== undefined && !entry.removed && entry.roles.includes('metadata-server'), `metadata member N${key} is not a live metadata-server node`).toBe(true);
  }
  for (const e of events) {
    if (e.type === 'NodeRegistered' || e.type === 'NodeIdRemapped') {
      expect(owners.has(e.data.nodeId), `id N${e.data.nodeId} was reused`).toBe(false);
      owners.set(e.data.nodeId, e.data.name);
    }
    if (e.type === 'LegacyConfigurationImported') for (const n of e.data.nodes) owners.set(n.nodeId, 'tombstone' in n && n.tombstone ? '' : (n as { name: string }).name);
    if (e.type === 'NodeIdRemapped') owners.set(e.data.fromId, e.data.name);
    expect(verifyTransition(e), `${e.type} does not verify`).toBeNull();
  }
  expect(next.maxNodeId).toBeGreaterThanOrEqual(prev.maxNodeId);
}

/** The derived indexes of an incrementally mutated state agree with a scan of its nodes. */
function checkIndexes(state: ClusterState): void {
  let active = 0;
  for (const entry of Object.values(state.nodes)) {
    if (entry.removed) continue;
    expect(liveNodeByName(state, entry.name)?.id, `name index of ${entry.name}`).toBe(entry.id);
    if (entry.workerState === 'Active' && entry.roles.includes('worker')) active += 1;
  }
  expect(activeWorkerCount(state), 'active worker count').toBe(active);
  expect(nodesetCandidateCount(state), 'nodeset candidate count').toBe(nodesetCandidates(state).length);
  expect(liveNodeByName(state, 'nobody')).toBeUndefined();
}

describe('decider properties over random command sequences', () => {
  it('keeps every invariant, writes nothing on refusal, and its events fold back to its state', () => {
    let accepted = 0;
    let refused = 0;
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(sequence, (commands) => {
        let state = emptyClusterState();
        // The engine's path: ONE mutable state, decided on and applied to in place (derived indexes kept current).
        const mutable = copyClusterState(state);
        const all: DomainEvent[] = [];
        const owners = new Map<number, string>();
        for (const c of commands) {
          const before = JSON.stringify(state);
          const d = decide(state, c);
          expect(JSON.stringify(state), 'decide modified its input').toBe(before);
          expect(decide(mutable, c), 'deciding on the mutable state differs').toEqual(d);
          if (!d.ok) {
            refused += 1;
            expect(Object.keys(d)).toEqual(['ok', 'error']);
            expect(typeof d.error.code).toBe('string');
            continue;
          }
          accepted += 1;
          expect(d.result.alreadyApplied).toBe(d.events.length === 0);
          const next = foldEvents(state, d.events);
          checkInvariants(state, next, owners, d.events);
          if (d.events.length > 0) expect(resultOf(c, d.events, next, { alreadyApplied: false })).toEqual(d.result);
          for (const e of d.events) seen.set(e.type, (seen.get(e.type) ?? 0) + 1);
          all.push(...d.events);
          state = next;
          for (const e of d.events) applyClusterEvent(mutable, e);
          expect(mutable).toEqual(state);
          checkIndexes(mutable);
        }
        expect(foldEvents(emptyClusterState(), all)).toEqual(state);
        expect(all.reduce((s, e) => evolve(s, e), emptyClusterState())).toEqual(state);
      }),
      { numRuns: 300 },
    );
    console.log(`decider properties: ${accepted} accepted and ${refused} refused commands checked`);
    console.log(`events produced: ${[...seen].map(([t, n]) => `${t} ${n}`).join(', ')}`);
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
    // The sequences reach every kind of event, so the invariants above were checked against all of them.
    for (const type of ['NodeRegistered', 'NodeRestarted', 'NodeRemoved', 'MetadataConfigurationChanged', 'MetadataServerStateChanged',
      'StorageStateChanged', 'WorkerStateChanged', 'LogSegmentCreated', 'LogSegmentSealed', 'DefaultLogProviderChanged',
      'LegacyConfigurationImported', 'NodeIdRemapped', 'NodeHeartbeatObserved', 'NodeUnreachableObserved']) {
      expect(seen.get(type) ?? 0, `no ${type} was produced`).toBeGreaterThan(0);
    }
  });
});
