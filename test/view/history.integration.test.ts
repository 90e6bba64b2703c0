import { afterEach, describe, expect, it } from 'vitest';
import { foldEvents } from '../../src/decider/evolve.js';
import { emptyClusterState } from '../../src/domain/cluster-state.js';
import { parseDomainEvent } from '../../src/domain/events.js';
import type { Engine } from '../../src/engine/engine.js';
import type { EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { ClusterHistory, summarize } from '../../src/index.js';
import { viewAfter } from '../../src/view/history.js';
import { viewOf } from '../../src/view/model.js';
import { startViewer, type Viewer } from '../../src/view/server.js';
import { lastPosition, quiet, registryCharts, seedCluster } from './support/cluster.js';

let store: EventStore | undefined;
let engine: Engine | undefined;
let viewer: Viewer | undefined;
afterEach(async () => {
  await viewer?.close();
  await engine?.close();
  await store?.close();
  viewer = engine = store = undefined;
});

async function readCluster(s: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const event of s.readStream('cluster-demo')) out.push(event);
  return out;
}

describe('ClusterHistory', () => {
  it('keeps only recent entries in memory and reads older states and windows back from the store', async () => {
    store = createMemoryStore();
    ({ engine } = await seedCluster(store));
    for (let i = 0; i < 30; i++) await engine.registerNode({ name: `extra-${i}`, roles: ['worker'] });
    const recorded = await readCluster(store);
    const history = new ClusterHistory(store, 'demo', { recent: 10 });
    for (const event of recorded) history.add(event);

    expect(history.count).toBe(recorded.length);
    expect(history.headPosition).toBe(recorded.at(-1)!.position);
    expect(history.recent.map((e) => e.revision)).toEqual(recorded.slice(-10).map((e) => e.revision));

    const events = recorded.map((r) => parseDomainEvent(r));
    const window = await history.entries(2, 14);
    expect(window.map((e) => e.revision)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(window.map((e) => e.summary)).toEqual(events.slice(2, 15).map(summarize));
    expect(await history.entries(recorded.length - 3, recorded.length + 10)).toEqual(history.recent.slice(-3));
    expect(await history.entries(5, 4)).toEqual([]);

    for (const count of [0, 1, 7, 20, recorded.length - 1, recorded.length]) {
      const expected = viewOf(foldEvents(emptyClusterState(), events.slice(0, count)), recorded[count - 1]?.position ?? 0);
      expect(await viewAfter(history, count)).toEqual(expected);
    }
    expect(history.countAtPosition(recorded[6]!.position)).toBe(7);
    expect(history.countAtPosition(0)).toBe(0);
  });

  it('refuses an event out of revision order', async () => {
    store = createMemoryStore();
    ({ engine } = await seedCluster(store));
    const [first, second] = await readCluster(store);
    const history = new ClusterHistory(store, 'demo');
    history.add(first!);
    expect(() => history.add({ ...second!, revision: 5 })).toThrow(expect.objectContaining({ code: 'HistoryInvalid' }));
  });
});

describe('viewer on a history it cannot read', () => {
  it('reports the problem and keeps serving the state it could build', async () => {
    store = createMemoryStore();
    ({ engine } = await seedCluster(store));
    const good = await lastPosition(store);
    await store.appendToStream('cluster-demo', [{ id: '00000000-0000-4000-8000-000000000001', type: 'NodeTeleported', data: {}, metadata: { commandId: 'x', at: '2026-01-01T00:00:00Z' } }]);
    viewer = await startViewer({ store, machines: registryCharts, logger: quiet });
    await viewer.waitForPosition(await lastPosition(store));
    const timeline = (await (await fetch(`${viewer.url}api/timeline`)).json()) as { count: number; problem: string };
    expect(timeline.count).toBe(8);
    expect(timeline.problem).toContain('UnknownEventType');
    expect(timeline.problem).toContain('NodeTeleported');
    const state = (await (await fetch(`${viewer.url}api/state`)).json()) as { position: number };
    expect(state.position).toBe(good);
  });
});
