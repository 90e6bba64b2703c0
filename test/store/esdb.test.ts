/**
 * The EventStoreDB adapter: the whole conformance suite against a real server when `CLUSTERCHART_ESDB_URL` is
 * set (skipped with the reason otherwise), the same suite over an in-process fake of the client, and unit tests
 * of the mapping (expected revisions, positions, events, driver errors) that need no server.
 */
import { randomUUID } from 'node:crypto';
import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
} from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { isClusterchartError } from '../../src/domain/errors.js';
import {
  fromEsdbAppendResult,
  fromEsdbPosition,
  openEsdbStore,
  toEsdbExpectedRevision,
  toEsdbPosition,
  toEsdbReadPosition,
  toRecordedEvent,
  translateEsdbError,
} from '../../src/store/esdb.js';
import { openStore, parseStoreUrl } from '../../src/store/open-store.js';
import { collect, describeEventStoreConformance, event, refusal } from './conformance.js';
import { FakeEsdbClient } from './fixtures/fake-esdb-client.js';

const serverUrl = process.env.CLUSTERCHART_ESDB_URL;

describeEventStoreConformance('esdb (real server from CLUSTERCHART_ESDB_URL)', () => openEsdbStore(serverUrl ?? ''), {
  features: { isolated: false, globalIdUniqueness: false },
  skip: serverUrl === undefined || serverUrl === '' ? 'CLUSTERCHART_ESDB_URL is not set; see README "EventStoreDB / KurrentDB"' : undefined,
});

describeEventStoreConformance('esdb adapter over a fake client (no server)', () => openEsdbStore('esdb://localhost:2113?tls=false', { client: new FakeEsdbClient() }), {
  features: { isolated: true, globalIdUniqueness: false },
});

describe('esdb mapping', () => {
  it('maps expected revisions to the client constants and bigint', () => {
    expect(toEsdbExpectedRevision('no-stream')).toBe(NO_STREAM);
    expect(toEsdbExpectedRevision('exists')).toBe(STREAM_EXISTS);
    expect(toEsdbExpectedRevision('any')).toBe(ANY);
    expect(toEsdbExpectedRevision(0)).toBe(0n);
    expect(toEsdbExpectedRevision(41)).toBe(41n);
  });

  it('maps positions both ways and refuses a commit position beyond 2^53', () => {
    expect(fromEsdbPosition({ commit: 1234n, prepare: 1234n })).toBe(1234);
    expect(fromEsdbPosition(undefined)).toBe(0);
    expect(fromEsdbPosition({ commit: 0xffffffffffffffffn, prepare: 0xffffffffffffffffn })).toBe(0);
    expect(fromEsdbPosition({ commit: BigInt(Number.MAX_SAFE_INTEGER), prepare: 0n })).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => fromEsdbPosition({ commit: BigInt(Number.MAX_SAFE_INTEGER) + 1n, prepare: 0n })).toThrow(/2\^53/);
    expect(toEsdbPosition(987)).toEqual({ commit: 987n, prepare: 987n });
    expect(toEsdbReadPosition(0)).toBe(START);
    expect(toEsdbReadPosition(1)).toBe(START);
    expect(toEsdbReadPosition(5000)).toEqual({ commit: 5000n, prepare: 5000n });
  });

  it('maps an append result and refuses an unsuccessful one', () => {
    expect(fromEsdbAppendResult({ success: true, nextExpectedRevision: 4n, position: { commit: 77n, prepare: 77n } }, 's', 'esdb://h')).toEqual({ nextRevision: 4, position: 77 });
    expect(() => fromEsdbAppendResult({ success: false, nextExpectedRevision: -1n, position: undefined }, 's', 'esdb://h')).toThrow(/failed append/);
  });

  it('maps JSON events and skips links, system events and foreign non-JSON events in $all', () => {
    const base = { streamId: 'cluster-a', id: randomUUID(), revision: 3n, type: 'NodeRegistered', created: new Date(0), position: { commit: 500n, prepare: 500n }, isJson: true, data: { n: 1 }, metadata: { commandId: 'c' } };
    const wrap = (e: object): AllStreamResolvedEvent => ({ event: e as never, commitPosition: 500n });
    expect(toRecordedEvent(wrap(base), 'all')).toEqual({ id: base.id, type: 'NodeRegistered', data: { n: 1 }, metadata: { commandId: 'c' }, streamId: 'cluster-a', revision: 3, position: 500 });
    expect(toRecordedEvent(wrap({ ...base, metadata: undefined }), 'all')?.metadata).toEqual({});
    expect(toRecordedEvent({ commitPosition: 1n }, 'all')).toBeUndefined();
    expect(toRecordedEvent(wrap({ ...base, type: '$metadata' }), 'all')).toBeUndefined();
    expect(toRecordedEvent(wrap({ ...base, streamId: '$stats-1' }), 'all')).toBeUndefined();
    const binary = { ...base, isJson: false, data: new Uint8Array([1]) };
    expect(toRecordedEvent(wrap(binary), 'all')).toBeUndefined();
    expect(() => toRecordedEvent(wrap(binary), 'stream')).toThrow(expect.objectContaining({ code: 'HistoryInvalid' }) as Error);
  });

  it('translates WrongExpectedVersionError into WrongExpectedVersion with stream, expected and actual (-1 for no stream)', () => {
    const existing = translateEsdbError(new WrongExpectedVersionError(undefined, { streamName: 'cluster-a', expected: 3n, current: 5n }), { url: 'esdb://h', operation: 'append', stream: 'cluster-a', expected: 3 });
    expect(isClusterchartError(existing, 'WrongExpectedVersion')).toBe(true);
    expect((existing as unknown as { context: unknown }).context).toEqual({ stream: 'cluster-a', expected: 3, actual: 5 });
    const missing = translateEsdbError(new WrongExpectedVersionError(undefined, { streamName: 'cluster-b', expected: STREAM_EXISTS, current: NO_STREAM }), { url: 'esdb://h', operation: 'append', stream: 'cluster-b', expected: 'exists' });
    expect((missing as unknown as { context: unknown }).context).toEqual({ stream: 'cluster-b', expected: 'exists', actual: -1 });
  });

  it('translates unreachable servers into StoreUnavailable naming the URL, never the password', () => {
    const grpc = Object.assign(new Error('14 UNAVAILABLE: No connection established to esdb://admin:s3cret@db:2113'), { code: 14 });
    for (const error of [grpc, new UnavailableError(), Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4 })]) {
      const translated = translateEsdbError(error, { url: 'esdb://db:2113?tls=false', operation: 'read' });
      expect(isClusterchartError(translated, 'StoreUnavailable')).toBe(true);
      expect(translated.message).toContain('esdb://db:2113?tls=false');
      expect(translated.message).toContain('unreachable');
      expect(translated.message).not.toContain('s3cret');
    }
    const other = translateEsdbError(new StreamNotFoundError(undefined, 'x'), { url: 'esdb://db', operation: 'read' });
    expect(isClusterchartError(other, 'StoreUnavailable')).toBe(true);
    const denied = translateEsdbError(Object.assign(new Error('denied'), { type: 'access-denied' }), { url: 'esdb://db', operation: 'read' });
    expect(denied.message).toMatch(/user and password/);
    const tooBig = translateEsdbError(Object.assign(new Error('too big'), { type: 'maximum-append-size-exceeded' }), { url: 'esdb://db', operation: 'append', stream: 's' });
    expect(isClusterchartError(tooBig, 'InvalidInput')).toBe(true);
  });

  it('passes event ids and the expected revision through to the server unchanged', async () => {
    const client = new FakeEsdbClient();
    const store = await openEsdbStore('esdb://localhost:2113?tls=false', { client });
    const batch = [event('A'), event('B')];
    await store.appendToStream('cluster-x', batch, { expectedRevision: 'no-stream' });
    await store.appendToStream('cluster-x', [event('C')], { expectedRevision: 1 });
    await store.appendToStream('cluster-x', [event('D')], { expectedRevision: 'exists' });
    expect(client.requests.map((r) => r.expectedRevision)).toEqual([NO_STREAM, 1n, STREAM_EXISTS]);
    expect(client.requests[0]!.ids).toEqual(batch.map((e) => e.id));
    expect((await collect(store.readStream('cluster-x'))).map((e) => e.id).slice(0, 2)).toEqual(batch.map((e) => e.id));
    await store.close();
  });

  it('an unreachable server fails open, reads and appends with StoreUnavailable and a password-free URL', async () => {
    const client = new FakeEsdbClient();
    client.unavailable = true;
    const open = openEsdbStore('esdb://admin:s3cret@db.internal:2113?tls=false', { client });
    const error = await refusal(open, 'StoreUnavailable');
    expect(error.message).toContain('esdb://db.internal:2113?tls=false');
    expect(error.message).not.toContain('s3cret');

    const later = new FakeEsdbClient();
    const store = await openEsdbStore('kurrentdb://admin:s3cret@db.internal:2113?tls=false', { client: later });
    expect(store.url).toBe('kurrentdb://db.internal:2113?tls=false');
    later.unavailable = true;
    await refusal(store.appendToStream('s', [event('A')]), 'StoreUnavailable');
    await refusal(collect(store.readAll()), 'StoreUnavailable');
    await refusal(collect(store.readStream('s')), 'StoreUnavailable');
    await store.close();
  });

  it('with the real client, a refused connection is StoreUnavailable without credentials', async () => {
    const error = await refusal(openStore('esdb://admin:s3cret@127.0.0.1:1?tls=false&defaultDeadline=3000&maxDiscoverAttempts=1'), 'StoreUnavailable');
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).not.toContain('s3cret');
  });

  it('refuses URLs that are not EventStoreDB connection strings with InvalidInput', async () => {
    await refusal(openEsdbStore('http://localhost:2113'), 'InvalidInput');
    await refusal(openEsdbStore('esdb://localhost:2113?tls=maybe'), 'InvalidInput');
    expect(parseStoreUrl('kurrentdb+discover://a:b@h:2113')).toEqual({ kind: 'esdb', url: 'kurrentdb+discover://a:b@h:2113', connectionString: 'esdb+discover://a:b@h:2113' });
  });

  it('reads after a checkpoint with afterPosition, starting the server read at the checkpoint event itself', async () => {
    const client = new FakeEsdbClient();
    const store = await openEsdbStore('esdb://localhost:2113?tls=false', { client });
    const first = await store.appendToStream('s', [event('A')]);
    await store.appendToStream('s', [event('B')]);
    // The fake refuses positions that are not event boundaries, as a server does.
    await refusal(collect(store.readAll({ fromPosition: first.position + 1 })), 'StoreUnavailable');
    expect((await collect(store.readAll({ afterPosition: first.position }))).map((e) => e.type)).toEqual(['B']);
    await store.close();
  });
});
