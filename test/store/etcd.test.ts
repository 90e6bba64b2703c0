/**
 * The etcd store on a real 3-member etcd cluster (started here on loopback, removed afterwards): the whole
 * conformance suite, one key prefix per test, then faults: the leader SIGKILLed under appends and under a
 * subscription, a compaction under a subscription, a SIGSTOPped follower, the server's own limits, and
 * credentials that never reach a message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClusterchartError } from '../../src/domain/errors.js';
import type { EventData, EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { openEtcdStore, parseEtcdUrl, POSITION_SCALE } from '../../src/store/etcd/index.js';
import { openStore, parseStoreUrl } from '../../src/store/open-store.js';
import { collect, describeEventStoreConformance, event, refusal, waitFor } from './conformance.js';
import { etcdUnavailableReason, startEtcdCluster, type EtcdCluster, type MemberName } from './support/etcd-cluster.js';

const skip = etcdUnavailableReason();
let cluster: EtcdCluster;
let n = 0;
const prefix = (name: string): string => `${name}-${process.pid}-${++n}`;

beforeAll(async () => {
  if (skip === undefined) cluster = await startEtcdCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describeEventStoreConformance('etcd (3-member cluster)', () => openEtcdStore(cluster.url(prefix('conformance'))), { skip });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Appends like a writer that must not lose anything: an unknown outcome is retried with the same ids and expectation. */
async function appendUntilAcknowledged(store: EventStore, stream: string, events: EventData[], expectedRevision: number | 'no-stream' | 'any', log: { unavailable: number }) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.appendToStream(stream, events, { expectedRevision });
    } catch (error) {
      if (!isClusterchartError(error, 'StoreUnavailable') || attempt > 200) throw error;
      log.unavailable++;
      await sleep(50);
    }
  }
}

/** Every event once, dense revisions per stream, positions strictly increasing. */
function expectConsistent(all: RecordedEvent[]): void {
  expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  expect(all.every((e, i) => i === 0 || e.position > all[i - 1]!.position)).toBe(true);
  const revisions = new Map<string, number[]>();
  for (const e of all) revisions.set(e.streamId, [...(revisions.get(e.streamId) ?? []), e.revision]);
  for (const revs of revisions.values()) expect(revs).toEqual(revs.map((_, i) => i));
}

describe.skipIf(skip !== undefined)('etcd store on a real cluster', () => {
  it('opens through openStore, hides credentials in url, and declares its limits (128 ops: 63 events, 1.5 MiB)', async () => {
    const store = await openStore(cluster.url(prefix('open')));
    try {
      expect(store.url).toMatch(/^etcd:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/open-/);
      expect(store.limits).toEqual({ maxEventsPerAppend: 63, maxBytesPerAppend: 1_572_864 - 256 * 1024 });
    } finally {
      await store.close();
    }
    expect(parseStoreUrl('etcd://u:p@h1,h2:2380/x')).toEqual({ kind: 'etcd', url: 'etcd://u:p@h1,h2:2380/x' });
    const parsed = parseEtcdUrl('etcd://alice:s3cr%40t@h1,h2:2380/team/a?callTimeoutMs=900');
    expect(parsed).toMatchObject({ hosts: ['h1:2379', 'h2:2380'], prefix: 'team/a', auth: { username: 'alice', password: 's3cr@t' }, callTimeoutMs: 900 });
    expect(parsed.safeUrl).not.toContain('s3cr');
    expect(() => parseEtcdUrl('etcd://alice:s3cret@/x')).toThrow(/not a valid etcd URL/);
    expect(() => parseEtcdUrl('etcd://h1/x?bogus=1')).toThrow(/unknown option/);
  });

  it('refuses appends over its limits with AppendTooLarge naming the limit; nothing is written', async () => {
    const store = await openEtcdStore(cluster.url(prefix('limits')));
    try {
      const tooMany = await refusal(store.appendToStream('s', Array.from({ length: 64 }, () => event('E')), { expectedRevision: 'no-stream' }), 'AppendTooLarge');
      expect(tooMany.context).toMatchObject({ limit: 'maxEventsPerAppend', max: 63, actual: 64 });
      const tooBig = await refusal(store.appendToStream('s', [event('Big', { blob: 'x'.repeat(1_400_000) })], { expectedRevision: 'no-stream' }), 'AppendTooLarge');
      expect(tooBig.context).toMatchObject({ limit: 'maxBytesPerAppend' });
      expect(await store.streamRevision('s')).toBe(-1);
      expect((await store.appendToStream('s', Array.from({ length: 63 }, () => event('E')), { expectedRevision: 'no-stream' })).nextRevision).toBe(62);
    } finally {
      await store.close();
    }
    // A URL that claims more than the server allows: the server's refusal is translated, not a StoreUnavailable.
    const lying = await openEtcdStore(`${cluster.url(prefix('limits'))}?maxTxnOps=1000`);
    try {
      const error = await refusal(lying.appendToStream('s', Array.from({ length: 100 }, () => event('E')), { expectedRevision: 'no-stream' }), 'AppendTooLarge');
      expect(error.message).toMatch(/max-txn-ops/);
      expect(await lying.streamRevision('s')).toBe(-1);
    } finally {
      await lying.close();
    }
  });

  it('positions are etcd revision * 1024 + index: one append shares a revision, later appends are later', async () => {
    const store = await openEtcdStore(cluster.url(prefix('positions')));
    try {
      const a = await store.appendToStream('a', [event('A0'), event('A1'), event('A2')]);
      const b = await store.appendToStream('b', [event('B0')]);
      const all = await collect(store.readAll());
      expect(all.map((e) => e.position % POSITION_SCALE)).toEqual([0, 1, 2, 0]);
      expect(new Set(all.slice(0, 3).map((e) => Math.floor(e.position / POSITION_SCALE))).size).toBe(1);
      expect(a.position).toBe(all[2]!.position);
      expect(b.position).toBe(all[3]!.position);
      expect(await collect(store.readAll({ afterPosition: all[0]!.position, maxCount: 2 }))).toEqual(all.slice(1, 3));
    } finally {
      await store.close();
    }
  });

  it('two clients racing on one expected revision: exactly one wins, across members', async () => {
    const url = cluster.url(prefix('race'));
    const [s1, s2] = await Promise.all([openEtcdStore(url), openEtcdStore(url)]);
    try {
      await s1.appendToStream('s', [event('A')], { expectedRevision: 'no-stream' });
      const attempts = await Promise.allSettled([s1, s2, s1, s2].map((s, i) => s.appendToStream('s', [event(`W${i}`)], { expectedRevision: 0 })));
      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
      expect(attempts.every((a) => a.status === 'fulfilled' || isClusterchartError(a.reason, 'WrongExpectedVersion'))).toBe(true);
      expect(await s2.streamRevision('s')).toBe(1);
    } finally {
      await Promise.all([s1.close(), s2.close()]);
    }
  });
});
