/**
 * Property: for random event histories, the incremental state (a runner following live appends in random chunks)
 * equals the rebuild from zero and `asOf(last)`, and no removed node appears in any index of the observed view.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Projection,
  applyProjectionEvents,
  auditTrailProjection,
  foldProjection,
  nodesConfigurationProjection,
  observedClusterState,
  observedClusterStateProjection,
} from '../../projections/index.js';
import { type PlainNodeId, type RunMode } from '../../src/domain/index.js';
import { createProjectionRunner } from '../../src/engine/projection-runner.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { History } from './history.js';
import { appendAll } from './store-helpers.js';

type Op =
  | { kind: 'register' }
  | { kind: 'restart'; pick: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'heartbeat'; pick: number; generationDelta: number; partitions: Record<string, RunMode> }
  | { kind: 'unreachable'; pick: number }
  | { kind: 'advance'; ms: number };

const partitionsArb = fc.dictionary(fc.integer({ min: 0, max: 5 }).map(String), fc.constantFrom<RunMode>('leader', 'follower'), { maxKeys: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'register' as const }), weight: 3 },
  { arbitrary: fc.nat().map((pick) => ({ kind: 'restart' as const, pick })), weight: 1 },
  { arbitrary: fc.nat().map((pick) => ({ kind: 'remove' as const, pick })), weight: 1 },
  {
    arbitrary: fc.record({ pick: fc.nat(), generationDelta: fc.integer({ min: -1, max: 1 }), partitions: partitionsArb }).map((r) => ({ kind: 'heartbeat' as const, ...r })),
    weight: 5,
  },
  { arbitrary: fc.nat().map((pick) => ({ kind: 'unreachable' as const, pick })), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 12_000 }).map((ms) => ({ kind: 'advance' as const, ms })), weight: 2 },
);

/** Builds a history the decider could have written; observations may name removed or unknown ids on purpose. */
function build(ops: readonly Op[]): History {
  const h = new History();
  h.provision();
  let next = 1;
  for (const op of ops) {
    const ever = next - 1;
    // One id past the last ever registered: observations for unknown nodes.
    const any = (pick: number) => (pick % (ever + 1)) + 1;
    const live = h.liveIds();
    switch (op.kind) {
      case 'register':
        h.register(next++);
        break;
      case 'restart':
        if (live.length > 0) h.restart(live[op.pick % live.length]!);
        break;
      case 'remove':
        if (live.length > 0) h.remove(live[op.pick % live.length]!);
        break;
      case 'heartbeat': {
        const id = any(op.pick);
        h.heartbeat(id, Math.max(1, (h.generationOf(id) ?? 1) + op.generationDelta), op.partitions);
        break;
      }
      case 'unreachable':
        h.unreachable(any(op.pick));
        break;
      case 'advance':
        h.advance(op.ms);
        break;
    }
  }
  return h;
}

const projections = [observedClusterStateProjection, nodesConfigurationProjection, auditTrailProjection] as Projection<unknown>[];

describe('projection properties', () => {
  it('incremental == rebuild from zero == asOf(last), and removed nodes are in no index', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 4 }), async (ops, cuts) => {
        const h = build(ops);
        const events = h.events;
        const bounds = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b);
        const store = createMemoryStore();
        // The first chunk is caught up at start, the others arrive live.
        const first = bounds[0] ?? events.length;
        await appendAll(store, events.slice(0, first));
        const runner = await createProjectionRunner({ store, projections });
        try {
          let from = first;
          for (const to of [...bounds.slice(1), events.length]) {
            const position = await appendAll(store, events.slice(from, to));
            if (to > from) await runner.waitFor(position);
            from = to;
          }
          for (const p of projections) {
            const rebuilt = foldProjection(p, events);
            expect(runner.get(p)).toEqual(rebuilt);
            expect(await runner.asOf(p, events.length)).toEqual(rebuilt);
          }
          const facts = runner.get(observedClusterStateProjection);
          for (const now of [h.now, h.now + 5_000, h.now + 20_000]) {
            const view = observedClusterState(facts, { now });
            for (const removed of h.removedIds() as PlainNodeId[]) {
              expect(view.aliveNodes.has(removed)).toBe(false);
              expect(view.deadNodes.has(removed)).toBe(false);
              expect(view.nodesToPartitions.has(removed)).toBe(false);
              expect(view.lastHeard.has(removed)).toBe(false);
              for (const processors of view.partitions.values()) expect(processors.has(removed)).toBe(false);
            }
            for (const processors of view.partitions.values()) expect(processors.size).toBeGreaterThan(0);
            expect(view.aliveNodes.size + view.deadNodes.size).toBe(h.liveIds().length);
          }
        } finally {
          await runner.stop();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('idempotency: applying the same events twice gives the same state, in either folding mode', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const events = build(ops).events;
        for (const p of projections) {
          const once = foldProjection(p, events);
          expect(foldProjection(p, [...events, ...events])).toEqual(once);
          expect(applyProjectionEvents(p, once, events)).toBe(once);
        }
      }),
      { numRuns: 100 },
    );
  });
});
