import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Projection,
  auditTrailProjection,
  foldProjection,
  nodesConfigurationProjection,
  observedClusterStateProjection,
} from '../../projections/index.js';
import { createProjectionRunner, type ProjectionRunner } from '../../src/engine/projection-runner.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { EventStore } from '../../src/store/event-store.js';
import { createMemoryCheckpoints, openProjectionCheckpoints, openSqliteCheckpoints } from '../../src/store/projection-checkpoints.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { History } from './history.js';
import { appendAll } from './store-helpers.js';

/** Counts `evolve` calls, to tell a resume from a rebuild. */
function counted<S>(projection: Projection<S>, version = projection.version) {
  const calls = { n: 0 };
  const wrapped: Projection<S> = { ...projection, version, evolve: (d, e) => { calls.n++; projection.evolve(d, e); } };
  return { projection: wrapped, calls };
}

function story(h = new History()): History {
  h.provision();
  for (const id of [1, 2, 3]) h.register(id);
  h.heartbeat(1, 1, { '0': 'leader', '1': 'follower' });
  h.heartbeat(2, 1, { '0': 'follower', '1': 'leader' });
  h.advance(1000).storage(1, 'ReadWrite');
  h.heartbeat(3, 1, { '2': 'leader' });
  h.advance(1000).remove(3);
  h.heartbeat(3, 1, { '2': 'leader' });
  h.restart(2);
  h.advance(1000).heartbeat(2, 2, { '1': 'leader' });
  h.unreachable(1);
  return h;
}

const all = [observedClusterStateProjection, nodesConfigurationProjection, auditTrailProjection] as const;
const runners: ProjectionRunner[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
  for (const c of cleanups.splice(0)) c();
});

async function start(options: Parameters<typeof createProjectionRunner>[0]): Promise<ProjectionRunner> {
  const runner = await createProjectionRunner(options);
  runners.push(runner);
  return runner;
}

describe('projection runner (memory store)', () => {
  it('catches up from the store: the state equals a fold of the history', async () => {
    const store = createMemoryStore();
    const h = story();
    const last = await appendAll(store, h.events);
    const runner = await start({ store, projections: [...all] });
    expect(runner.position).toBe(last);
    for (const p of all) expect(runner.get(p as Projection<unknown>)).toEqual(foldProjection(p as Projection<unknown>, h.events));
    expect(runner.get('audit-trail')).toBe(runner.get(auditTrailProjection));
  });

  it('follows live appends; waitFor gives read-your-writes; handed-out states are frozen and never change', async () => {
    const store = createMemoryStore();
    const h = new History();
    h.provision();
    await appendAll(store, h.events);
    const runner = await start({ store, projections: [...all] });
    const before = runner.get(nodesConfigurationProjection);
    const copy = structuredClone(before);
    h.register(1);
    h.heartbeat(1, 1, { '4': 'leader' });
    const position = await appendAll(store, h.events.slice(1));
    await runner.waitFor(position);
    expect(runner.get(nodesConfigurationProjection)).toEqual(foldProjection(nodesConfigurationProjection, h.events));
    expect(runner.get(observedClusterStateProjection)).toEqual(foldProjection(observedClusterStateProjection, h.events));
    expect(before).toEqual(copy);
    expect(Object.isFrozen(runner.get(observedClusterStateProjection).nodes['1']?.partitions)).toBe(true);
    expect(() => {
      (runner.get(nodesConfigurationProjection) as { position: number }).position = 0;
    }).toThrow(TypeError);
  });

  it('notifies change listeners with the new position', async () => {
    const store = createMemoryStore();
    const runner = await start({ store, projections: [observedClusterStateProjection] });
    const seen: number[] = [];
    runner.onChange((p) => seen.push(p));
    const position = await appendAll(store, story().events);
    await runner.waitFor(position);
    expect(seen.at(-1)).toBe(position);
  });

  it('resumes from the stored checkpoint: only events after it are applied', async () => {
    const store = createMemoryStore();
    const checkpoints = createMemoryCheckpoints();
    const h = story();
    const first = counted(observedClusterStateProjection);
    await appendAll(store, h.events);
    const runner1 = await start({ store, checkpoints, projections: [first.projection] });
    await runner1.stop();
    expect(first.calls.n).toBe(h.events.length);
    const saved = await checkpoints.load('observed-cluster-state');
    expect(saved).toMatchObject({ version: 2, position: h.events.length });

    const before = h.events.length;
    h.advance(500).heartbeat(2, 2, {});
    h.register(4);
    await appendAll(store, h.events.slice(before));
    const second = counted(observedClusterStateProjection);
    const runner2 = await start({ store, checkpoints, projections: [second.projection] });
    expect(second.calls.n).toBe(2);
    expect(runner2.get(second.projection)).toEqual(foldProjection(observedClusterStateProjection, h.events));
  });

  it('rebuilds from zero when the projection version differs from the stored one', async () => {
    const store = createMemoryStore();
    const checkpoints = createMemoryCheckpoints();
    const h = story();
    await appendAll(store, h.events);
    await (await start({ store, checkpoints, projections: [auditTrailProjection] })).stop();
    const v2 = counted(auditTrailProjection, 2);
    const runner = await start({ store, checkpoints, projections: [v2.projection] });
    expect(v2.calls.n).toBe(h.events.length);
    expect(runner.get(v2.projection)).toEqual(foldProjection(auditTrailProjection, h.events));
    await runner.stop();
    expect(await checkpoints.load('audit-trail')).toMatchObject({ version: 2, position: h.events.length });
  });

  it('discards checkpoints that name no event of its store (another store, a recreated one) and rebuilds', async () => {
    const checkpoints = createMemoryCheckpoints();
    const first = createMemoryStore();
    await appendAll(first, story().events);
    await (await start({ store: first, checkpoints, projections: [observedClusterStateProjection] })).stop();
    const fresh = createMemoryStore();
    const h = new History();
    h.provision();
    h.register(1);
    await appendAll(fresh, h.events);
    const runner = await start({ store: fresh, checkpoints, projections: [observedClusterStateProjection] });
    expect(runner.position).toBe(2);
    expect(runner.get(observedClusterStateProjection)).toEqual(foldProjection(observedClusterStateProjection, h.events));
  });

  it('rebuilds on demand to the same state, re-reading every event', async () => {
    const store = createMemoryStore();
    const h = story();
    await appendAll(store, h.events);
    const c = counted(observedClusterStateProjection);
    const runner = await start({ store, projections: [c.projection, auditTrailProjection] });
    const before = runner.get(c.projection);
    await runner.rebuild(c.projection);
    expect(c.calls.n).toBe(2 * h.events.length);
    expect(runner.get(c.projection)).toEqual(before);
    expect(runner.get(c.projection)).not.toBe(before);
  });

  it('asOf a position rebuilds the projection as it was there; the live state is untouched', async () => {
    const store = createMemoryStore();
    const h = story();
    await appendAll(store, h.events);
    const runner = await start({ store, projections: [...all] });
    const current = runner.get(observedClusterStateProjection);
    for (const position of [0, 1, 5, 9, h.events.length, h.events.length + 10]) {
      expect(await runner.asOf(observedClusterStateProjection, position)).toEqual(
        foldProjection(observedClusterStateProjection, h.events.slice(0, position)),
      );
    }
    expect(runner.get(observedClusterStateProjection)).toBe(current);
  });

  it('asOf a time includes the events recorded at or before it', async () => {
    const store = createMemoryStore();
    const h = story();
    await appendAll(store, h.events);
    const runner = await start({ store, projections: [nodesConfigurationProjection] });
    const time = new Date(Date.parse(h.events[0]!.metadata.at) + 1000);
    const expected = h.events.filter((e) => Date.parse(e.metadata.at) <= time.getTime());
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(h.events.length);
    const asOf = await runner.asOf(nodesConfigurationProjection, time);
    expect(asOf).toEqual(foldProjection(nodesConfigurationProjection, expected));
    expect(asOf.position).toBe(expected.at(-1)!.position);
    expect(await runner.asOf(nodesConfigurationProjection, new Date(0))).toEqual(nodesConfigurationProjection.initialState);
  });

  it('only reads the streams of its cluster when given one', async () => {
    const store = createMemoryStore();
    const ours = story(new History('a'));
    const theirs = story(new History('b'));
    const merged = ours.events.flatMap((e, i) => [e, theirs.events[i]!]);
    const last = await appendAll(store, merged);
    const runner = await start({ store, cluster: 'a', projections: [nodesConfigurationProjection] });
    expect(runner.position).toBe(last);
    expect(runner.get(nodesConfigurationProjection).cluster).toEqual(foldProjection(nodesConfigurationProjection, ours.events).cluster);
  });

  it('keeps the checkpoints of runners scoped to different clusters apart', async () => {
    const store = createMemoryStore();
    const checkpoints = createMemoryCheckpoints();
    const a = story(new History('a'));
    const b = new History('b');
    b.provision();
    b.register(7);
    await appendAll(store, [...a.events, ...b.events]);
    await (await start({ store, checkpoints, cluster: 'a', projections: [nodesConfigurationProjection] })).stop();
    await (await start({ store, checkpoints, cluster: 'b', projections: [nodesConfigurationProjection] })).stop();
    expect((await checkpoints.load('a/nodes-configuration'))?.state).toMatchObject({ cluster: { clusterName: 'a' } });
    const runner = await start({ store, checkpoints, cluster: 'b', projections: [nodesConfigurationProjection] });
    expect(runner.get(nodesConfigurationProjection).cluster).toEqual(foldProjection(nodesConfigurationProjection, b.events).cluster);
  });

  it('stops on an event it cannot decode, naming it; waiters reject and the last good state stays readable', async () => {
    const store = createMemoryStore();
    const h = story();
    await appendAll(store, h.events);
    const runner = await start({ store, projections: [observedClusterStateProjection] });
    const good = runner.get(observedClusterStateProjection);
    const { position } = await store.appendToStream('observations-test', [
      { id: randomUUID(), type: 'NodeTeleported', data: {}, metadata: { commandId: 'x', at: h.iso() } },
    ]);
    await expect(runner.waitFor(position)).rejects.toMatchObject({ code: 'UnknownEventType', context: { position } });
    expect(runner.get(observedClusterStateProjection)).toBe(good);
    await expect(runner.waitFor(position + 1)).rejects.toMatchObject({ code: 'UnknownEventType' });
  });

  it('refuses to start on a history with an unknown event type', async () => {
    const store = createMemoryStore();
    await store.appendToStream('cluster-test', [{ id: randomUUID(), type: 'Bogus', data: {}, metadata: { commandId: 'x', at: 'now' } }]);
    await expect(createProjectionRunner({ store, projections: [auditTrailProjection] })).rejects.toMatchObject({ code: 'UnknownEventType' });
  });

  it('rejects pending waitFor calls when stopped, and refuses duplicate projection names', async () => {
    const store = createMemoryStore();
    const runner = await start({ store, projections: [auditTrailProjection] });
    const pending = runner.waitFor(100);
    await runner.stop();
    await expect(pending).rejects.toMatchObject({ code: 'EngineClosed' });
    await expect(createProjectionRunner({ store, projections: [auditTrailProjection, auditTrailProjection] })).rejects.toMatchObject({ code: 'InvalidInput' });
  });
});

describe('projection checkpoints in SQLite', () => {
  function tempDb(): string {
    const dir = mkdtempSync(join(tmpdir(), 'clusterchart-proj-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return join(dir, 'store.db');
  }

  it('stores state, version and position together and reads them back after reopening', async () => {
    const path = tempDb();
    const a = openSqliteCheckpoints(path);
    await a.save([
      { name: 'x', version: 3, position: 17, state: { position: 17, nodes: { '1': { g: 2 } } } },
      { name: 'y', version: 1, position: 17, state: { position: 17, entries: [] } },
    ]);
    await a.close();
    const b = openSqliteCheckpoints(path);
    cleanups.push(() => void b.close());
    expect(await b.load('x')).toEqual({ name: 'x', version: 3, position: 17, state: { position: 17, nodes: { '1': { g: 2 } } } });
    expect(await b.load('z')).toBeUndefined();
    await b.delete('x');
    expect(await b.load('x')).toBeUndefined();
  });

  it('a runner resumes from SQLite checkpoints across restarts, and rebuilds when the stored state is unreadable', async () => {
    const path = tempDb();
    const store: EventStore = createMemoryStore();
    const h = story();
    await appendAll(store, h.events);
    const cp1 = openSqliteCheckpoints(path);
    await (await start({ store, checkpoints: cp1, projections: [...all] })).stop();
    await cp1.close();

    const cp2 = openSqliteCheckpoints(path);
    const c = counted(nodesConfigurationProjection);
    const runner = await start({ store, checkpoints: cp2, projections: [c.projection] });
    expect(c.calls.n).toBe(0);
    expect(runner.get(c.projection)).toEqual(foldProjection(nodesConfigurationProjection, h.events));
    expect(Object.isFrozen(runner.get(c.projection).cluster.nodes)).toBe(true);
    await runner.stop();
    await cp2.close();

    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path);
    db.prepare("UPDATE projection_checkpoints SET state = '{not json' WHERE name = 'nodes-configuration'").run();
    db.close();
    const cp3 = openSqliteCheckpoints(path);
    cleanups.push(() => void cp3.close());
    const again = counted(nodesConfigurationProjection);
    const rebuilt = await start({ store, checkpoints: cp3, projections: [again.projection] });
    expect(again.calls.n).toBe(h.events.length);
    expect(rebuilt.get(again.projection)).toEqual(foldProjection(nodesConfigurationProjection, h.events));
  });

  it('on a real SQLite store file: catch-up, live follow, then a restart resumes from checkpoints in the same file', async () => {
    const path = tempDb();
    const store = await openSqliteStore(path);
    cleanups.push(() => void store.close());
    const h = story();
    const half = Math.floor(h.events.length / 2);
    await appendAll(store, h.events.slice(0, half));
    const checkpoints = openProjectionCheckpoints(`sqlite:${path}`);
    expect(checkpoints.kind).toBe('sqlite');
    const runner = await start({ store, checkpoints, cluster: 'test', projections: [...all], checkpointEvery: 1 });
    expect(runner.get(auditTrailProjection)).toEqual(foldProjection(auditTrailProjection, h.events.slice(0, half)));
    const last = await appendAll(store, h.events.slice(half));
    await runner.waitFor(last);
    for (const p of all) expect(runner.get(p as Projection<unknown>)).toEqual(foldProjection(p as Projection<unknown>, h.events));
    expect((await checkpoints.load('test/observed-cluster-state'))?.position).toBe(last);
    await runner.stop();
    await checkpoints.close();

    const reopened = openProjectionCheckpoints(`sqlite:${path}`);
    cleanups.push(() => void reopened.close());
    const c = counted(observedClusterStateProjection);
    const again = await start({ store, checkpoints: reopened, cluster: 'test', projections: [c.projection] });
    expect(c.calls.n).toBe(0);
    expect(again.get(c.projection)).toEqual(foldProjection(observedClusterStateProjection, h.events));
    expect(await again.asOf(c.projection, new Date(Date.parse(h.events[0]!.metadata.at)))).toEqual(
      foldProjection(observedClusterStateProjection, h.events.filter((e) => e.metadata.at === h.events[0]!.metadata.at)),
    );
  });
});
