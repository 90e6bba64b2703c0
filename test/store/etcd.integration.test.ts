/**
 * The etcd store on a real 3-member etcd cluster (started here on loopback, removed afterwards): the whole
 * conformance suite, one key prefix per test, then faults: the leader SIGKILLed under appends and under a
 * subscription, a compaction under a subscription, a SIGSTOPped follower, the server's own limits, and
 * credentials that never reach a message. The subscription loop's hand-over from a broken watch to a range read is
 * also driven step by step against a scripted source (no cluster needed).
 */
import { EventEmitter } from 'node:events';
import type { IKeyValue, Watcher } from 'etcd3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterchartError, isClusterchartError } from '../../src/domain/errors.js';
import type { EventData, EventStore, RecordedEvent } from '../../src/store/event-store.js';
import { etcdLimits, openEtcdStore, parseEtcdUrl, POSITION_SCALE, toPosition, translateEtcdError } from '../../src/store/etcd/index.js';
import type { AllPage } from '../../src/store/etcd/store.js';
import { EtcdSubscription } from '../../src/store/etcd/subscription.js';
import { openStore, parseStoreUrl } from '../../src/store/open-store.js';
import {
  clusterStreamId,
  createEngine,
  emptyClusterState,
  observationsStreamId,
  parseDomainEvent,
  parseGenerationalNodeId,
  verifyHashChain,
  type ExecuteInput,
} from '../../src/index.js';
import { foldEvents } from '../../src/decider/index.js';
import { createLossyStore, seededRandom } from '../../src/testing/lossy-store.js';
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
      await refusal(store.appendToStream('lone-\ud800', [event('E')]), 'InvalidInput');
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

describe.skipIf(skip !== undefined)('etcd store under faults', () => {
  it('appends while the leader is SIGKILLed and restarted: every acknowledged append is stored exactly once', async () => {
    const store = await openEtcdStore(`${cluster.url(prefix('leader-kill'))}?callTimeoutMs=1500`);
    const log = { unavailable: 0 };
    const acknowledged: { stream: string; ids: string[]; nextRevision: number }[] = [];
    let running = true;
    try {
      // Four writers: three on their own streams with exact expected revisions, one with 'any' on a shared one.
      const writers = [0, 1, 2, 3].map(async (w) => {
        const stream = w < 3 ? `own-${w}` : 'shared';
        let revision = -1;
        while (running) {
          const events = Array.from({ length: 1 + (acknowledged.length % 4) }, () => event(`W${w}`));
          const expected = w === 3 ? 'any' : revision === -1 ? 'no-stream' : revision;
          const result = await appendUntilAcknowledged(store, stream, events, expected, log);
          acknowledged.push({ stream, ids: events.map((e) => e.id), nextRevision: result.nextRevision });
          revision = result.nextRevision;
        }
      });
      await waitFor(() => acknowledged.length >= 20, 'appends before the fault');
      const leader = await cluster.leader();
      await cluster.kill(leader, 'SIGKILL');
      const atKill = acknowledged.length;
      await waitFor(() => acknowledged.length >= atKill + 10, 'appends without the old leader');
      const newLeader = await cluster.leader();
      expect(newLeader).not.toBe(leader);
      await cluster.restart(leader);
      const atRestart = acknowledged.length;
      await waitFor(() => acknowledged.length >= atRestart + 10, 'appends after the restart');
      running = false;
      await Promise.all(writers);

      const all = await collect(store.readAll());
      expectConsistent(all);
      const stored = new Map(all.map((e) => [e.id, e]));
      for (const a of acknowledged) {
        const events = a.ids.map((id) => stored.get(id));
        expect(events.every((e) => e?.streamId === a.stream)).toBe(true);
        expect(events.at(-1)!.revision).toBe(a.nextRevision);
      }
      // Nothing but acknowledged appends was written: an unknown outcome was retried until acknowledged.
      expect(all.length).toBe(acknowledged.reduce((sum, a) => sum + a.ids.length, 0));
      console.log(`leader kill: ${acknowledged.length} appends acknowledged, ${log.unavailable} StoreUnavailable retried, leader ${leader} -> ${newLeader}`);
    } finally {
      running = false;
      await store.close();
    }
  });

  it('a subscription survives a leader kill, a member restart and a compaction without gap or duplicate', async () => {
    const url = cluster.url(prefix('subscription'));
    const store = await openEtcdStore(`${url}?callTimeoutMs=1500`);
    const seen: RecordedEvent[] = [];
    const sub = store.subscribeToAll({}, async (e) => {
      seen.push(e);
      if (seen.length % 25 === 0) await sleep(20);
    });
    const log = { unavailable: 0 };
    let written = 0;
    const write = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const stream = `s${i % 3}`;
        await appendUntilAcknowledged(store, stream, [event(`E${written}`), event(`E${written + 1}`)], 'any', log);
        written += 2;
      }
    };
    try {
      await write(20);
      await waitFor(() => seen.length === written, 'live delivery');
      // Every member, the leader first: whichever one the watch stream is connected to dies at some point.
      const order: MemberName[] = [await cluster.leader()];
      for (const m of ['m1', 'm2', 'm3'] as const) if (!order.includes(m)) order.push(m);
      for (const member of order) {
        await cluster.kill(member, 'SIGKILL');
        await write(10);
        await cluster.restart(member);
        await write(4);
      }
      const compactedAt = await cluster.compact();
      await write(10);
      await waitFor(() => seen.length === written, 'delivery after faults');
      await sub.stop();
      const all = await collect(store.readAll());
      expect(all.length).toBe(written);
      expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
      expectConsistent(seen);
      expect(compactedAt).toBeGreaterThan(0);
      // A checkpoint taken before the compaction still resumes exactly (reads never need compacted history).
      const resumed: RecordedEvent[] = [];
      const sub2 = store.subscribeToAll({ fromPosition: all[9]!.position }, (e) => void resumed.push(e));
      await waitFor(() => resumed.length === written - 10, 'resumed delivery');
      await sub2.stop();
      expect(resumed.map((e) => e.id)).toEqual(all.slice(10).map((e) => e.id));
    } finally {
      await sub.stop();
      await store.close();
    }
  });

  it('a SIGSTOPped follower does not stop appends, reads or subscriptions; it catches up after SIGCONT', async () => {
    const store = await openEtcdStore(`${cluster.url(prefix('sigstop'))}?callTimeoutMs=1000`);
    const seen: RecordedEvent[] = [];
    const sub = store.subscribeToAll({}, (e) => void seen.push(e));
    const leader = await cluster.leader();
    const follower = (['m1', 'm2', 'm3'] as const).find((m) => m !== leader)!;
    const log = { unavailable: 0 };
    try {
      await appendUntilAcknowledged(store, 's', [event('Before')], 'no-stream', log);
      await cluster.kill(follower, 'SIGSTOP');
      const started = Date.now();
      for (let i = 0; i < 10; i++) await appendUntilAcknowledged(store, 's', [event(`During${i}`)], i, log);
      expect((await collect(store.readStream('s'))).length).toBe(11);
      const during = Date.now() - started;
      await waitFor(() => seen.length === 11, 'delivery while a follower is stopped');
      await cluster.kill(follower, 'SIGCONT');
      await cluster.waitHealthy();
      await appendUntilAcknowledged(store, 's', [event('After')], 10, log);
      await waitFor(() => seen.length === 12, 'delivery after SIGCONT');
      expect(seen.map((e) => e.revision)).toEqual([...Array(12).keys()]);
      console.log(`SIGSTOP ${follower}: 10 appends in ${during} ms, ${log.unavailable} StoreUnavailable retried`);
    } finally {
      await cluster.kill(follower, 'SIGCONT').catch(() => undefined);
      await sub.stop();
      await store.close();
    }
  });

  it('credentials never appear in errors, messages or url', async () => {
    const secret = 'Sup3rS3cretPw';
    const dead = `etcd://alice:${secret}@127.0.0.1:1/p?callTimeoutMs=500`;
    const opened = await openEtcdStore(dead).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isClusterchartError(opened, 'StoreUnavailable')).toBe(true);
    expect(JSON.stringify(opened)).not.toContain(secret);
    expect(String((opened as Error).message)).not.toContain(secret);
    expect(String((opened as Error).stack)).not.toContain(secret);
    // A live cluster without auth enabled refuses the credentials: still not printed.
    const live = await openEtcdStore(cluster.url(prefix('creds')).replace('etcd://', `etcd://alice:${secret}@`)).then(
      (s) => s,
      (error: unknown) => error,
    );
    if (live instanceof Error) {
      expect(live.message).not.toContain(secret);
      expect(JSON.stringify(live)).not.toContain(secret);
    } else {
      expect((live as EventStore).url).not.toContain(secret);
      await (live as EventStore).close();
    }
    const bad = await refusal(openStore(`etcd://alice:${secret}@host/x?nope=1`), 'InvalidInput');
    expect(bad.message).not.toContain(secret);
    expect(JSON.stringify(bad)).not.toContain(secret);
  });
});

describe.skipIf(skip !== undefined)('engines on etcd', () => {
  it('two engines, 20% lost responses, the leader SIGKILLed mid-run: nothing recorded twice, one consistent history', async () => {
    const url = `${cluster.url(prefix('engines'))}?callTimeoutMs=1500`;
    const [innerA, innerB] = await Promise.all([openEtcdStore(url), openEtcdStore(url)]);
    const silent = pino({ level: 'silent' });
    const lossyA = createLossyStore(innerA, { lostResponseRate: 0.2, random: seededRandom(7) });
    const lossyB = createLossyStore(innerB, { lostResponseRate: 0.2, random: seededRandom(13) });
    const setup = await createEngine({ store: innerA, cluster: 'test', logger: silent });
    await setup.provision();
    await setup.close();
    const engines = await Promise.all([lossyA, lossyB].map((l) => createEngine({ store: l.store, cluster: 'test', logger: silent, snapshotEvery: 100 })));
    const told: { commandId: string; id: number; generation: number }[] = [];
    const spurious: string[] = [];
    let refusedByDomain = 0;
    const random = seededRandom(99);
    const perEngine = 120;
    let killed = false;
    let restarted: Promise<void> = Promise.resolve();
    // Eight callers per engine: group-commit batches stay within the store's 63 events per append.
    const callers = engines.flatMap((engine, w) =>
      Array.from({ length: 8 }, async (_, c) => {
        const mine: { id: number; generation: number; name: string }[] = [];
        for (let i = 0; i < perEngine / 8; i++) {
          const commandId = `w${w}-c${c}-${i}`;
          const node = mine[Math.floor(random() * mine.length)];
          const r = random();
          const input: ExecuteInput =
            node === undefined || r < 0.3
              ? { type: 'RegisterNode', data: { name: `w${w}-n${c}-${i}`, roles: ['worker', 'log-server'] }, commandId }
              : r < 0.6
                ? { type: 'RecordHeartbeat', data: { node: { id: node.id, generation: node.generation }, at: '2026-01-01T00:00:01.000Z', partitions: {} }, commandId }
                : r < 0.8
                  ? { type: 'SetWorkerState', data: { node: node.id, state: random() < 0.5 ? 'Active' : 'Draining' }, commandId }
                  : { type: 'ProvisionLogServer', data: { node: node.id, marker: { nodeId: node.id, markerId: `${node.name}-disk`, createdAt: '2026-01-01T00:00:00.000Z' } }, commandId };
          try {
            const result = (await engine.execute(input)) as unknown as { node?: string };
            if (input.type === 'RegisterNode' && result.node !== undefined) {
              const registered = parseGenerationalNodeId(result.node);
              told.push({ commandId, ...registered });
              mine.push({ ...registered, name: (input.data as { name: string }).name });
            }
            // A caller that retries with the same id gets the original outcome back.
            if (random() < 0.1) await engine.execute(input);
          } catch (error) {
            if (isClusterchartError(error) && !['TooManyConflicts', 'StoreUnavailable', 'WrongExpectedVersion', 'DuplicateEventId', 'AppendTooLarge'].includes(error.code)) refusedByDomain++;
            else spurious.push(`${input.type} ${commandId}: ${String(error)}`);
          }
          if (!killed && told.length >= 40) {
            killed = true;
            const leader = await cluster.leader();
            await cluster.kill(leader, 'SIGKILL');
            restarted = sleep(500).then(() => cluster.restart(leader));
          }
        }
      }),
    );
    await Promise.all(callers);
    await Promise.all(engines.map((e) => e.close()));
    await restarted;
    expect(killed).toBe(true);

    const readStream = async (stream: string) => collect(innerA.readStream(stream));
    const clusterEvents = await readStream(clusterStreamId('test'));
    const observations = await readStream(observationsStreamId('test'));
    const runs = new Map<string, number>();
    let previous: string | null = null;
    for (const e of [...clusterEvents, ...observations]) {
      const commandId = (e.metadata as { commandId: string }).commandId;
      if (commandId !== previous) runs.set(commandId, (runs.get(commandId) ?? 0) + 1);
      previous = commandId;
    }
    const registered = clusterEvents.filter((e) => e.type === 'NodeRegistered').map((e) => (e.data as { nodeId: number }).nodeId);
    const byCommand = new Map(clusterEvents.filter((e) => e.type === 'NodeRegistered').map((e) => [(e.metadata as { commandId: string }).commandId, e.data as { nodeId: number; generation: number }]));
    const fresh = await createEngine({ store: innerA, cluster: 'test', logger: silent });
    const freshState = fresh.state();
    await fresh.close();
    const summary = {
      commands: 2 * perEngine,
      registered: registered.length,
      refusedByDomain,
      lostResponses: lossyA.stats.lostResponses + lossyB.stats.lostResponses,
      appends: lossyA.stats.appends + lossyB.stats.appends,
      clusterEvents: clusterEvents.length,
      observationEvents: observations.length,
    };
    console.log(`engines on etcd: ${JSON.stringify(summary)}`);
    await Promise.all([innerA.close(), innerB.close()]);

    expect(spurious).toEqual([]);
    expect([...runs].filter(([, count]) => count > 1)).toEqual([]);
    expect(new Set(registered).size).toBe(registered.length);
    expect(told.filter((t) => byCommand.get(t.commandId)?.nodeId !== t.id)).toEqual([]);
    expect(clusterEvents.map((e) => e.revision)).toEqual([...clusterEvents.keys()]);
    expect(await verifyHashChain(clusterEvents)).toMatchObject({ ok: true, events: clusterEvents.length });
    expect(await verifyHashChain(observations)).toMatchObject({ ok: true, events: observations.length });
    expect(freshState).toEqual(foldEvents(emptyClusterState(), clusterEvents.map((e) => parseDomainEvent(e))));
    expect(summary.lostResponses).toBeGreaterThan(10);
  });
});

// Last: it turns authentication on for the shared cluster.
describe.skipIf(skip !== undefined)('etcd store with authentication', () => {
  it('works with a user limited to its prefix; a wrong password or prefix is StoreUnavailable without the secret', async () => {
    const { execFileSync } = await import('node:child_process');
    const ctl = (...args: string[]) =>
      execFileSync('/usr/bin/etcdctl', [`--endpoints=${cluster.endpoints.join(',')}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: 'pipe' });
    const secret = 'Pw-for-clusterchart-7';
    ctl('user', 'add', 'root:root-pw');
    ctl('user', 'add', `cc:${secret}`);
    ctl('role', 'add', 'cc');
    ctl('role', 'grant-permission', 'cc', '--prefix=true', 'readwrite', 'authed/');
    ctl('user', 'grant-role', 'cc', 'cc');
    ctl('auth', 'enable');
    const withUser = (password: string, prefixPath: string) => cluster.url(prefixPath).replace('etcd://', `etcd://cc:${password}@`);
    const store = await openEtcdStore(withUser(secret, 'authed'));
    try {
      expect(store.url).not.toContain(secret);
      expect((await store.appendToStream('s', [event('A')], { expectedRevision: 'no-stream' })).nextRevision).toBe(0);
      expect((await collect(store.readAll())).map((e) => e.type)).toEqual(['A']);
    } finally {
      await store.close();
    }
    for (const url of [withUser('wrong-password', 'authed'), withUser(secret, 'elsewhere')]) {
      const error = await refusal(openEtcdStore(url), 'StoreUnavailable');
      expect(error.context).toMatchObject({ reason: 'auth' });
      expect(`${error.message} ${JSON.stringify(error)} ${String(error.stack)}`).not.toContain(secret);
    }
  });
});

const ev = (position: number): RecordedEvent => ({ id: `id-${position}`, type: 'E', data: {}, metadata: {}, streamId: 's', revision: position, position });
const kvOf = (e: RecordedEvent) => ({ kv: e as unknown as IKeyValue, type: 'Put' as const });

class FakeWatcher extends EventEmitter {
  cancelled = false;
  cancel(): Promise<void> {
    this.cancelled = true;
    return Promise.resolve();
  }
}

describe('etcd subscription loop (scripted source)', () => {
  it('resumes by range read after a compacted or disconnected watch: no gap, no duplicate', async () => {
    const stored: RecordedEvent[] = Array.from({ length: 10 }, (_, i) => ev(i + 1));
    const watchers: { from: number; watcher: FakeWatcher }[] = [];
    let unavailable = 2;
    const source = {
      readPage: (after: number, limit: number): Promise<AllPage> => {
        if (watchers.length === 1 && unavailable-- > 0) return Promise.reject(new Error('14 UNAVAILABLE: no leader'));
        const events = stored.filter((e) => e.position > after).slice(0, limit);
        const more = stored.filter((e) => e.position > after).length > limit;
        return Promise.resolve({ events, revision: stored.length, more, after: events.at(-1)?.position ?? after });
      },
      watch: (from: number) => {
        const watcher = new FakeWatcher();
        watchers.push({ from, watcher });
        return watcher as unknown as Watcher;
      },
      decode: (kv: IKeyValue) => kv as unknown as RecordedEvent,
      translate: (error: unknown) => new ClusterchartError('StoreUnavailable', String(error)),
      pageSize: 4,
    };
    const seen: number[] = [];
    const sub = new EtcdSubscription(source, { fromPosition: 2 }, (e) => void seen.push(e.position), () => undefined);
    await waitFor(() => watchers.length === 1);
    expect(watchers[0]!.from).toBe(11);
    stored.push(ev(11), ev(12));
    watchers[0]!.watcher.emit('data', { events: [kvOf(ev(12)), kvOf(ev(11))] });
    await waitFor(() => seen.length === 10);
    // Written while the watch is broken: the watch never sends them; the range read must.
    stored.push(ev(13), ev(14), ev(15));
    watchers[0]!.watcher.emit('error', new Error('Watcher canceled: mvcc: required revision has been compacted'));
    await waitFor(() => watchers.length === 2);
    expect(watchers[0]!.watcher.cancelled).toBe(true);
    expect(watchers[1]!.from).toBe(16);
    // A replay overlapping what was delivered is dropped.
    stored.push(ev(16));
    watchers[1]!.watcher.emit('data', { events: [kvOf(ev(14)), kvOf(ev(15)), kvOf(ev(16))] });
    watchers[1]!.watcher.emit('disconnected', new Error('14 UNAVAILABLE: member died'));
    await waitFor(() => watchers.length === 3);
    await sub.stop();
    expect(seen).toEqual(Array.from({ length: 14 }, (_, i) => i + 3));
    expect(unavailable).toBeLessThan(0);
  });
});

describe('etcd mapping (no cluster)', () => {
  const grpc = (code: number, message: string) => Object.assign(new Error(message), { code });
  const ctx = { url: 'etcd://h:2379/p', operation: 'append' as const, stream: 's' };

  it('translates driver errors in one place: limits, auth, bad input, and everything else unavailable', () => {
    expect(translateEtcdError(grpc(3, 'etcdserver: too many operations in txn request'), ctx)).toMatchObject({ code: 'AppendTooLarge', context: { limit: 'maxEventsPerAppend' } });
    expect(translateEtcdError(grpc(3, 'etcdserver: request is too large'), ctx)).toMatchObject({ code: 'AppendTooLarge', context: { limit: 'maxBytesPerAppend' } });
    expect(translateEtcdError(grpc(3, 'etcdserver: authentication failed, invalid user ID or password'), ctx)).toMatchObject({ code: 'StoreUnavailable', context: { reason: 'auth' } });
    expect(translateEtcdError(grpc(7, 'etcdserver: permission denied'), ctx)).toMatchObject({ code: 'StoreUnavailable', context: { reason: 'auth' } });
    expect(translateEtcdError(grpc(3, 'invalid key'), ctx).code).toBe('InvalidInput');
    for (const error of [grpc(14, 'etcdserver: leader changed'), grpc(14, 'No connection established'), grpc(4, 'Deadline exceeded'), new Error('Breaker is open')]) {
      const translated = translateEtcdError(error, ctx);
      expect(translated.code).toBe('StoreUnavailable');
      expect(translated.message).toMatch(/may or may not have committed/);
    }
    const own = new ClusterchartError('WrongExpectedVersion', 'x');
    expect(translateEtcdError(own, ctx)).toBe(own);
    expect(translateEtcdError(new Error('dial etcd://bob:hunter2@h:2379 failed'), ctx).message).not.toContain('hunter2');
  });

  it('limits follow the server settings; positions stay exact integers', () => {
    expect(etcdLimits({ maxTxnOps: 128, maxRequestBytes: 1_572_864 })).toEqual({ maxEventsPerAppend: 63, maxBytesPerAppend: 1_310_720 });
    expect(etcdLimits({ maxTxnOps: 10_000, maxRequestBytes: 10 * 1024 * 1024 }).maxEventsPerAppend).toBe(1024);
    expect(toPosition(2, 0, 'u')).toBe(2048);
    expect(Number.isSafeInteger(toPosition(2 ** 43 - 1, 1023, 'u'))).toBe(true);
    expect(() => toPosition(2 ** 43, 0, 'u')).toThrow(/exact/);
  });
});
