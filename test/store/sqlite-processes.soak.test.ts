/**
 * The sqlite store with real processes: concurrent writers on one file, SIGKILL at random moments, and files
 * it must refuse without writing to them. Children are the fixtures/ scripts, started with node (../support/node-fixture.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore, SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite.js';
import { nodeFixture } from '../support/node-fixture.js';
import { collect, event, waitFor } from './conformance.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'clusterchart-sqlite-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each fixture's runnable JavaScript, by script name. */
const scripts = new Map<string, string>();
beforeAll(async () => {
  for (const script of ['sqlite-writer.ts', 'sqlite-crash-writer.ts', 'sqlite-open.ts']) scripts.set(script, await nodeFixture(join(here, 'fixtures', script)));
});

type Child = { lines: string[]; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; kill: () => void; stderr: () => string };

function run(script: string, args: readonly string[]): Child {
  const child = spawn(process.execPath, [scripts.get(script)!, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { lines, exited, kill: () => child.kill('SIGKILL'), stderr: () => stderr };
}

async function finish(child: Child): Promise<string[]> {
  const { code } = await child.exited;
  if (code !== 0) throw new Error(`child failed with ${code}: ${child.stderr()}`);
  return child.lines;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readStore(path: string): Promise<RecordedEvent[]> {
  const store = await openSqliteStore(path);
  try {
    return await collect(store.readAll());
  } finally {
    await store.close();
  }
}

function integrityCheck(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

describe('sqlite store with several processes', () => {
  it('4 writers with optimistic concurrency: every acknowledged event stored exactly once, revisions dense', async () => {
    const path = join(dir, 'concurrent.db');
    const barrier = join(dir, 'concurrent.go');
    const perWriter = 120;
    const writers = ['w1', 'w2', 'w3', 'w4'].map((w) => run('sqlite-writer.ts', [path, w, String(perWriter), '2', barrier]));
    // Released together (after every child has loaded) so their appends collide.
    await sleep(300);
    writeFileSync(barrier, '');
    const outputs = await Promise.all(writers.map(finish));

    const acked = outputs.flatMap((lines) => lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4)));
    const conflicts = outputs.reduce((sum, lines) => sum + Number(lines.find((l) => l.startsWith('done '))!.slice(5)), 0);
    expect(acked).toHaveLength(4 * perWriter);
    expect(conflicts).toBeGreaterThan(0);

    const events = await readStore(path);
    expect(events.map((e) => e.id).sort()).toEqual([...acked].sort());
    for (const stream of ['shared-0', 'shared-1']) {
      const revisions = events.filter((e) => e.streamId === stream).map((e) => e.revision);
      expect(revisions).toEqual([...revisions.keys()]);
    }
    expect(integrityCheck(path)).toBe('ok');
  });

  it("a subscription in this process receives another process's appends (polling), in order, each once", async () => {
    const path = join(dir, 'cross-process.db');
    const barrier = join(dir, 'cross-process.go');
    const store = await openSqliteStore(path, { pollIntervalMs: 20 });
    const seen: RecordedEvent[] = [];
    const subscription = store.subscribeToAll({}, (e) => {
      seen.push(e);
    });
    writeFileSync(barrier, '');
    const acked = (await finish(run('sqlite-writer.ts', [path, 'remote', '40', '3', barrier]))).filter((l) => l.startsWith('ack ')).map((l) => l.slice(4));
    await waitFor(() => seen.length >= acked.length, "the other process's events");
    await subscription.stop();
    await store.close();
    expect(seen.map((e) => e.id)).toEqual(acked);
    expect(seen.map((e) => e.position)).toEqual([...seen.keys()].map((i) => i + 1));
  });

  it('survives 24 SIGKILLs at random moments: acknowledged batches present, no partial batch, dense revisions', async () => {
    const path = join(dir, 'crash.db');
    const acked = new Map<string, { stream: string; size: number }>();
    let acksSeen = 0;
    for (let round = 0; round < 24; round++) {
      const child = run('sqlite-crash-writer.ts', [path]);
      // Some kills land while the child opens (and, in round 0, creates) the store; most while it appends.
      if (round % 4 === 0) await sleep(Math.random() * 400);
      else {
        await Promise.race([child.exited, (async () => { while (!child.lines.includes('ready')) await sleep(5); })()]);
        await sleep(5 + Math.random() * 120);
      }
      child.kill();
      const { signal, code } = await child.exited;
      expect(signal === 'SIGKILL' || code === 0 ? 'killed' : child.stderr()).toBe('killed');
      for (const line of child.lines.filter((l) => l.startsWith('ack '))) {
        const [, batch, stream, size] = line.split(' ');
        acked.set(batch!, { stream: stream!, size: Number(size) });
        acksSeen++;
      }
      checkCrashInvariants(await readStore(path), acked);
    }
    // The kills must have interrupted real work, not only process start-up.
    expect(acksSeen).toBeGreaterThan(20);
    expect(integrityCheck(path)).toBe('ok');
  }, 120_000);
});

/** Every acknowledged batch is stored; every stored batch is whole and contiguous; revisions are dense from 0. */
function checkCrashInvariants(events: RecordedEvent[], acked: ReadonlyMap<string, { stream: string; size: number }>): void {
  const byStream = new Map<string, RecordedEvent[]>();
  for (const e of events) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
  const stored = new Set<string>();
  for (const [, streamEvents] of byStream) {
    expect(streamEvents.map((e) => e.revision)).toEqual([...streamEvents.keys()]);
    for (let i = 0; i < streamEvents.length; ) {
      const { batch, size } = streamEvents[i]!.data as { batch: string; size: number };
      const group = streamEvents.slice(i, i + size);
      expect(group.map((e) => [(e.data as { batch: string }).batch, (e.data as { index: number }).index])).toEqual(Array.from({ length: size }, (_, k) => [batch, k]));
      stored.add(batch);
      i += size;
    }
  }
  for (const [batch, { stream }] of acked) {
    expect(stored.has(batch) ? 'stored' : `acknowledged batch ${batch} of ${stream} missing`).toBe('stored');
  }
}

describe('sqlite store refuses bad files and bad data without writing', () => {
  type Report = { ok?: true; code?: string; message?: string; context?: Record<string, unknown> };
  const open = async (path: string, bad?: string): Promise<Report> => {
    const lines = await finish(run('sqlite-open.ts', bad === undefined ? [path] : [path, bad]));
    return JSON.parse(lines[0]!) as Report;
  };
  const snapshot = (path: string) => ({ bytes: readFileSync(path), wal: existsSync(`${path}-wal`) });

  async function storeWithEvents(name: string, count: number): Promise<string> {
    const path = join(dir, name);
    const store = await openSqliteStore(path);
    for (let i = 0; i < count; i += 100) {
      await store.appendToStream('s', Array.from({ length: Math.min(100, count - i) }, () => event('Filler', { pad: 'y'.repeat(300) })));
    }
    await store.close();
    return path;
  }

  it('a file that is not a SQLite database -> StoreCorrupt naming the file; bytes unchanged', async () => {
    const path = join(dir, 'not-a-db.db');
    writeFileSync(path, 'This is a text file that somebody passed as the store. '.repeat(20));
    const short = join(dir, 'tiny.db');
    writeFileSync(short, 'hi');
    for (const file of [path, short]) {
      const before = snapshot(file);
      const report = await open(file);
      expect(report.code).toBe('StoreCorrupt');
      expect(report.message).toContain(file);
      expect(report.message).toMatch(/not a SQLite database/);
      expect(snapshot(file)).toEqual(before);
      expect(existsSync(`${file}-wal`) || existsSync(`${file}-shm`)).toBe(false);
    }
  });

  it('a truncated database -> StoreCorrupt naming the file; bytes unchanged', async () => {
    const path = await storeWithEvents('truncated.db', 1000);
    const size = readFileSync(path).length;
    for (const cut of [Math.floor(size / 2 / 4096) * 4096, Math.floor(size / 3) + 17]) {
      truncateSync(path, cut);
      const before = snapshot(path);
      const report = await open(path);
      expect(report.code).toBe('StoreCorrupt');
      expect(report.message).toContain(path);
      expect(report.message).toMatch(/truncated/);
      expect(snapshot(path)).toEqual(before);
    }
  });

  it('a database written by a newer schema version -> SchemaTooNew naming the file; bytes unchanged', async () => {
    const path = await storeWithEvents('newer.db', 10);
    const db = new Database(path);
    db.prepare("INSERT INTO clusterchart_migrations (version, description, applied_at) VALUES (?, 'from the future', 'x')").run(SQLITE_SCHEMA_VERSION + 1);
    db.close();
    const before = snapshot(path);
    const report = await open(path);
    expect(report.code).toBe('SchemaTooNew');
    expect(report.message).toContain(path);
    expect(report.context).toMatchObject({ version: SQLITE_SCHEMA_VERSION + 1, supported: SQLITE_SCHEMA_VERSION });
    expect(snapshot(path)).toEqual(before);
  });

  it('a SQLite database of another application -> StoreCorrupt; bytes unchanged', async () => {
    const path = join(dir, 'foreign.db');
    const db = new Database(path);
    db.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada');");
    db.close();
    const before = snapshot(path);
    const report = await open(path);
    expect(report.code).toBe('StoreCorrupt');
    expect(report.message).toContain(path);
    expect(report.message).toMatch(/not a clusterchart store/);
    expect(snapshot(path)).toEqual(before);
  });

  it('data JSON cannot represent -> NotSerializable naming the event; nothing written', async () => {
    const path = await storeWithEvents('unserialisable.db', 5);
    const before = snapshot(path);
    for (const bad of ['bigint', 'cycle', 'function', 'undefined', 'nan']) {
      const report = await open(path, bad);
      expect(report.code).toBe('NotSerializable');
      expect(report.message).toContain('7b0c8a4e-1f2d-4c3b-9a8e-5d6f7a8b9c0d');
      expect(report.message).toContain('Unserialisable');
    }
    expect(snapshot(path)).toEqual(before);
    expect((await readStore(path)).length).toBe(5);
  });

  it('an empty file and a file holding only companion tables become stores', async () => {
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    expect(await open(empty)).toEqual({ ok: true });
    const companion = join(dir, 'companion.db');
    const db = new Database(companion);
    db.exec('CREATE TABLE projection_checkpoints (name TEXT PRIMARY KEY)');
    db.close();
    expect(await open(companion)).toEqual({ ok: true });
    const check = new Database(companion, { readonly: true });
    const tables = check.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    check.close();
    expect(tables).toEqual(['clusterchart_migrations', 'events', 'projection_checkpoints']);
  });
});
