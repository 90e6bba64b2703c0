 
/** Exit code 2 (bad usage, unreadable store), help, and the cluster selection rules of docs/CLI.md, "Global options and manners". */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempStore } from './support/cli.js';

/** Each case works on its own (empty) store. */
const stores: ReturnType<typeof tempStore>[] = [];
function freshStore() {
  const store = tempStore();
  stores.push(store);
  return store;
}
afterAll(() => stores.forEach((s) => s.cleanup()));

describe('usage errors exit 2', () => {
  it('prints help with exit 0', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: clusterchart/);
    for (const command of ['provision', 'nodes', 'metadata', 'log-server', 'heartbeat', 'observe', 'health', 'audit', 'verify', 'migrate', 'demo']) {
      expect(result.stdout).toContain(command);
    }
  });

  it('refuses unknown flags, unknown commands and unparsable ids, in JSON too', async () => {
    const store = freshStore();
    const flag = await store.run(['nodes', 'list', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--bogus'/);
    expect(flag.stdout).toBe('');
    expect((await store.run(['nodez'])).code).toBe(2);

    const id = await store.run(['metadata', 'join', 'node-three', '--json']);
    expect(id.code).toBe(2);
    expect(id.json()).toEqual({ error: { code: 'InvalidInput', message: expect.stringMatching(/not a node id/) } });
    expect((await store.run(['heartbeat', 'N3'])).code).toBe(2);
    expect((await store.run(['heartbeat', 'N3:1', '--partitions', '0=boss'])).code).toBe(2);
    expect((await store.run(['log-server', 'set-state', 'N3', 'writable'])).code).toBe(2);
    expect((await store.run(['observe', '--as-of', 'yesterday'])).code).toBe(2);
    expect((await store.run(['--log-level', 'loud', 'nodes', 'list'])).code).toBe(2);
  });

  it('reports a missing store or cluster with exit 2 and creates no file', async () => {
    const store = freshStore();
    const missing = await store.run(['nodes', 'list', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.json().error).toMatchObject({ code: 'StoreUnavailable', message: expect.stringMatching(/provision/) });
    const provision = await store.run(['provision']);
    expect(provision.code).toBe(2);
    expect(provision.stderr).toMatch(/--cluster NAME/);
    expect(existsSync(store.path)).toBe(false);
  });

  it('chooses the only cluster of a store, and asks for --cluster when there are several', async () => {
    const store = freshStore();
    expect((await store.run(['--cluster', 'one', 'provision'])).code).toBe(0);
    const list = await store.run(['nodes', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.json()).toEqual([]);
    const unknown = await store.run(['--cluster', 'nope', 'health', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.json().error.code).toBe('ClusterNotFound');

    expect((await store.run(['--cluster', 'two', 'provision'])).code).toBe(0);
    const ambiguous = await store.run(['metadata', 'status', '--json']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.json().error).toMatchObject({ code: 'AmbiguousCluster', message: expect.stringMatching(/one, two/) });
    expect((await store.run(['--cluster', 'two', 'metadata', 'status'])).code).toBe(0);
  });

  it('takes the store from CLUSTERCHART_STORE when --store is absent', async () => {
    const store = freshStore();
    expect((await store.run(['--cluster', 'one', 'provision'])).code).toBe(0);
    const result = await cli(['--cluster', 'one', 'nodes', 'list', '--json'], { env: { CLUSTERCHART_STORE: store.url } });
    expect(result.code).toBe(0);
    expect(result.json()).toEqual([]);
  });

  it('refuses a file that is not a store with exit 2', async () => {
    const store = freshStore();
    const bogus = join(store.dir, 'not-a-store.db');
    writeFileSync(bogus, 'hello, I am not SQLite '.repeat(100));
    const result = await cli(['--store', `sqlite:${bogus}`, 'nodes', 'list', '--json']);
    expect(result.code).toBe(2);
    expect(result.json().error.code).toBe('StoreCorrupt');
  });
});
