/* eslint-disable @typescript-eslint/no-unsafe-call -- the CLI's JSON output is read untyped */
/**
 * The main job end to end: `clusterchart demo` on a fresh SQLite store, the store it leaves behind inspected by
 * the other commands, and `verify` catching every kind of tampering done to that file with SQL.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../../src/engine/hashing.js';
import { type CliResult, cli, readRows, tamper, tempStore } from './support/cli.js';

const store = tempStore();
let demo: CliResult;

beforeAll(async () => {
  demo = await store.run(['demo']);
  // Fold the WAL into the main file so that a plain file copy is a complete store.
  const db = new Database(store.path);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
});
afterAll(() => store.cleanup());

type Report = { ok: boolean; events: number; problems: { position: number; code: string; message: string }[] };

let copies = 0;
/** A private copy of the demo's store, tampered with by `sql`, then verified. */
async function verifyTampered(...statements: [string, ...unknown[]][]): Promise<Report> {
  const path = join(store.dir, `tampered-${++copies}.db`);
  copyFileSync(store.path, path);
  for (const [sql, ...params] of statements) expect(tamper(path, sql, ...params), sql).toBeGreaterThan(0);
  const result = await cli(['--store', `sqlite:${path}`, 'verify', '--json']);
  expect(result.code, result.stdout + result.stderr).toBe(1);
  const report = result.json<Report>();
  expect(report.ok).toBe(false);
  return report;
}

/** The row of the first event of the cluster stream matching a predicate. */
function findRow(predicate: (data: Record<string, unknown>, type: string) => boolean) {
  const row = readRows(store.path).find((r) => r.stream === 'cluster-demo' && predicate(JSON.parse(r.data) as Record<string, unknown>, r.type));
  if (row === undefined) throw new Error('no such row in the demo store');
  return row;
}

describe('clusterchart demo', () => {
  it('tells the whole story and exits 0', () => {
    expect(demo.code, demo.stdout + demo.stderr).toBe(0);
    const out = demo.stdout;
    for (const chapter of ['1. Provision', '2. Register', '3. Metadata', '4. Log servers', '5. Heartbeats', '6. Drain and remove', '7. Health', '8. The audit trail', '9. Verify']) {
      expect(out).toContain(chapter);
    }
    expect(out).toMatch(/ReservedNodeId/);
    expect(out).toMatch(/N3 is still AutoJoin/);
    expect(out).toMatch(/already applied: nothing written/);
    expect(out).toMatch(/MarkerFromAnotherNode/);
    expect(out).toMatch(/N5 appears nowhere/);
    expect(out).toMatch(/the hash chain holds/);
  });

  it('leaves a store the other commands can inspect', async () => {
    const list = (await store.run(['nodes', 'list', '--json'])).json();
    expect(list).toContainEqual({ id: 'N5', removed: true });
    expect(list.filter((n: { removed: boolean }) => !n.removed)).toHaveLength(4);
    const n4 = (await store.run(['audit', '--node', 'N4', '--json'])).json();
    expect(n4.filter((e: { from: string; to: string }) => e.from === 'Provisioning' && e.to === 'ReadWrite')).toHaveLength(1);
    expect((await store.run(['verify'])).code).toBe(0);
  });

  it('runs again over an earlier demo, and refuses a store holding anything else unless --reset --yes', async () => {
    const before = readRows(store.path).length;
    // On copies of this store, so the tamper tests below keep the original.
    const rerun = join(store.dir, 'rerun.db');
    copyFileSync(store.path, rerun);
    const again = await cli(['--store', `sqlite:${rerun}`, 'demo', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/earlier run of this demo/);
    expect(again.json()).toMatchObject({ cluster: 'demo', verify: { ok: true, problems: [] }, health: { healthy: true } });
    expect(readRows(rerun)).toHaveLength(before);

    const mixed = join(store.dir, 'mixed.db');
    copyFileSync(store.path, mixed);
    expect((await cli(['--store', `sqlite:${mixed}`, '--cluster', 'other', 'provision', '--json'])).code).toBe(0);
    const withOther = readRows(mixed).length;
    const refused = await cli(['--store', `sqlite:${mixed}`, 'demo', '--json']);
    expect(refused.code).toBe(2);
    expect(refused.json().error.message).toMatch(/--reset/);
    expect(readRows(mixed)).toHaveLength(withOther);

    const unconfirmed = await cli(['--store', `sqlite:${mixed}`, 'demo', '--reset', '--json']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.json().error.message).toMatch(/--yes/);
    expect(readRows(mixed)).toHaveLength(withOther);

    const reset = await cli(['--store', `sqlite:${mixed}`, 'demo', '--reset', '--yes', '--json']);
    expect(reset.code, reset.stderr).toBe(0);
    const summary = reset.json();
    expect(summary).toMatchObject({ cluster: 'demo', verify: { ok: true, problems: [] }, health: { healthy: true } });
    expect(summary.steps.length).toBeGreaterThan(25);
    expect(readRows(mixed)).toHaveLength(before);
  });
});

describe.concurrent('verify catches tampering with the SQLite file', () => {
  it('an event whose data was changed', async () => {
    const row = findRow((_, type) => type === 'NodeRegistered');
    const report = await verifyTampered([`UPDATE events SET data = json_set(data, '$.name', 'mallory') WHERE position = ?`, row.position]);
    expect(report.problems).toContainEqual(expect.objectContaining({ position: row.position, code: 'HashMismatch' }));
  });

  it('a deleted event', async () => {
    const row = findRow((data) => data.machine === 'metadata-membership');
    const report = await verifyTampered(['DELETE FROM events WHERE position = ?', row.position]);
    const codes = report.problems.map((p) => p.code);
    expect(codes).toContain('RevisionGap');
    expect(report.problems.find((p) => p.code === 'RevisionGap')!.position).toBeGreaterThan(row.position);
  });

  it('two swapped events', async () => {
    const a = findRow((data) => data.machine === 'log-server');
    const b = readRows(store.path).find((r) => r.stream === a.stream && r.revision === a.revision + 1)!;
    // Swap the two rows' places in the global order, each keeping its own content and revision.
    const report = await verifyTampered(
      ['UPDATE events SET position = -1 WHERE position = ?', a.position],
      ['UPDATE events SET position = ? WHERE position = ?', a.position, b.position],
      ['UPDATE events SET position = ? WHERE position = -1', b.position],
    );
    expect(report.problems.map((p) => p.code)).toContain('PositionOrder');
  });

  it('two events whose contents were swapped at their revisions', async () => {
    const a = findRow((data) => data.machine === 'node-lifecycle');
    const b = readRows(store.path).find((r) => r.stream === a.stream && r.revision === a.revision + 1)!;
    const report = await verifyTampered(
      ['UPDATE events SET revision = 999999 WHERE position = ?', a.position],
      ['UPDATE events SET revision = ? WHERE position = ?', a.revision, b.position],
      ['UPDATE events SET revision = ? WHERE position = ?', b.revision, a.position],
    );
    expect(report.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['PositionOrder', 'HashMismatch']));
  });

  it('a recorded to-state that the statechart does not reach', async () => {
    const row = findRow((data) => data.machine === 'log-server' && data.from === 'Provisioning' && data.to === 'ReadWrite');
    const report = await verifyTampered([`UPDATE events SET data = json_set(data, '$.to', 'ReadOnly') WHERE position = ?`, row.position]);
    expect(report.problems).toContainEqual(expect.objectContaining({ position: row.position, code: 'TransitionMismatch' }));
    expect(report.problems).toContainEqual(expect.objectContaining({ position: row.position, code: 'HashMismatch' }));
  });

  it('an event of an unknown type appended behind the engine', async () => {
    const last = readRows(store.path).filter((r) => r.stream === 'cluster-demo').at(-1)!;
    const report = await verifyTampered([
      `INSERT INTO events (stream, revision, id, type, data, metadata, expected) VALUES ('cluster-demo', ?, '00000000-0000-4000-8000-000000000001', 'NodeTeleported', '{}', '{"commandId":"x","at":"2026-01-01T00:00:00.000Z"}', ?)`,
      last.revision + 1,
      last.revision,
    ]);
    const position = Math.max(...readRows(store.path).map((r) => r.position)) + 1;
    expect(report.problems).toContainEqual(expect.objectContaining({ position, code: 'UnknownEventType' }));
    expect(report.problems).toContainEqual(expect.objectContaining({ position, code: 'HashMismatch', message: expect.stringMatching(/no hash/) }));
  });

  it('a changed to-state whose forger also rewrote the hash chain', async () => {
    const row = findRow((data) => data.machine === 'log-server' && data.from === 'Provisioning' && data.to === 'ReadWrite');
    const path = join(store.dir, `forged-${++copies}.db`);
    copyFileSync(store.path, path);
    const db = new Database(path);
    try {
      db.prepare(`UPDATE events SET data = json_set(data, '$.to', 'ReadOnly') WHERE position = ?`).run(row.position);
      const rows = db.prepare(`SELECT position, id, type, data, metadata FROM events WHERE stream = 'cluster-demo' ORDER BY revision`).all() as {
        position: number; id: string; type: string; data: string; metadata: string;
      }[];
      let previous = '';
      for (const r of rows) {
        const metadata = JSON.parse(r.metadata) as { commandId: string; at: string; hash: string };
        metadata.hash = chainHash(previous, { id: r.id, type: r.type, data: JSON.parse(r.data), commandId: metadata.commandId, at: metadata.at });
        previous = metadata.hash;
        db.prepare('UPDATE events SET metadata = ? WHERE position = ?').run(JSON.stringify(metadata), r.position);
      }
    } finally {
      db.close();
    }
    const result = await cli(['--store', `sqlite:${path}`, 'verify', '--json']);
    expect(result.code).toBe(1);
    const report = result.json<Report>();
    expect(report.problems.map((p) => p.code)).not.toContain('HashMismatch');
    expect(report.problems).toContainEqual(expect.objectContaining({ position: row.position, code: 'TransitionMismatch' }));
  });
});
