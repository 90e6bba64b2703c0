/**
 * Builds realistic event histories for projection specs: positions increase by one per event across both streams,
 * revisions are dense per stream, every recorded `from` matches what came before (so `applyClusterEvent` accepts
 * the history), and time only moves when told to.
 */
import { storedEvent } from '../../src/testing/projection.js';
import {
  type DomainEvent,
  type MetadataServerState,
  type PlainNodeId,
  type Role,
  type RunMode,
  type StorageState,
  type StoredDomainEvent,
  plainNodeId,
} from '../../src/domain/index.js';

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

type NodeInfo = { generation: number; removed: boolean; name: string; storage: StorageState; metadata: MetadataServerState };

export class History {
  readonly cluster: string;
  readonly events: StoredDomainEvent[] = [];
  now = T0;
  #revisions = new Map<string, number>();
  #nodes = new Map<number, NodeInfo>();
  #metadataVersion = 0;
  #members: number[] = [];

  constructor(cluster = 'test') {
    this.cluster = cluster;
  }

  get position(): number {
    return this.events.length;
  }

  advance(ms: number): this {
    this.now += ms;
    return this;
  }

  iso(ms = this.now): string {
    return new Date(ms).toISOString();
  }

  generationOf(id: number): number | undefined {
    return this.#nodes.get(id)?.generation;
  }

  liveIds(): number[] {
    return [...this.#nodes.entries()].filter(([, n]) => !n.removed).map(([id]) => id);
  }

  removedIds(): number[] {
    return [...this.#nodes.entries()].filter(([, n]) => n.removed).map(([id]) => id);
  }

  #append(event: DomainEvent, stream: 'cluster' | 'observations', commandType?: string): StoredDomainEvent {
    const streamId = `${stream}-${this.cluster}`;
    const revision = (this.#revisions.get(streamId) ?? -1) + 1;
    this.#revisions.set(streamId, revision);
    const stored = storedEvent(event, {
      position: this.events.length + 1,
      revision,
      streamId,
      at: this.iso(),
      ...(commandType === undefined ? {} : { metadata: { commandType, actor: 'operator' } }),
    });
    this.events.push(stored);
    return stored;
  }

  provision(replication = 1): StoredDomainEvent {
    return this.#append(
      {
        type: 'ClusterProvisioned',
        data: {
          machine: 'cluster-provisioning',
          node: null,
          from: 'Unprovisioned',
          to: 'Provisioned',
          input: { type: 'provision' },
          clusterName: this.cluster,
          config: { logProvider: 'replicated', replication: { node: replication }, targetNodesetSize: 0, numPartitions: 24, metadataServer: 'replicated' },
        },
      },
      'cluster',
      'ProvisionCluster',
    );
  }

  register(id: number, options: { roles?: Role[]; metadata?: MetadataServerState } = {}): StoredDomainEvent {
    const name = `node-${id}`;
    const metadata = options.metadata ?? 'Standby';
    this.#nodes.set(id, { generation: 1, removed: false, name, storage: 'Provisioning', metadata });
    const nodeId = id as PlainNodeId;
    return this.#append(
      {
        type: 'NodeRegistered',
        data: {
          machine: 'node-lifecycle',
          node: nodeId,
          from: 'Unregistered',
          to: 'Registered',
          input: { type: 'register', nodeId: id, generation: 1 },
          nodeId,
          generation: 1,
          name,
          roles: options.roles ?? ['worker', 'log-server', 'metadata-server'],
          address: `http://${name}:5122`,
          location: null,
          metadataServerState: metadata,
          storageState: 'Provisioning',
          workerState: 'Provisioning',
        },
      },
      'cluster',
      'RegisterNode',
    );
  }

  restart(id: number): StoredDomainEvent {
    const node = this.#live(id);
    const previousGeneration = node.generation;
    node.generation += 1;
    const nodeId = id as PlainNodeId;
    return this.#append(
      {
        type: 'NodeRestarted',
        data: {
          machine: 'node-lifecycle',
          node: nodeId,
          from: 'Registered',
          to: 'Registered',
          input: { type: 'restart', previousGeneration, generation: node.generation },
          nodeId,
          generation: node.generation,
          previousGeneration,
          roles: ['worker', 'log-server', 'metadata-server'],
          address: `http://${node.name}:5122`,
          location: null,
        },
      },
      'cluster',
      'RegisterNode',
    );
  }

  remove(id: number): StoredDomainEvent {
    const node = this.#live(id);
    node.removed = true;
    const nodeId = id as PlainNodeId;
    return this.#append(
      {
        type: 'NodeRemoved',
        data: {
          machine: 'node-lifecycle',
          node: nodeId,
          from: 'Registered',
          to: 'Removed',
          input: { type: 'remove', logServerReadWrite: false, inUnsealedNodeset: false, localLoglets: false, metadataMember: false },
          nodeId,
          name: node.name,
        },
      },
      'cluster',
      'RemoveNodes',
    );
  }

  /** `Provisioning -> ReadWrite` with a marker, or any other recorded move. */
  storage(id: number, to: StorageState, forced = false): StoredDomainEvent {
    const node = this.#live(id);
    const from = node.storage;
    node.storage = to;
    const nodeId = id as PlainNodeId;
    const marker = from === 'Provisioning' && to === 'ReadWrite' ? { nodeId, markerId: `marker-${id}`, createdAt: this.iso() } : null;
    return this.#append(
      {
        type: 'StorageStateChanged',
        data: {
          machine: 'log-server',
          node: nodeId,
          from,
          to,
          input: marker === null ? { type: 'set-state', to, force: forced } : { type: 'provision', markerId: marker.markerId },
          ...(forced ? { forced: true } : {}),
          nodeId,
          marker,
        },
      },
      'cluster',
      marker === null ? 'SetStorageState' : 'ProvisionLogServer',
    );
  }

  /** The node joins the metadata cluster: its state becomes Member, then the configuration lists it. */
  join(id: number): StoredDomainEvent[] {
    const node = this.#live(id);
    const nodeId = id as PlainNodeId;
    const from = node.metadata;
    node.metadata = 'Member';
    this.#members.push(id);
    this.#metadataVersion += 1;
    return [
      this.#append(
        {
          type: 'MetadataServerStateChanged',
          data: { machine: 'metadata-membership', node: nodeId, from, to: 'Member', input: { type: 'join' }, nodeId },
        },
        'cluster',
        'JoinMetadataCluster',
      ),
      this.#append(
        {
          type: 'MetadataConfigurationChanged',
          data: {
            version: this.#metadataVersion,
            members: this.#members.map((m) => ({ node: m as PlainNodeId, createdAt: null })),
            change: { kind: this.#members.length === 1 ? 'seed' : 'join', node: nodeId },
          },
        },
        'cluster',
        'JoinMetadataCluster',
      ),
    ];
  }

  /** `at` (ms) dates the observation itself; by default it is the time the event is recorded. */
  heartbeat(id: number, generation: number, partitions: Record<string, RunMode> = {}, at = this.now): StoredDomainEvent {
    return this.#append(
      { type: 'NodeHeartbeatObserved', data: { nodeId: plainNodeId(id), generation, at: this.iso(at), partitions } },
      'observations',
    );
  }

  unreachable(id: number, at = this.now): StoredDomainEvent {
    return this.#append({ type: 'NodeUnreachableObserved', data: { nodeId: plainNodeId(id), at: this.iso(at) } }, 'observations');
  }

  #live(id: number): NodeInfo {
    const node = this.#nodes.get(id);
    if (node === undefined || node.removed) throw new Error(`history builder: N${id} is not live`);
    return node;
  }
}
