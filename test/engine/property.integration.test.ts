/**
 * Property test through the engine: for random command sequences, valid and invalid, the domain
 * invariants hold after every step, a refused command leaves the store byte-for-byte unchanged, and the engine's
 * state equals a fold of what it stored (and what a fresh engine loads).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../src/decider/evolve.js';
import { type ClusterState, emptyClusterState } from '../../src/domain/cluster-state.js';
import { isClusterchartError } from '../../src/domain/errors.js';
import { clusterStreamId, parseDomainEvent } from '../../src/domain/events.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { dumpStore, markerOf, openTestEngine, readStreamEvents } from './support/harness.js';

const nodeRef = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constantFrom('N1', 'N2', 'N3', 'x'));
const name = fc.constantFrom('a', 'b', 'c', 'd');
const roles = fc.subarray(['log-server', 'metadata-server', 'worker', 'admin'], { minLength: 1 });
const at = fc.constant('2026-01-01T00:00:05.000Z');

const command = fc.oneof(
  fc.record({ type: fc.constant('RegisterNode'), data: fc.record({ name, roles }) }),
  fc.record({ type: fc.constant('RegisterNode'), data: fc.record({ name, roles }) }),
  fc.record({ type: fc.constant('ProvisionCluster'), data: fc.record({ clusterName: fc.constant('test'), replication: fc.constantFrom(1, 2, 0) }) }),
  fc.record({ type: fc.constant('RegisterNode'), data: fc.record({ name, roles, forceNodeId: fc.option(nodeRef, { nil: undefined }) }, { requiredKeys: ['name', 'roles'] }) }),
  fc.record({ type: fc.constant('RegisterNode'), data: fc.record({ name, roles }) }),
  fc.record({ type: fc.constant('RemoveNodes'), data: fc.record({ nodes: fc.array(nodeRef, { minLength: 1, maxLength: 2 }) }) }),
  fc.record({ type: fc.constant('JoinMetadataCluster'), data: fc.record({ node: nodeRef }) }),
  fc.record({ type: fc.constant('RemoveMetadataMember'), data: fc.record({ node: nodeRef }) }),
  fc.record({
    type: fc.constant('ProvisionLogServer'),
    data: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean()).map(([node, owner, own]) => ({ node, marker: markerOf(owner, own ? `m${owner}` : 'other') })),
  }),
  fc.record({ type: fc.constant('SetStorageState'), data: fc.record({ node: nodeRef, state: fc.constantFrom('ReadOnly', 'ReadWrite', 'Disabled', 'Gone'), force: fc.boolean() }) }),
  fc.record({ type: fc.constant('SetWorkerState'), data: fc.record({ node: nodeRef, state: fc.constantFrom('Active', 'Draining', 'Disabled'), force: fc.boolean() }) }),
  fc.record({ type: fc.constant('CreateLogSegment'), data: fc.record({ logId: fc.integer({ min: 0, max: 2 }) }) }),
  fc.record({ type: fc.constant('SealLogSegment'), data: fc.record({ logId: fc.integer({ min: 0, max: 2 }) }) }),
  fc.record({ type: fc.constant('RecordHeartbeat'), data: fc.record({ node: fc.constantFrom('N1:1', 'N2:1', 'N2:2', 'N0:1'), at }) }),
  fc.record({ type: fc.constant('SetDefaultLogProvider'), data: fc.record({ provider: fc.constantFrom('replicated', 'local') }) }),
);

function checkInvariants(state: ClusterState, previous: ClusterState): void {
  for (const [key, node] of Object.entries(state.nodes)) {
    expect(String(node.id)).toBe(key);
    if (!node.removed) {
      expect(node.id).toBeGreaterThanOrEqual(1);
      expect(node.generation).toBeGreaterThanOrEqual(1);
    }
    const before = previous.nodes[key];
    if (before !== undefined) {
      if (before.removed) expect(node.removed).toBe(true); // tombstones are final
      else if (!node.removed) expect(node.generation).toBeGreaterThanOrEqual(before.generation);
    }
  }
  for (const key of Object.keys(previous.nodes)) expect(state.nodes[key]).toBeDefined(); // ids are never forgotten
  for (const member of Object.keys(state.metadata.members)) {
    const node = state.nodes[member];
    expect(node !== undefined && !node.removed && node.roles.includes('metadata-server')).toBe(true);
  }
  expect(state.maxNodeId).toBe(Math.max(0, ...Object.values(state.nodes).map((n) => n.id)));
}

describe('engine properties', () => {
  it('keeps the domain invariants and writes nothing for a refused command', async () => {
    const outcomes = { accepted: 0, refused: 0 };
    const codes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 30 }), fc.integer({ min: 0, max: 9 }), async (random, dice) => {
        const provisioned = dice > 0;
        // Most sequences start from a provisioned cluster, so that commands get past NotProvisioned.
        const commands = provisioned ? [{ type: 'ProvisionCluster', data: { clusterName: 'test', replication: 1 } }, ...random] : random;
        const store = createMemoryStore();
        const engine = await openTestEngine(store, { snapshotEvery: 4 });
        try {
          let previous = engine.state();
          for (const [i, c] of commands.entries()) {
            const before = await dumpStore(store);
            try {
              await engine.execute({ ...c, commandId: `c${i}` } as never);
              outcomes.accepted++;
            } catch (error) {
              if (!isClusterchartError(error)) throw error;
              outcomes.refused++;
              codes[error.code] = (codes[error.code] ?? 0) + 1;
              expect(await dumpStore(store)).toBe(before);
            }
            const state = engine.state();
            checkInvariants(state, previous);
            previous = state;
          }
          const stored = (await readStreamEvents(store, clusterStreamId('test'))).map((e) => parseDomainEvent(e));
          const registered = stored.filter((e) => e.type === 'NodeRegistered').map((e) => (e.data as { nodeId: number }).nodeId);
          expect(new Set(registered).size).toBe(registered.length);
          expect(engine.state()).toEqual(foldEvents(emptyClusterState(), stored));
          await engine.close();
          const reloaded = await openTestEngine(store, { snapshotEvery: 4 });
          expect(reloaded.state()).toEqual(engine.state());
          await reloaded.close();
        } finally {
          await engine.close();
        }
      }),
      { numRuns: 80 },
    );
    console.log(`property: ${outcomes.accepted} commands accepted, ${outcomes.refused} refused ${JSON.stringify(codes)}`);
    expect(outcomes.accepted).toBeGreaterThan(200);
    expect(outcomes.refused).toBeGreaterThan(200);
  });
});
