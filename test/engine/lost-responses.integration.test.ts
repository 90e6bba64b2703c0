/**
 * Restate's provisioning bug must be impossible here: the append of `Provisioning -> ReadWrite`
 * commits but its response is lost. Retried by the same engine, by a new engine and by a second process, the
 * provisioning succeeds every time and exactly one transition is recorded.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterStreamId } from '../../src/domain/events.js';
import type { Engine } from '../../src/engine/engine.js';
import { createLossyStore, seededRandom } from '../../src/testing/lossy-store.js';
import { wrapStore } from '../../src/testing/wrap-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { nodeFixture } from '../support/node-fixture.js';
import { capturingLogger, dumpStore, freshStore, markerOf, openTestEngine, readStreamEvents, tempDbPath } from './support/harness.js';

const run = promisify(execFile);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Count of recorded `Provisioning -> ReadWrite` transitions of a node's log server. */
async function provisioningsOf(store: EventStore, node: number): Promise<number> {
  const events = await readStreamEvents(store, clusterStreamId('test'));
  return events.filter((e) => {
    const d = e.data as Record<string, unknown>;
    return d.machine === 'log-server' && d.node === node && d.from === 'Provisioning' && d.to === 'ReadWrite';
  }).length;
}

/**
 * A store whose next append commits and then throws, and whose reads can be made to fail (the connection is down):
 * the engine cannot learn the outcome and must surface an error.
 */
function unreliable(inner: EventStore) {
  const state = { loseNextResponse: false, readsFail: false };
  const store = wrapStore(inner, {
    async appendToStream(stream, events, options) {
      const result = await inner.appendToStream(stream, events, options);
      if (state.loseNextResponse) {
        state.loseNextResponse = false;
        state.readsFail = true;
        throw new Error('connection reset after commit');
      }
      return result;
    },
    readStream(stream, options) {
      if (state.readsFail) return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('connection refused')) }) };
      return inner.readStream(stream, options);
    },
    streamRevision: (stream) => (state.readsFail ? Promise.reject(new Error('connection refused')) : inner.streamRevision(stream)),
  });
  return { store, state };
}

async function provisionedCluster(engine: Engine): Promise<void> {
  await engine.provision();
  await engine.registerNode({ name: 'n1', roles: ['log-server'] });
}

describe('a lost response to Provisioning -> ReadWrite', () => {
  it('is resolved inside the engine: the tail shows the append committed, the caller gets success', async () => {
    const { store: inner, dispose } = await freshStore('memory');
    cleanups.push(dispose);
    const { logger, records } = capturingLogger('info');
    const lossy = createLossyStore(inner, { lostResponseRate: 1, random: seededRandom(1), affects: (s) => s === clusterStreamId('test') });
    const engine = await openTestEngine(inner);
    await provisionedCluster(engine);
    await engine.close();

    const retrying = await openTestEngine(lossy.store, { logger });
    cleanups.push(() => retrying.close());
    const result = await retrying.provisionLogServer({ node: 'N1', marker: markerOf(1), commandId: 'provision-n1' });
    expect(result).toMatchObject({ storageState: 'ReadWrite', alreadyApplied: false });
    expect(lossy.stats.lostResponses).toBe(1);
    expect(records.some((r) => r.level === 40 && r.msg === 'append outcome unknown; reading the tail to find out')).toBe(true);
    expect(await provisioningsOf(inner, 1)).toBe(1);
  });

  it('retried by the same engine, by a new engine, and with a new command id: one transition', async () => {
    const { store: inner, dispose } = await freshStore('sqlite');
    cleanups.push(dispose);
    const { store, state } = unreliable(inner);
    const engine = await openTestEngine(store);
    cleanups.push(() => engine.close());
    await provisionedCluster(engine);

    state.loseNextResponse = true;
    await expect(engine.provisionLogServer({ node: 'N1', marker: markerOf(1), commandId: 'provision-n1' })).rejects.toMatchObject({
      code: 'StoreUnavailable',
    });
    expect(await provisioningsOf(inner, 1)).toBe(1); // it did commit

    state.readsFail = false;
    const sameEngine = await engine.provisionLogServer({ node: 'N1', marker: markerOf(1), commandId: 'provision-n1' });
    expect(sameEngine).toMatchObject({ node: 'N1', storageState: 'ReadWrite', alreadyApplied: true });

    const before = await dumpStore(inner);
    const fresh = await openTestEngine(inner);
    cleanups.push(() => fresh.close());
    expect(await fresh.provisionLogServer({ node: 'N1', marker: markerOf(1), commandId: 'provision-n1' })).toMatchObject({
      storageState: 'ReadWrite',
      alreadyApplied: true,
    });
    // A restarted log server that lost its command id but has its marker on disk: success, nothing written.
    expect(await fresh.provisionLogServer({ node: 'N1', marker: markerOf(1), commandId: 'provision-n1-after-restart' })).toMatchObject({
      storageState: 'ReadWrite',
      alreadyApplied: true,
    });
    await expect(fresh.provisionLogServer({ node: 'N1', marker: markerOf(1, 'other-disk') })).rejects.toMatchObject({ code: 'MarkerMismatch' });
    expect(await dumpStore(inner)).toBe(before);
    expect(await provisioningsOf(inner, 1)).toBe(1);
  });

  it('retried by a second process on the same SQLite file: success, one transition', async () => {
    const temp = tempDbPath();
    cleanups.push(temp.dispose);
    const inner = await openSqliteStore(temp.path);
    cleanups.push(() => inner.close());
    const { store, state } = unreliable(inner);
    const engine = await openTestEngine(store);
    cleanups.push(() => engine.close());
    await provisionedCluster(engine);
    state.loseNextResponse = true;
    await expect(engine.provisionLogServer({ node: 'N1', marker: markerOf(1), commandId: 'provision-n1' })).rejects.toMatchObject({
      code: 'StoreUnavailable',
    });

    const fixture = await nodeFixture(new URL('./fixtures/provision-log-server.ts', import.meta.url));
    const child = async (commandId: string, markerId: string) => {
      const { stdout } = await run(process.execPath, [fixture, temp.path, commandId, markerId], { cwd: process.cwd() });
      return JSON.parse(stdout.trim().split('\n').pop()!) as { ok: boolean; result?: Record<string, unknown>; code?: string };
    };
    expect(await child('provision-n1', 'marker-1')).toMatchObject({ ok: true, result: { storageState: 'ReadWrite', alreadyApplied: true } });
    expect(await child('provision-n1-again', 'marker-1')).toMatchObject({ ok: true, result: { storageState: 'ReadWrite', alreadyApplied: true } });
    expect(await child('provision-n1-intruder', 'another-disk')).toMatchObject({ ok: false, code: 'MarkerMismatch' });
    expect(await provisioningsOf(inner, 1)).toBe(1);
  });
});

describe('a read that fails midway through a catch-up', () => {
  it('leaves the engine where it was, and the next catch-up applies everything once', async () => {
    const { store: inner, dispose } = await freshStore('memory');
    cleanups.push(dispose);
    let failAfter = Infinity;
    const flaky = wrapStore(inner, {
      readStream(stream, options) {
        const source = inner.readStream(stream, options);
        return {
          async *[Symbol.asyncIterator]() {
            let n = 0;
            for await (const event of source) {
              if (n++ >= failAfter) throw new Error('connection reset while reading');
              yield event;
            }
          },
        };
      },
    });
    const reader = await openTestEngine(flaky);
    cleanups.push(() => reader.close());
    const writer = await openTestEngine(inner);
    cleanups.push(() => writer.close());
    await writer.provision();
    for (let i = 0; i < 5_000; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, k) => writer.registerNode({ name: `n${i + k}`, roles: ['worker'] })));
    }

    failAfter = 4_500; // past the first chunk of 4,096 events
    await expect(reader.refresh()).rejects.toThrow('connection reset while reading');
    expect(reader.state().revision).toBe(-1);
    failAfter = Infinity;
    await reader.refresh();
    expect(reader.state()).toEqual(writer.state());
    expect(await reader.registerNode({ name: 'n1', roles: ['worker'] })).toMatchObject({ created: false, node: "N2:2" });
  });
});
