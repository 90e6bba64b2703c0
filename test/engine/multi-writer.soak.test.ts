/**
 * Several writers, lost responses: two processes run thousands of random commands (valid and invalid)
 * against one SQLite file through stores that lose 20% of append responses after committing. Afterwards: no command
 * recorded twice, no duplicate transition, no spurious error, every registered node id unique and equal to what its
 * caller was told, an intact hash chain, and the engine's state equal to a fold of the stored events.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { foldEvents } from '../../src/decider/evolve.js';
import { emptyClusterState } from '../../src/domain/cluster-state.js';
import { clusterStreamId, observationsStreamId, parseDomainEvent } from '../../src/domain/events.js';
import { verifyHashChain } from '../../src/engine/hashing.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { nodeFixture } from '../support/node-fixture.js';
import { openTestEngine, readStreamEvents, tempDbPath } from './support/harness.js';

const run = promisify(execFile);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const COMMANDS_PER_WRITER = 5_000;

type WriterReport = {
  writer: string;
  commands: number;
  ok: number;
  alreadyApplied: number;
  retries: number;
  retryMismatches: number;
  refused: Record<string, number>;
  spurious: string[];
  spuriousCount: number;
  lost: { appends: number; lostResponses: number; lostRequests: number };
  conflicts: { count: number; maxAttempt: number };
  registrations: { commandId: string; id: number; generation: number }[];
};

describe('two processes, one SQLite file, 20% lost responses', () => {
  it(`runs ${2 * COMMANDS_PER_WRITER} random commands without a duplicate, a spurious error or a divergent state`, async () => {
    const temp = tempDbPath();
    cleanups.push(temp.dispose);
    const store = await openSqliteStore(temp.path);
    cleanups.push(() => store.close());
    const setup = await openTestEngine(store);
    await setup.provision();
    await setup.close();

    const fixture = await nodeFixture(new URL('./fixtures/random-writer.ts', import.meta.url));
    const writer = async (name: string, seed: number): Promise<WriterReport> => {
      const { stdout } = await run(process.execPath, [fixture, temp.path, name, String(seed), String(COMMANDS_PER_WRITER), '32', '0.2'], {
        maxBuffer: 64 * 1024 * 1024,
      });
      return JSON.parse(stdout.trim().split('\n').pop()!) as WriterReport;
    };
    const reports = await Promise.all([writer('a', 11), writer('b', 29)]);

    const cluster = await readStreamEvents(store, clusterStreamId('test'));
    const observations = await readStreamEvents(store, observationsStreamId('test'));

    // Each command's events are one contiguous run, written once.
    const runs = new Map<string, number>();
    let previous: string | null = null;
    for (const event of [...cluster, ...observations]) {
      const commandId = (event.metadata as { commandId: string }).commandId;
      if (commandId !== previous) runs.set(commandId, (runs.get(commandId) ?? 0) + 1);
      previous = commandId;
    }
    const recordedTwice = [...runs].filter(([, n]) => n > 1);

    // No transition recorded twice for the same command, and each log server provisioned at most once.
    const provisioned = new Map<number, number>();
    const registeredIds = new Map<number, string>();
    for (const event of cluster) {
      const data = event.data as Record<string, unknown>;
      if (data.machine === 'log-server' && data.from === 'Provisioning' && data.to === 'ReadWrite') {
        provisioned.set(data.node as number, (provisioned.get(data.node as number) ?? 0) + 1);
      }
      if (event.type === 'NodeRegistered') {
        expect(registeredIds.has(data.nodeId as number), `node id N${String(data.nodeId)} registered twice`).toBe(false);
        registeredIds.set(data.nodeId as number, (event.metadata as { commandId: string }).commandId);
      }
    }
    const provisionedTwice = [...provisioned].filter(([, n]) => n > 1);

    // What each caller was told matches the history.
    const byCommand = new Map<string, { nodeId: number; generation: number }>();
    for (const event of cluster) {
      if (event.type === 'NodeRegistered' || event.type === 'NodeRestarted') {
        const data = event.data as { nodeId: number; generation: number };
        byCommand.set((event.metadata as { commandId: string }).commandId, data);
      }
    }
    const told = reports.flatMap((r) => r.registrations);
    const mismatched = told.filter((t) => {
      const recorded = byCommand.get(t.commandId);
      return recorded === undefined ? false : recorded.nodeId !== t.id || recorded.generation !== t.generation;
    });

    const chain = await verifyHashChain(cluster);
    const observationsChain = await verifyHashChain(observations);
    const folded = foldEvents(emptyClusterState(), cluster.map((e) => parseDomainEvent(e)));
    const loaded = await openTestEngine(store, { snapshotEvery: 500 });
    const loadedState = loaded.state();
    await loaded.close();
    const replayed = await openTestEngine(store);
    const replayedState = replayed.state();
    await replayed.close();

    const summary = {
      commands: reports.reduce((n, r) => n + r.commands, 0),
      succeeded: reports.reduce((n, r) => n + r.ok, 0),
      alreadyApplied: reports.reduce((n, r) => n + r.alreadyApplied, 0),
      callerRetries: reports.reduce((n, r) => n + r.retries, 0),
      refusedByDomain: reports.reduce((n, r) => n + Object.values(r.refused).reduce((a, b) => a + b, 0), 0),
      lostResponses: reports.reduce((n, r) => n + r.lost.lostResponses, 0),
      appends: reports.reduce((n, r) => n + r.lost.appends, 0),
      conflicts: reports.reduce((n, r) => n + r.conflicts.count, 0),
      longestConflictRun: Math.max(...reports.map((r) => r.conflicts.maxAttempt)),
      clusterEvents: cluster.length,
      observationEvents: observations.length,
      nodesRegistered: registeredIds.size,
      logServersProvisioned: provisioned.size,
      duplicateTransitions: provisionedTwice.length + recordedTwice.length,
      spuriousErrors: reports.reduce((n, r) => n + r.spuriousCount + r.retryMismatches, 0),
    };
    console.log(`multi-writer: ${JSON.stringify(summary)}`);
    console.log(`refusals: ${JSON.stringify(reports.map((r) => r.refused))}`);

    expect(reports.flatMap((r) => r.spurious)).toEqual([]);
    expect(summary.spuriousErrors).toBe(0);
    expect(summary.commands).toBeGreaterThanOrEqual(10_000);
    expect(summary.lostResponses).toBeGreaterThan(100);
    expect(recordedTwice).toEqual([]);
    expect(provisionedTwice).toEqual([]);
    expect(mismatched).toEqual([]);
    expect(told.length).toBeGreaterThan(1000);
    expect(chain).toMatchObject({ ok: true, events: cluster.length });
    expect(observationsChain).toMatchObject({ ok: true, events: observations.length });
    expect(loadedState).toEqual(folded);
    expect(replayedState).toEqual(folded);
  }, 180_000);
});
