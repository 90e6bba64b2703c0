/**
 * The README's library example, run through the package's public entry point (src/index.ts) on a real SQLite file.
 * If this test needs a change, the README's example needs the same one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, isClusterchartError } from '../../src/index.js';
import { command, given } from '../../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'clusterchart-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the public API (README example)', () => {
  it('provisions, registers, provisions a log server idempotently and refuses node id 0 with a code', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const engine = await createEngine({
      store: `sqlite:${join(dir, 'cluster.db')}`,
      cluster: 'prod',
      logger: pino({ level: 'silent' }),
      clock: () => new Date((now += 1000)),
    });
    await engine.provision({ replication: 1 });
    const { node } = await engine.registerNode({ name: 'n1', roles: ['log-server', 'metadata-server'] });
    expect(node).toBe('N1:1');

    const marker = { nodeId: 'N1', markerId: 'disk-7f3c', createdAt: '2026-01-01T00:00:00Z' };
    const first = await engine.provisionLogServer({ node: 'N1', marker, commandId: 'prov-n1' });
    const retry = await engine.provisionLogServer({ node: 'N1', marker, commandId: 'prov-n1' });
    expect(first).toMatchObject({ storageState: 'ReadWrite', alreadyApplied: false });
    expect(retry).toMatchObject({ storageState: 'ReadWrite', alreadyApplied: true });

    const refusal = await engine.registerNode({ name: 'n0', roles: ['worker'], forceNodeId: 0 }).catch((e: unknown) => e);
    expect(isClusterchartError(refusal, 'ReservedNodeId')).toBe(true);

    await engine.recordHeartbeat({ node: 'N1:1', at: new Date(now).toISOString(), partitions: { '0': 'leader' } });
    const observed = await engine.observedClusterState();
    expect(Object.keys(observed.aliveNodes)).toEqual(['N1']);
    const audit = await engine.audit({ node: 'N1' });
    expect(audit.filter((e) => e.from === 'Provisioning' && e.to === 'ReadWrite')).toHaveLength(1);
    await engine.close();
  });

  it('offers the given/when/then helper for specs', () => {
    given(command('ProvisionCluster', { clusterName: 'c' }))
      .when(command('RegisterNode', { name: 'a', roles: ['worker'] }))
      .then([{ type: 'NodeRegistered', data: { nodeId: 1, generation: 1, name: 'a' } }]);
    given(command('ProvisionCluster', { clusterName: 'c' }))
      .when(command('ProvisionCluster', { clusterName: 'c' }))
      .then('AlreadyProvisioned');
  });
});
