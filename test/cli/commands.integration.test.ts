/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the CLI's JSON output is read untyped */
/**
 * Every state-changing and read command of the CLI contract, run in process (`runCli`) against temporary SQLite
 * stores, in the order an operator would use them. Checks the JSON shapes, the exit codes, retries with
 * --command-id and that a refusal writes nothing (the events table is compared row for row).
 *
 * Each case runs on its own store, seeded with the commands of the cases before it (`SEED`, replayed once per stage
 * and copied per case), so a case passes or fails on its own, in any order.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliOptions, readRows, tempStore } from './support/cli.js';

const T0 = '2026-01-01T00:00:00.000Z';
/**
 * Heartbeats, observe and health all use this time (--at), so liveness never depends on how fast the tests run.
 * It lies an hour after the registrations: a registration counts as "heard from", and must be long past.
 */
const heartbeatAt = new Date(Date.now() + 3_600_000).toISOString();

/**
 * What each case writes, in case order (refused and read-only commands write nothing, so they are left out): the
 * store of case `i` holds stages 0..i-1.
 */
const SEED: Record<string, readonly (readonly string[])[]> = {
  provision: [['--cluster', 'prod', '--command-id', 'prov-1', 'provision', '--replication', '2']],
  register: [
    ['nodes', 'register', '--name', 'a', '--roles', 'log-server,metadata-server,worker'],
    ['nodes', 'register', '--name', 'b', '--roles', 'log-server,metadata-server'],
    ['nodes', 'register', '--name', 'c', '--roles', 'log-server,metadata-server'],
    ['nodes', 'register', '--name', 'd', '--roles', 'log-server,worker', '--location', 'eu.a'],
    ['nodes', 'register', '--name', 'a', '--roles', 'log-server,metadata-server,worker'],
  ],
  retry: [['--command-id', 'reg-e', 'nodes', 'register', '--name', 'e', '--roles', 'worker']],
  metadata: [
    ['metadata', 'join', 'N2'],
    ['metadata', 'join', '3'],
    ['metadata', 'remove', 'N3'],
  ],
  logServers: [
    ...['N1', 'N2', 'N3'].map((id) => ['log-server', 'provision', id, '--marker', `m-${id}`]),
    ['--command-id', 'prov-n4', 'log-server', 'provision', 'N4', '--marker', 'm-n4', '--created-at', T0],
  ],
  startUp: [
    ['log-server', 'start', 'N1', '--marker', 'm-N1'],
    ['log-server', 'start', 'N3'],
  ],
  states: [
    ['log-server', 'set-state', 'N3', 'read-write', '--force'],
    ['log-server', 'set-state', 'N4', 'ReadOnly'],
    ['worker', 'set-state', 'N4', 'active'],
    ['worker', 'set-state', 'N1', 'Active'],
    ['worker', 'set-state', 'N4', 'Draining'],
  ],
  segments: [
    ['logs', 'create-segment', '1'],
    ['logs', 'seal', '1'],
  ],
  heartbeats: [
    ['--at', heartbeatAt, 'heartbeat', 'N1:2', '--partitions', '0=leader,1=follower'],
    ['--at', heartbeatAt, 'heartbeat', 'N2:1', '--partitions', '1=leader,0=follower'],
    ['--at', heartbeatAt, 'heartbeat', 'N4:1', '--partitions', '2=leader'],
    ['--at', heartbeatAt, 'heartbeat', 'N1:1'],
    ['--at', heartbeatAt, 'unreachable', 'N4'],
  ],
  health: [['--at', heartbeatAt, 'unreachable', 'N2']],
  remove: [
    ['nodes', 'remove', 'N5', '--yes'],
    ['nodes', 'remove', 'N4', 'N5', 'N9', '--yes'],
  ],
  audit: [],
  verify: [],
};
type Stage = keyof typeof SEED;
const STAGES = Object.keys(SEED);

const stores: ReturnType<typeof tempStore>[] = [];
afterAll(() => stores.forEach((s) => s.cleanup()));

/** The store file after the stages before `stage`, written once per stage and copied from then on. */
const templates = new Map<number, Promise<string | null>>();
function templateBefore(index: number): Promise<string | null> {
  let template = templates.get(index);
  if (template === undefined) {
    template = (async () => {
      if (index === 0) return null;
      const previous = await templateBefore(index - 1);
      const store = tempStore();
      stores.push(store);
      if (previous !== null) copyFileSync(previous, store.path);
      for (const args of SEED[STAGES[index - 1]!]!) {
        const result = await store.run(args);
        // `log-server start` of a server without its marker exits 1 having recorded DataLoss: that is the seed.
        expect(result.code === 0 || args.includes('start'), `seed ${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(true);
      }
      expect(existsSync(`${store.path}-wal`), 'the store is closed after each command').toBe(false);
      return store.path;
    })();
    templates.set(index, template);
  }
  return template;
}

/** A fresh store holding what the cases before `stage` wrote, with the helpers the cases use. */
async function storeFor(stage: Stage) {
  const template = await templateBefore(STAGES.indexOf(stage));
  const store = tempStore();
  stores.push(store);
  if (template !== null) copyFileSync(template, store.path);
  const run = (args: readonly string[], options?: CliOptions) => store.run(args, options);

  /** Runs a command expected to be refused and checks the code, the exit status and that nothing was written. */
  async function refused(args: string[], code: string, exit = 1) {
    const before = readRows(store.path);
    const result = await run([...args, '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(exit);
    const { error } = result.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(20);
    expect(readRows(store.path)).toEqual(before);
    return error;
  }

  async function ok(args: string[]) {
    const result = await run([...args, '--json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return result.json();
  }

  return { ...store, run, ok, refused };
}

describe('clusterchart commands on a SQLite store', () => {
  it('provisions a cluster once; a second provisioning is refused, its retry is not', async () => {
    const { ok, refused } = await storeFor('provision');
    const provisioned = await ok(['--cluster', 'prod', '--command-id', 'prov-1', 'provision', '--replication', '2']);
    expect(provisioned).toMatchObject({ cluster: 'prod', config: { logProvider: 'replicated', replication: { node: 2 }, numPartitions: 24 }, alreadyApplied: false });
    expect(await ok(['--cluster', 'prod', '--command-id', 'prov-1', 'provision', '--replication', '2'])).toMatchObject({ alreadyApplied: true });
    await refused(['--cluster', 'prod', 'provision'], 'AlreadyProvisioned');
  });

  it('registers nodes (JSON shape), restarts a known name, and refuses node id 0 writing nothing', async () => {
    const { ok, refused } = await storeFor('register');
    expect(await ok(['nodes', 'register', '--name', 'a', '--roles', 'log-server,metadata-server,worker'])).toEqual({
      node: 'N1:1',
      id: 'N1',
      generation: 1,
      created: true,
      alreadyApplied: false,
    });
    for (const name of ['b', 'c']) await ok(['nodes', 'register', '--name', name, '--roles', 'log-server,metadata-server']);
    await ok(['nodes', 'register', '--name', 'd', '--roles', 'log-server,worker', '--location', 'eu.a']);
    expect(await ok(['nodes', 'register', '--name', 'a', '--roles', 'log-server,metadata-server,worker'])).toMatchObject({ node: 'N1:2', created: false });
    const error = await refused(['nodes', 'register', '--name', 'zero', '--roles', 'worker', '--force-id', '0'], 'ReservedNodeId');
    expect(error.message).toMatch(/reserved/);
  });

  it('retries a registration with the same --command-id without a second node', async () => {
    const { ok, ...store } = await storeFor('retry');
    const args = ['--command-id', 'reg-e', 'nodes', 'register', '--name', 'e', '--roles', 'worker'];
    const first = await ok(args);
    const rows = readRows(store.path).length;
    const again = await ok(args);
    expect(again).toEqual({ ...first, alreadyApplied: true });
    expect(readRows(store.path)).toHaveLength(rows);
  });

  it('joins metadata members; the other AutoJoin node is not demoted', async () => {
    const { ok, refused } = await storeFor('metadata');
    expect(await ok(['metadata', 'join', 'N2'])).toMatchObject({ node: 'N2', metadataServerState: 'Member', members: ['N1', 'N2'] });
    const list = await ok(['nodes', 'list']);
    expect(list.find((n: { id: string }) => n.id === 'N3')).toMatchObject({ metadataServerState: 'AutoJoin' });
    await ok(['metadata', 'join', '3']);
    expect(await ok(['metadata', 'status'])).toEqual({ version: 3, members: ['N1', 'N2', 'N3'], quorum: 2 });
    expect(await ok(['metadata', 'remove', 'N3'])).toMatchObject({ node: 'N3', metadataServerState: 'Standby', members: ['N1', 'N2'] });
    await refused(['metadata', 'remove', 'N5'], 'NotMember');
  });

  it('provisions log servers; a retry with the same command id writes nothing; a foreign marker is refused', async () => {
    const { ok, refused, ...store } = await storeFor('logServers');
    for (const id of ['N1', 'N2', 'N3']) await ok(['log-server', 'provision', id, '--marker', `m-${id}`]);
    const args = ['--command-id', 'prov-n4', 'log-server', 'provision', 'N4', '--marker', 'm-n4', '--created-at', T0];
    expect(await ok(args)).toEqual({ node: 'N4', storageState: 'ReadWrite', alreadyApplied: false });
    const rows = readRows(store.path);
    expect(await ok(args)).toEqual({ node: 'N4', storageState: 'ReadWrite', alreadyApplied: true });
    // Another command id with the same marker: found by marker association, still nothing written.
    expect(await ok(['log-server', 'provision', 'N4', '--marker', 'm-n4', '--created-at', T0])).toMatchObject({ alreadyApplied: true });
    expect(readRows(store.path)).toEqual(rows);
    await refused(['log-server', 'provision', 'N4', '--marker', 'other'], 'MarkerMismatch');
    await refused(['log-server', 'provision', 'N4', '--marker', 'm-n2', '--marker-node', 'N2'], 'MarkerFromAnotherNode');
  });

  it('runs start-up checks: a ReadWrite server without its marker moves to DataLoss and may not start (exit 1)', async () => {
    const { ok, run } = await storeFor('startUp');
    expect(await ok(['log-server', 'start', 'N1', '--marker', 'm-N1'])).toMatchObject({ node: 'N1', started: true, storageState: 'ReadWrite' });
    const result = await run(['log-server', 'start', 'N3', '--json']);
    expect(result.code).toBe(1);
    expect(result.json()).toMatchObject({ node: 'N3', started: false, storageState: 'DataLoss', refusal: { code: 'DataLoss' } });
  });

  it('changes storage and worker states; unsafe moves need --force and are marked forced', async () => {
    const { ok, refused } = await storeFor('states');
    await refused(['log-server', 'set-state', 'N3', 'read-write'], 'UnsafeTransition');
    expect(await ok(['log-server', 'set-state', 'N3', 'read-write', '--force'])).toEqual({ node: 'N3', from: 'DataLoss', to: 'ReadWrite', forced: true, alreadyApplied: false });
    expect(await ok(['log-server', 'set-state', 'N4', 'ReadOnly'])).toMatchObject({ from: 'ReadWrite', to: 'ReadOnly', forced: false });
    expect(await ok(['worker', 'set-state', 'N4', 'active'])).toMatchObject({ node: 'N4', from: 'Provisioning', to: 'Active' });
    // the last Active worker may not leave: the cluster could no longer place replicas
    await refused(['worker', 'set-state', 'N4', 'Draining'], 'SafetyCheckFailed');
    await ok(['worker', 'set-state', 'N1', 'Active']);
    expect(await ok(['worker', 'set-state', 'N4', 'Draining'])).toMatchObject({ from: 'Active', to: 'Draining', forced: false });
  });

  it('creates and seals log segments on ReadWrite log servers', async () => {
    const { ok } = await storeFor('segments');
    const created = await ok(['logs', 'create-segment', '1']);
    expect(created).toMatchObject({ logId: 1, segment: 0 });
    expect(created.nodeset).not.toContain('N4');
    expect(await ok(['logs', 'seal', '1'])).toMatchObject({ logId: 1, segment: 0 });
  });

  it('records heartbeats and unreachability, and observes them now and as of an earlier time', async () => {
    const { ok, refused } = await storeFor('heartbeats');
    const now = heartbeatAt;
    expect(await ok(['--at', now, 'heartbeat', 'N1:2', '--partitions', '0=leader,1=follower'])).toMatchObject({ node: 'N1:2', at: now });
    await ok(['--at', now, 'heartbeat', 'N2:1', '--partitions', '1=leader,0=follower']);
    await ok(['--at', now, 'heartbeat', 'N4:1', '--partitions', '2=leader']);
    await refused(['heartbeat', 'N1:3'], 'GenerationMismatch');
    // a heartbeat of an older generation is recorded but never moves the node's generation back
    await ok(['--at', now, 'heartbeat', 'N1:1']);
    const observed = await ok(['--at', now, 'observe']);
    expect(observed).toMatchObject({
      aliveNodes: { N1: 'N1:2', N2: 'N2:1', N4: 'N4:1' },
      partitions: { '0': { N1: 'leader', N2: 'follower' }, '1': { N1: 'follower', N2: 'leader' }, '2': { N4: 'leader' } },
      nodesToPartitions: { N1: [0, 1], N2: [0, 1], N4: [2] },
    });
    expect(observed.deadNodes).toContain('N3');
    await ok(['--at', now, 'unreachable', 'N4']);
    const after = await ok(['--at', now, 'observe']);
    expect(after.deadNodes).toContain('N4');
    expect(after.partitions['2']).toBeUndefined();
    // time travel: as of the position of the first observation, N4 was alive
    const past = await ok(['observe', '--as-of', String(observed.position)]);
    expect(past.aliveNodes.N4).toBe('N4:1');
    expect(past.position).toBe(observed.position);
    // by time: a second before the heartbeats nobody had been heard from for an hour
    const before = await ok(['observe', '--as-of', new Date(Date.parse(now) - 1000).toISOString()]);
    expect(before.aliveNodes).toEqual({});
    expect(before.deadNodes).toEqual(expect.arrayContaining(['N1', 'N2', 'N3', 'N4']));
    expect(before.position).toBeLessThan(observed.position as number);
  });

  it('reports health (exit 0 healthy, 1 unhealthy)', async () => {
    const { ok, run } = await storeFor('health');
    const healthy = await run(['--at', heartbeatAt, 'health', '--json']);
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(healthy.json()).toMatchObject({ healthy: true, metadata: { members: 2, alive: 2, quorum: 2, ok: true }, logs: { replication: { node: 2 }, ok: true } });
    await ok(['--at', heartbeatAt, 'unreachable', 'N2']);
    const unhealthy = await run(['--at', heartbeatAt, 'health', '--json']);
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.json()).toMatchObject({ healthy: false, metadata: { members: 2, alive: 1, ok: false } });
    const text = await run(['--at', heartbeatAt, 'health']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/UNHEALTHY/);
  });

  it('removes nodes only with --yes off a terminal, after the safety checks, all or nothing', async () => {
    const { ok, refused, run, ...store } = await storeFor('remove');
    const noYes = await run(['nodes', 'remove', 'N4']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/--yes/);
    await refused(['nodes', 'remove', 'N4', 'N1', '--yes'], 'LogServerReadWrite');
    await refused(['nodes', 'remove', 'N2', '--yes'], 'LogServerReadWrite');
    // On a terminal the operator is asked: "n" cancels (exit 1, nothing written), "y" proceeds.
    const rows = readRows(store.path);
    // (test/cli/smoke.e2e.test.ts answers the same prompt on a real pseudo-terminal.)
    const cancelled = await run(['nodes', 'remove', 'N5'], { tty: true, input: 'n\n' });
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toMatch(/Remove N5 permanently\?/);
    expect(cancelled.stdout).toMatch(/Cancelled: nothing was removed/);
    expect(readRows(store.path)).toEqual(rows);
    const confirmed = await run(['nodes', 'remove', 'N5'], { tty: true, input: 'y\n' });
    expect(confirmed.code, confirmed.stdout).toBe(0);
    expect(confirmed.stdout).toMatch(/Removed N5\./);
    expect(await ok(['nodes', 'remove', 'N4', 'N5', 'N9', '--yes'])).toEqual({ removed: ['N4'], alreadyRemoved: ['N5', 'N9'], alreadyApplied: false });
    const list = await ok(['nodes', 'list']);
    expect(list).toContainEqual({ id: 'N4', removed: true });
    expect(list).toContainEqual({ id: 'N5', removed: true });
    expect(list.find((n: { id: string }) => n.id === 'N1')).toMatchObject({
      id: 'N1',
      generation: 2,
      name: 'a',
      roles: ['log-server', 'metadata-server', 'worker'],
      metadataServerState: 'Member',
      storageState: 'ReadWrite',
      workerState: 'Active',
      removed: false,
    });
    const observed = await ok(['--at', heartbeatAt, 'observe']);
    expect(JSON.stringify(observed)).not.toMatch(/"N4"/);
  });

  it('prints the audit trail, filtered by node and position', async () => {
    const { ok, run } = await storeFor('audit');
    const all = await ok(['audit']);
    expect(all.length).toBeGreaterThan(20);
    expect(all[0]).toMatchObject({ position: expect.any(Number), revision: 0, at: expect.any(String), type: 'ClusterProvisioned', commandId: 'prov-1', machine: 'cluster-provisioning' });
    const n4 = await ok(['audit', '--node', 'N4']);
    expect(n4.every((e: { node: string }) => e.node === 'N4')).toBe(true);
    expect(n4.filter((e: { from: string; to: string }) => e.from === 'Provisioning' && e.to === 'ReadWrite')).toHaveLength(1);
    const middle = all[10].position;
    const window = await ok(['audit', '--from', String(middle), '--to', String(middle)]);
    expect(window).toEqual([all[10]]);
    const text = await run(['audit', '--node', '4']);
    expect(text.stdout).toMatch(/log-server: Provisioning -> ReadWrite/);
  });

  it('verifies the history it wrote', async () => {
    const { run } = await storeFor('verify');
    const result = await run(['verify', '--json']);
    expect(result.code, result.stdout).toBe(0);
    expect(result.json()).toEqual({ ok: true, events: expect.any(Number), problems: [] });
  });
});
