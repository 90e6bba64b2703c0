/** The library's read side through the public entry point: verify, audit, time travel and the reader. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import {
  audit,
  clusterStateAt,
  createEngine,
  createMemoryStore,
  type EventStore,
  openClusterReader,
  type RecordedEvent,
  verifyHistory,
} from '../../../src/index.js';

const quiet = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'clusterchart-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Provisions `prod` with two nodes, N1's log server and a heartbeat; returns the position before the heartbeat. */
async function seed(store: EventStore | string): Promise<{ beforeHeartbeat: number; at: string }> {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const engine = await createEngine({ store, cluster: 'prod', logger: quiet, clock: () => new Date((now += 1000)), snapshotEvery: false });
  try {
    await engine.provision({ replication: 1 });
    await engine.registerNode({ name: 'n1', roles: ['log-server', 'metadata-server'] });
    await engine.registerNode({ name: 'n2', roles: ['worker'] });
    await engine.provisionLogServer({ node: 'N1', marker: { nodeId: 'N1', markerId: 'disk-1', createdAt: '2026-01-01T00:00:00Z' } });
    const beforeHeartbeat = (await engine.audit()).at(-1)!.position;
    const at = new Date(now).toISOString();
    await engine.recordHeartbeat({ node: 'N1:1', at, partitions: { '0': 'leader' } });
    return { beforeHeartbeat, at };
  } finally {
    await engine.close();
  }
}

const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe('verifyHistory', () => {
  it('accepts an untouched history and reports an event written behind the engine', async () => {
    const store = createMemoryStore();
    await seed(store);
    const report = await verifyHistory(store, 'prod');
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.events).toBeGreaterThan(5);

    await store.appendToStream('cluster-prod', [
      { id: '00000000-0000-4000-8000-000000000001', type: 'NodeTeleported', data: {}, metadata: { commandId: 'x', at: '2026-01-01T00:01:00Z' } },
    ]);
    const progress: number[] = [];
    const damaged = await verifyHistory(store, 'prod', { onProgress: (done) => progress.push(done) });
    expect(damaged.ok).toBe(false);
    expect(damaged.problems.map((p) => p.code).sort()).toEqual(['HashMismatch', 'UnknownEventType']);
    expect(progress.at(-1)).toBe(damaged.events);
    await store.close();
  });
});

describe('the reader', () => {
  it('reads a store by URL: clusters, observed now and as of, health, audit, verify, time travel, live events', async () => {
    const url = `sqlite:${join(dir, 'reader.db')}`;
    const { beforeHeartbeat, at } = await seed(url);
    const reader = await openClusterReader({ store: url, logger: quiet, clock: () => new Date(at) });
    try {
      expect(await reader.clusters()).toEqual(['prod']);
      expect(await reader.cluster()).toBe('prod');

      const observed = await reader.observed();
      expect(plain(observed)).toEqual(observed);
      expect(observed.aliveNodes).toMatchObject({ N1: 'N1:1' });
      expect(observed.partitions).toEqual({ '0': { N1: 'leader' } });
      const before = await reader.observed({ asOf: beforeHeartbeat });
      expect(before.partitions).toEqual({});

      const health = await reader.health();
      expect(plain(health)).toEqual(health);
      expect(health.metadata).toMatchObject({ members: 1, alive: 1, ok: true });

      const trail = await reader.audit({ node: 'N1' });
      expect(trail.filter((e) => e.machine === 'log-server' && e.from === 'Provisioning' && e.to === 'ReadWrite')).toHaveLength(1);
      expect((await reader.verify()).ok).toBe(true);

      const head = await reader.stateAt();
      expect(Object.keys(head.nodes)).toEqual(['1', '2']);
      const first = await reader.stateAt({ revision: 0 });
      expect(first.config).not.toBeNull();
      expect(Object.keys(first.nodes)).toEqual([]);
      expect(plain(await reader.stateAt(beforeHeartbeat))).toEqual(plain(head));

      const entries = await reader.timeline({ from: 0, to: 1 });
      expect(entries.map((e) => e.revision)).toEqual([0, 1]);
      expect(entries[1]!.summary).toContain('N1');

      const seen: RecordedEvent[] = [];
      const subscription = reader.subscribe((event) => void seen.push(event));
      await expect.poll(() => seen.length).toBeGreaterThan(5);
      await subscription.stop();
    } finally {
      await reader.close();
    }
  });

  it('audit and time travel are plain functions over any store', async () => {
    const store = createMemoryStore();
    const { beforeHeartbeat } = await seed(store);
    const entries = await audit(store, 'prod', { toPosition: beforeHeartbeat });
    expect(entries.at(-1)!.position).toBeLessThanOrEqual(beforeHeartbeat);
    const provisionedAt = (await audit(store, 'prod'))[0]!.at;
    const state = await clusterStateAt(store, 'prod', new Date(provisionedAt));
    expect(state.config).not.toBeNull();
    expect(Object.keys(state.nodes)).toEqual([]);
    await store.close();
  });
});
