/**
 * AuditTrail: who changed what, when and why. One entry per event of the cluster stream (observations are
 * high-volume liveness facts, not decisions, and are left out). Entries are stored in the JSON shape of
 * `clusterchart audit --json`, ids printed `N3`.
 */
import {
  type MachineName,
  OBSERVATION_EVENT_TYPES,
  type StoredDomainEvent,
  parsePlainNodeId,
  printPlainNodeId,
  transitionOf,
} from '../src/domain/index.js';
import { defineProjection } from './projection.js';

export type AuditEntry = Readonly<{
  position: number;
  revision: number;
  /** `metadata.at`: when the command was decided (injected clock). */
  at: string;
  type: string;
  commandId: string;
  commandType: string | null;
  actor: string | null;
  /** The statechart moved, and the node it belongs to; null for events that move none. */
  machine: MachineName | null;
  node: string | null;
  from: string | null;
  to: string | null;
  forced: boolean;
  /** The cause: the type of the machine input event that drove the transition (e.g. `provision`). */
  cause: string | null;
  /** For `NodeIdRemapped`: the legacy id the node had before (the trail shows both ids). */
  previousNode?: string;
}>;

export type AuditTrailState = Readonly<{ position: number; entries: readonly AuditEntry[] }>;

function nodeOf(event: StoredDomainEvent): number | null {
  const transition = transitionOf(event);
  if (transition !== null && transition.node !== null) return transition.node;
  switch (event.type) {
    case 'MetadataConfigurationChanged':
      return event.data.change.node;
    case 'NodeRegistered':
    case 'NodeRestarted':
    case 'NodeRemoved':
    case 'NodeIdRemapped':
    case 'MetadataServerStateChanged':
    case 'StorageStateChanged':
    case 'WorkerStateChanged':
      return event.data.nodeId;
    default:
      return null;
  }
}

/** Builds the entry for one event (exported for callers that audit a slice of history without a runner). */
export function auditEntryOf(event: StoredDomainEvent): AuditEntry {
  const transition = transitionOf(event);
  const node = nodeOf(event);
  const entry: AuditEntry = {
    position: event.position,
    revision: event.revision,
    at: event.metadata.at,
    type: event.type,
    commandId: event.metadata.commandId,
    commandType: event.metadata.commandType ?? null,
    actor: event.metadata.actor ?? null,
    machine: transition?.machine ?? null,
    node: node === null ? null : printPlainNodeId(node),
    from: transition?.from ?? null,
    to: transition?.to ?? null,
    forced: transition?.forced ?? false,
    cause: transition?.input.type ?? null,
  };
  return event.type === 'NodeIdRemapped' ? { ...entry, previousNode: printPlainNodeId(event.data.fromId) } : entry;
}

export const auditTrailProjection = defineProjection<AuditTrailState>({
  name: 'audit-trail',
  version: 1,
  initialState: { position: 0, entries: [] },
  evolve(draft, event) {
    if (event.position <= draft.position) return;
    draft.position = event.position;
    if (OBSERVATION_EVENT_TYPES.has(event.type)) return;
    draft.entries.push(auditEntryOf(event));
  },
});

const LEGACY_ZERO = /^\s*[Nn]?0+\s*$/;

export type AuditFilter = Readonly<{
  /** `N3` or `3`: entries about this node (as the current or the previous id of a remap). */
  node?: string;
  /** Inclusive bounds on the global position. */
  fromPosition?: number;
  toPosition?: number;
}>;

/**
 * The entries matching a filter, in position order.
 *
 * @example
 * auditEntries(runner.get(auditTrailProjection), { node: 'N3', fromPosition: 10 });
 */
export function auditEntries(state: AuditTrailState, filter: AuditFilter = {}): readonly AuditEntry[] {
  // N0 is accepted here: it appears as the previous id of a remapped legacy node.
  const node =
    filter.node === undefined ? undefined : LEGACY_ZERO.test(filter.node) ? 'N0' : printPlainNodeId(parsePlainNodeId(filter.node));
  const from = filter.fromPosition ?? -Infinity;
  const to = filter.toPosition ?? Infinity;
  return state.entries.filter(
    (e) => e.position >= from && e.position <= to && (node === undefined || e.node === node || e.previousNode === node),
  );
}
