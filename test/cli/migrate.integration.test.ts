 
/** `migrate legacy` with the docs/CLI.md document: N0 remapped keeping its generation; N0 beside another live node refused. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRows, tempStore } from './support/cli.js';

/** The legacy document of docs/CLI.md. */
const LEGACY = {
  clusterName: 'legacy',
  version: 12,
  nodes: [
    {
      id: 0,
      generation: 4,
      name: 'a',
      roles: ['log-server', 'metadata-server', 'worker'],
      storageState: 'ReadWrite',
      metadataServerState: 'Member',
      workerState: 'Active',
    },
    { id: 2, tombstone: true },
  ],
};

const stores: ReturnType<typeof tempStore>[] = [];
function storeWith(document: unknown) {
  const store = tempStore();
  stores.push(store);
  const file = join(store.dir, 'legacy.json');
  writeFileSync(file, JSON.stringify(document));
  return { ...store, file };
}

afterAll(() => stores.forEach((s) => s.cleanup()));

describe('migrate legacy', () => {
  it('imports the docs/CLI.md document, remapping N0 to N1 with generation 4 kept', async () => {
    const store = storeWith(LEGACY);
    const result = await store.run(['migrate', 'legacy', store.file, '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ cluster: 'legacy', remapped: { from: 'N0', to: 'N1', generation: 4 }, alreadyApplied: false });

    const list = (await store.run(['nodes', 'list', '--json'])).json();
    expect(list).toContainEqual(expect.objectContaining({ id: 'N1', generation: 4, name: 'a', storageState: 'ReadWrite', metadataServerState: 'Member', removed: false }));
    expect(list).toContainEqual({ id: 'N2', removed: true });
    expect(JSON.stringify(list)).not.toMatch(/"N0",\s*"generation"/);

    // the audit trail shows both ids
    const audit = (await store.run(['audit', '--node', 'N0', '--json'])).json();
    expect(audit).toContainEqual(expect.objectContaining({ type: 'NodeIdRemapped', node: 'N1', previousNode: 'N0' }));
    // the next registration gets a fresh id: ids are never reused
    expect((await store.run(['nodes', 'register', '--name', 'b', '--roles', 'worker', '--json'])).json()).toMatchObject({ node: 'N3:1' });
    expect((await store.run(['verify'])).code).toBe(0);
  });

  it('honours --force-node-id', async () => {
    const store = storeWith(LEGACY);
    const result = await store.run(['migrate', 'legacy', store.file, '--force-node-id', 'N7', '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.json().remapped).toEqual({ from: 'N0', to: 'N7', generation: 4 });
  });

  it('refuses N0 next to another live node (MultiNodeCluster) and writes nothing', async () => {
    const store = storeWith({
      ...LEGACY,
      nodes: [...LEGACY.nodes, { id: 3, generation: 1, name: 'c', roles: ['worker'], workerState: 'Active' }],
    });
    const result = await store.run(['migrate', 'legacy', store.file, '--json']);
    expect(result.code).toBe(1);
    expect(result.json().error.code).toBe('MultiNodeCluster');
    expect(readRows(store.path)).toEqual([]);
  });

  it('reports an unreadable document as bad usage', async () => {
    const store = storeWith(LEGACY);
    writeFileSync(store.file, '{ not json');
    const result = await store.run(['migrate', 'legacy', store.file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not JSON/);
  });
});
