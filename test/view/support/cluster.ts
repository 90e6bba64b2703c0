/** A small cluster story written through the real engine, shared by the viewer tests. */
import { pino } from 'pino';
import { createEngine, type Engine } from '../../../src/engine/engine.js';
import type { EventStore } from '../../../src/store/event-store.js';
import { MACHINES } from '../../../machines/index.js';

export const quiet = pino({ level: 'silent' });

export const marker = (node: number) => ({ nodeId: node, markerId: `marker-${node}`, createdAt: '2026-01-01T00:00:00.000Z' });

/**
 * Provisions `demo` with three nodes, provisions N1 and N2's log servers and joins N1 to the metadata cluster.
 * Returns the engine (still open) and the position of the last event BEFORE N2's log server was provisioned.
 */
export async function seedCluster(store: EventStore): Promise<{ engine: Engine; beforeN2ReadWrite: number }> {
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const engine = await createEngine({ store, cluster: 'demo', logger: quiet, clock: () => new Date((clock += 1000)), snapshotEvery: false });
  await engine.provision({ replication: { node: 2 } });
  for (const name of ['alpha', 'beta', 'gamma']) {
    await engine.registerNode({ name, roles: ['log-server', 'metadata-server', 'worker'] });
  }
  await engine.provisionLogServer({ node: 'N1', marker: marker(1) });
  const beforeN2ReadWrite = await lastPosition(store);
  await engine.provisionLogServer({ node: 'N2', marker: marker(2) });
  return { engine, beforeN2ReadWrite };
}

export async function lastPosition(store: EventStore): Promise<number> {
  let last = 0;
  for await (const event of store.readAll()) last = event.position;
  return last;
}

export const registryCharts = Object.fromEntries(
  Object.entries(MACHINES).map(([name, entry]) => [name, { machine: entry.machine, description: entry.description }]),
);
